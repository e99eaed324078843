"""Delivering announcements from the persistent outbox, within Telegram's limits.

One worker task per process. It takes pending outbox rows (emergency first), paces them
through the broadcast RateLimiter, keeps up to ``concurrency`` sends in flight, and records
every outcome: sent (with message ids), blocked (403 / chat not found: the user is skipped
from then on), failed (after retries), or back to pending (RetryAfter pauses everyone;
transient errors back off). The officer's progress message is edited as it goes.
"""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import logging
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from html import escape

from telegram import Bot
from telegram.error import BadRequest, ChatMigrated, Forbidden, NetworkError, RetryAfter, TelegramError

from bot.i18n import format_number, gettext
from bot.knowledge.schema import Topic
from bot.services.announcements import Announcement, Announcements, OutboxRow
from bot.services.ratelimit import RateLimiter
from bot.services.subscriptions import Subscriptions

log = logging.getLogger(__name__)
CAPTION_LIMIT = 1024
PROGRESS_EVERY = 2.0  # seconds between progress edits


def announcement_html(a: Announcement, lang: str, topics: dict[str, Topic]) -> str:
    """The announcement exactly as a recipient sees it."""
    names = " · ".join(topics[t].title.get(lang) for t in a.topics if t in topics)
    header = f"🚨 <b>{escape(names.upper())}</b>" if a.emergency else f"📢 <b>{escape(names)}</b>"
    text = a.text_en if lang == "en" and a.text_en else a.text_vi
    footer = escape(gettext(lang, "Bình Lư commune · /thongbao to choose what you receive"))
    return f"{header}\n\n{escape(text)}\n\n<i>{footer}</i>"


async def send_announcement(bot: Bot, chat_id: int, a: Announcement, lang: str, topics: dict[str, Topic]) -> list[int]:
    """Send one recipient's copy; returns the message ids (two when a photo's caption is too short)."""
    html = announcement_html(a, lang, topics)
    if a.photo:
        if len(html) <= CAPTION_LIMIT:
            msg = await bot.send_photo(chat_id, a.photo, caption=html)
            return [msg.message_id]
        photo = await bot.send_photo(chat_id, a.photo)
        text = await bot.send_message(chat_id, html)
        return [photo.message_id, text.message_id]
    msg = await bot.send_message(chat_id, html)
    return [msg.message_id]


def progress_text(counts: dict[str, int], lang: str, final: bool) -> str:
    n = lambda v: format_number(v, lang, 0)
    if not final:
        return gettext(lang, "Sending… {sent}/{total}").format(sent=n(counts["done"]), total=n(counts["total"]))
    return gettext(lang, "Finished: {sent} sent, {blocked} blocked or gone, {failed} failed (of {total}).").format(
        sent=n(counts["sent"]), blocked=n(counts["blocked"]), failed=n(counts["failed"]), total=n(counts["total"])
    )


def paced(limiter: RateLimiter) -> Callable[[str], Awaitable[None]]:
    """The hook that makes each of the broadcast bot's requests take a slot of the pace as it leaves
    (see http.Observed); getMe, logOut and close are not messages."""

    async def before(url: str) -> None:
        if not url.endswith(("/getMe", "/logOut", "/close")):
            await limiter.acquire()

    return before


@dataclass(frozen=True)
class Recall:
    deleted: int  # copies deleted now
    remaining: int  # copies still at the recipients (to recall again)


class Broadcaster:
    def __init__(
        self,
        bot: Bot,
        store: Announcements,
        subscriptions: Subscriptions,
        topics: list[Topic],
        limiter: RateLimiter,
        concurrency: int = 32,
        channel_id: int | None = None,
        officer_lang: Callable[[int], str] = lambda user_id: "vi",
    ) -> None:
        self.bot = bot
        self.store = store
        self.subscriptions = subscriptions
        self.topics = {t.id: t for t in topics}
        self.limiter = limiter
        self.concurrency = concurrency
        self.channel_id = channel_id
        self.officer_lang = officer_lang
        self.wake = asyncio.Event()
        self.stopping = asyncio.Event()
        self.tasks: set[asyncio.Task] = set()
        self._last_progress: dict[int, float] = {}
        self._cache: dict[int, tuple[float, Announcement]] = {}
        self._runner: asyncio.Task | None = None

    # --- lifecycle ----------------------------------------------------------------------
    def start(self) -> None:
        recovered = self.store.recover()
        if recovered:
            log.info("resuming broadcasts: %d message(s) were in flight at the last stop", recovered)
        self._runner = asyncio.create_task(self.run(), name="broadcaster")

    async def stop(self, timeout: float = 10.0) -> None:
        """Stop taking rows, let the sends in flight finish (their outcome is recorded)."""
        self.stopping.set()
        self.wake.set()
        if self._runner:
            try:
                await asyncio.wait_for(self._runner, timeout)
            except TimeoutError:
                self._runner.cancel()

    def kick(self) -> None:
        self.wake.set()

    # --- launching ----------------------------------------------------------------------------
    async def launch(self, announcement_id: int, report_chat_id: int | None, actor: int | None = None) -> int | None:
        """Create the outbox for an announcement and start sending; returns the recipient count, or
        None when it was not ready to go (a second tap on "Send now", or cancelled meanwhile)."""
        a = self.store.get(announcement_id)
        recipients = self.subscriptions.recipients(a.topics, a.villages or None)
        total = self.store.start(announcement_id, recipients, channel_id=self.channel_id, actor=actor)
        if total is None:
            return None
        if report_chat_id is not None:
            lang = self.officer_lang(report_chat_id)
            try:
                msg = await self.bot.send_message(
                    report_chat_id, escape(progress_text(self.store.progress(a.id), lang, False))
                )
                self.store.update(a.id, progress_chat_id=report_chat_id, progress_message_id=msg.message_id)
            except TelegramError as exc:
                log.warning("could not send the progress message: %s", exc.__class__.__name__)
        self.kick()
        return total

    # --- the loop ----------------------------------------------------------------------------
    async def run(self) -> None:
        while not self.stopping.is_set():
            try:
                free = self.concurrency - len(self.tasks)
                rows = self.store.next_rows(free) if free > 0 else []
                for row in rows:
                    task = asyncio.create_task(self._deliver(row))
                    self.tasks.add(task)
                    task.add_done_callback(self.tasks.discard)
                if self.tasks and len(self.tasks) >= self.concurrency:
                    await asyncio.wait(self.tasks, return_when=asyncio.FIRST_COMPLETED)
                elif not rows:
                    self.wake.clear()
                    with contextlib.suppress(TimeoutError):
                        await asyncio.wait_for(self.wake.wait(), 0.5)
                    await self._report_all()
            except Exception:  # the worker must survive anything; the rows stay in the outbox
                log.exception("broadcast worker error")
                await asyncio.sleep(1)
        if self.tasks:
            await asyncio.wait(self.tasks)

    def _announcement(self, announcement_id: int) -> Announcement:
        """The announcement, read at most once a second while it is being sent."""
        cached = self._cache.get(announcement_id)
        now = time.monotonic()
        if cached is None or now - cached[0] > 1.0:
            cached = (now, self.store.get(announcement_id))
            self._cache[announcement_id] = cached
        return cached[1]

    async def _deliver(self, row: OutboxRow) -> None:
        a = self._announcement(row.announcement_id)
        try:
            await self.limiter.acquire_chat(row.chat_id)
            ids = await send_announcement(self.bot, row.chat_id, a, row.lang, self.topics)
            self.store.sent(row.id, ids)
        except RetryAfter as exc:
            wait = exc.retry_after.total_seconds() if isinstance(exc.retry_after, dt.timedelta) else exc.retry_after
            log.warning("Telegram asked to slow down: pausing broadcasts for %ss", wait)
            self.limiter.pause(float(wait))
            self.store.retry(row, "RetryAfter", float(wait), count=False)
        except Forbidden as exc:
            self.store.blocked(row.id, str(exc))
            self.subscriptions.mark_inactive(row.user_id)
        except ChatMigrated as exc:
            self.subscriptions.move_chat(row.user_id, exc.new_chat_id)
            self.store.move_chat(row, exc.new_chat_id)
        except BadRequest as exc:
            if "chat not found" in str(exc).lower() or "user is deactivated" in str(exc).lower():
                self.store.blocked(row.id, str(exc))
                self.subscriptions.mark_inactive(row.user_id)
            else:
                self.store.failed(row.id, str(exc))
        except NetworkError as exc:  # includes TimedOut and 5xx answers
            self.store.retry(row, f"{exc.__class__.__name__}: {exc}", delay=min(2 ** (row.attempts + 1), 60))
        except TelegramError as exc:
            self.store.retry(row, f"{exc.__class__.__name__}: {exc}", delay=min(2 ** (row.attempts + 1), 60))
        except Exception as exc:  # never lose a row to an unexpected error
            log.exception("unexpected error sending an announcement")
            self.store.retry(row, f"{exc.__class__.__name__}", delay=30)
        finally:
            self.wake.set()
        await self._report(a.id)

    async def _report_all(self) -> None:
        for a in self.store.sending():
            await self._report(a.id)

    async def _report(self, announcement_id: int) -> None:
        """Edit the officer's progress message every few seconds, and the final report once."""
        now = time.monotonic()
        if now - self._last_progress.get(announcement_id, 0) < PROGRESS_EVERY and self.tasks:
            return  # more deliveries will follow and report; the idle loop catches the end
        self._last_progress[announcement_id] = now
        finished = self.store.finish_if_done(announcement_id)
        a = self.store.get(announcement_id)
        if a.progress_chat_id is None or a.progress_message_id is None:
            return
        lang = self.officer_lang(a.progress_chat_id)
        text = progress_text(self.store.progress(announcement_id), lang, finished)
        try:
            await self.bot.edit_message_text(escape(text), a.progress_chat_id, a.progress_message_id)
        except BadRequest:
            pass  # "message is not modified" and the like
        except TelegramError as exc:
            log.info("progress edit failed: %s", exc.__class__.__name__)

    # --- recall ---------------------------------------------------------------------------------
    async def recall(self, announcement_id: int, actor: int) -> Recall | None:
        """Delete the sent copies (Telegram allows it for 48 hours). Nothing more goes out from the
        moment it starts; copies in flight then are deleted once they land. A copy is marked
        recalled only when Telegram deleted it (or it was already gone); RetryAfter is waited out
        and the same message tried again. Returns what was deleted and what remains, or None when
        a recall of it is already running or it was never sent."""
        if not self.store.claim_recall(announcement_id):
            return None
        deleted, tried = 0, set()
        deadline = time.monotonic() + 60
        while True:
            rows = [r for r in self.store.recallable(announcement_id) if r[0] not in tried]
            if not rows:
                if not self.store.in_flight(announcement_id) or self.stopping.is_set() or time.monotonic() > deadline:
                    break
                await asyncio.sleep(0.2)  # copies still in flight: delete them once they land
                continue
            for row_id, chat_id, message_ids in rows:
                tried.add(row_id)
                gone = [await self._delete(chat_id, m) for m in message_ids]
                if all(gone):
                    self.store.recalled(row_id)
                    deleted += 1
        remaining = self.store.end_recall(announcement_id, actor, deleted)
        return Recall(deleted, remaining)

    async def _delete(self, chat_id: int, message_id: int, tries: int = 5) -> bool:
        """True when the message is gone at Telegram (deleted now, or already)."""
        for _ in range(tries):
            await self.limiter.acquire_chat(chat_id)
            try:
                await self.bot.delete_message(chat_id, message_id)
                return True
            except RetryAfter as exc:
                wait = exc.retry_after
                seconds = wait.total_seconds() if isinstance(wait, dt.timedelta) else float(wait)
                log.warning("Telegram asked to slow down during a recall: waiting %ss", seconds)
                self.limiter.pause(seconds)
            except BadRequest as exc:
                if "not found" in str(exc).lower():
                    return True  # the person deleted it already
                log.info("a recalled copy could not be deleted: %s", exc)
                return False
            except Forbidden:
                return True  # the person blocked the bot: the chat, and the copy with it, are gone for us
            except TelegramError as exc:
                log.info("a recalled copy could not be deleted yet: %s", exc.__class__.__name__)
                await asyncio.sleep(1)
        return False
