"""Reaching the services a handler needs from PTB's context, and the user's language."""

from __future__ import annotations

import functools
from collections.abc import Callable, Coroutine
from html import escape
from typing import Any

from telegram import Update
from telegram.ext import ContextTypes

from bot.app import Core
from bot.i18n import gettext, normalize_language
from bot.services.questions import QuestionLog
from bot.services.roles import Roles
from bot.services.users import Users

Handler = Callable[..., Coroutine[Any, Any, None]]


def core_of(context: ContextTypes.DEFAULT_TYPE) -> Core:
    return context.application.bot_data["core"]


def users_of(context: ContextTypes.DEFAULT_TYPE) -> Users:
    return context.application.bot_data["users"]


def user_language(update: Update, context: ContextTypes.DEFAULT_TYPE) -> str:
    """Stored language, else Telegram's language_code when vi/en, else Vietnamese; records the visit."""
    user = update.effective_user
    if user is None:
        return "vi"
    return users_of(context).seen(user.id, normalize_language(user.language_code) or "vi")


def questions_of(context: ContextTypes.DEFAULT_TYPE) -> QuestionLog:
    return context.application.bot_data["questions"]


def officers_chat(context: ContextTypes.DEFAULT_TYPE) -> int | None:
    """The officers' group chat id (OFFICERS_CHAT_ID), or None when not configured."""
    return context.application.bot_data["settings"].officers_chat_id


async def refuse(update: Update, lang: str) -> None:
    """The polite no for anyone reaching an officer-only command or button."""
    text = gettext(lang, "This is for commune officers only.")
    if update.callback_query is not None:
        await update.callback_query.answer(text, show_alert=True)
    elif update.effective_message is not None:
        await update.effective_message.reply_text(escape(text))


def _guarded(allowed: Callable[[Roles, int], bool]) -> Callable[[Handler], Handler]:
    def decorate(handler: Handler) -> Handler:
        @functools.wraps(handler)
        async def wrapper(update: Update, context: ContextTypes.DEFAULT_TYPE, *args: Any) -> None:
            user = update.effective_user
            if user is None:
                return
            if not allowed(context.application.bot_data["roles"], user.id):
                await refuse(update, user_language(update, context))
                return
            await handler(update, context, *args)

        return wrapper

    return decorate


#: Decorators for handlers (commands or callbacks) that only officers, or only admins, may use.
officers_only = _guarded(lambda roles, user_id: roles.is_officer(user_id))
admins_only = _guarded(lambda roles, user_id: roles.is_admin(user_id))
