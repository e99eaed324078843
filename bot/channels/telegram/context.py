"""Reaching the services a handler needs from PTB's context, and the user's language."""

from __future__ import annotations

from telegram import Update
from telegram.ext import ContextTypes

from bot.app import Core
from bot.i18n import normalize_language
from bot.services.questions import QuestionLog
from bot.services.users import Users


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
