"""Periodic and timed work, on PTB's JobQueue: retention purges, the webhook heartbeat probe, and
scheduled announcements (one job per announcement, at its time; rebuilt from the database at start,
so a restart loses none and a time that passed while the bot was down goes out at once)."""

from __future__ import annotations

import datetime as dt
import logging

from telegram.error import TelegramError
from telegram.ext import Application, JobQueue

from bot.channels.telegram.context import BotContext
from bot.services.announcements import Announcement

log = logging.getLogger(__name__)
PURGE_EVERY = dt.timedelta(hours=6)
PROBE_EVERY = dt.timedelta(seconds=30)


async def purge(context: BotContext) -> None:
    purged = context.questions.purge()
    if purged:
        log.info("purged %d logged question(s) past their retention", purged)


async def probe(context: BotContext) -> None:
    """Webhook mode: no getUpdates to prove Telegram answers, so ask it every 30 s."""
    try:
        await context.bot.get_me()
        context.heartbeat.beat()
    except TelegramError as exc:
        log.warning("Telegram did not answer the health probe: %s", exc.__class__.__name__)


async def announcement_due(context: BotContext) -> None:
    job = context.job
    assert job is not None
    announcement_id = job.data
    assert isinstance(announcement_id, int)
    store = context.announcements
    a = store.get(announcement_id)
    log.info("scheduled announcement %d is due", announcement_id)
    # launch() starts it only if it is still scheduled: a cancel that raced this job wins
    await context.broadcaster.launch(a.id, a.created_by, actor=a.created_by)


def _name(announcement_id: int) -> str:
    return f"announcement:{announcement_id}"


def schedule(queue: JobQueue, a: Announcement) -> None:
    unschedule(queue, a.id)
    when = dt.datetime.fromisoformat(a.scheduled_at or "")
    now = dt.datetime.now(dt.UTC)
    queue.run_once(announcement_due, when=max(when, now), data=a.id, name=_name(a.id))


def unschedule(queue: JobQueue, announcement_id: int) -> None:
    for job in queue.get_jobs_by_name(_name(announcement_id)):
        job.schedule_removal()


def start(app: Application, webhook: bool) -> None:
    """At start: the purge (now, then every six hours), the probe in webhook mode, and a job for
    every announcement still scheduled."""
    queue = app.job_queue
    assert queue is not None, "python-telegram-bot[job-queue] is required"
    queue.run_repeating(purge, interval=PURGE_EVERY, first=0, name="purge")
    if webhook:
        queue.run_repeating(probe, interval=PROBE_EVERY, first=PROBE_EVERY, name="probe")
    for a in app.bot_data["announcements"].pending():
        schedule(queue, a)
