"""The one error handler: what failed is logged with its traceback at ERROR, without personal data
(no message text, no exception message, which may quote it); the person gets a short apology; and
when ERROR_CHAT_ID is set, a short notice goes there so that someone looks at the logs."""

from __future__ import annotations

import contextlib
import datetime as dt
import logging
import traceback
from html import escape

from telegram import Update
from telegram.error import Forbidden, TelegramError

from bot.channels.telegram.context import BotContext
from bot.i18n import gettext

log = logging.getLogger(__name__)


def _kind(update: object) -> str:
    if isinstance(update, Update):
        for name in ("message", "edited_message", "callback_query", "inline_query", "channel_post"):
            if getattr(update, name, None) is not None:
                return name
        return "update"
    return "job" if update is None else type(update).__name__


def _where(err: BaseException) -> str:
    """The innermost frame of our own code, as file:line in function."""
    frames = [f for f in traceback.extract_tb(err.__traceback__) if "/bot/" in f.filename] or traceback.extract_tb(
        err.__traceback__
    )
    if not frames:
        return "?"
    f = frames[-1]
    return f"{f.filename.rsplit('/bot/', 1)[-1]}:{f.lineno} in {f.name}"


async def on_error(update: object, context: BotContext) -> None:
    err = context.error
    if err is None:
        return
    if isinstance(err, Forbidden):
        log.info("a user blocked the bot: %s", err.__class__.__name__)
        return
    stack = "".join(traceback.format_tb(err.__traceback__))
    log.error("%s failed with %s at %s\n%s", _kind(update), err.__class__.__name__, _where(err), stack.rstrip())
    settings = context.settings
    if settings.error_chat_id is not None:
        at = dt.datetime.now(dt.UTC).strftime("%Y-%m-%d %H:%M:%S UTC")
        notice = f"⚠️ {err.__class__.__name__} ({_kind(update)}) at {_where(err)}, {at}. See the bot's log."
        with contextlib.suppress(TelegramError):
            await context.bot.send_message(settings.error_chat_id, notice, parse_mode=None)
    if isinstance(update, Update) and update.effective_chat and not isinstance(err, TelegramError):
        lang = "vi"
        if update.effective_user:
            lang = context.users.language(update.effective_user.id) or "vi"
        with contextlib.suppress(TelegramError):
            await context.bot.send_message(
                update.effective_chat.id, escape(gettext(lang, "Sorry, something went wrong. Please try again."))
            )
