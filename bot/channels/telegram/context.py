"""The handlers' context: a typed CallbackContext (PTB's custom ContextTypes) that reaches the
services every handler needs as attributes, and the user's language; the officer guards."""

from __future__ import annotations

import functools
from collections.abc import Callable, Coroutine
from html import escape
from typing import TYPE_CHECKING, Any

from telegram import Message, Update
from telegram.ext import Application, CallbackContext, ContextTypes, ExtBot

from bot.app import Core
from bot.channels.telegram import keyboards as kb
from bot.i18n import gettext, normalize_language
from bot.services.announcements import Announcements
from bot.services.dialogue import Dialogues
from bot.services.flood import FloodGuard
from bot.services.heartbeat import Heartbeat
from bot.services.indicators import Indicators
from bot.services.questions import QuestionLog
from bot.services.roles import Roles
from bot.services.subscriptions import Subscriptions
from bot.services.tickets import Tickets
from bot.services.users import Users
from bot.settings import Settings

if TYPE_CHECKING:
    from bot.channels.telegram.broadcast import Broadcaster


class BotContext(CallbackContext[ExtBot, dict, dict, dict]):
    """``context`` in every handler and job of this bot."""

    def _service(self, name: str) -> Any:
        return self.application.bot_data[name]

    @property
    def core(self) -> Core:
        return self._service("core")

    @property
    def settings(self) -> Settings:
        return self._service("settings")

    @property
    def users(self) -> Users:
        return self._service("users")

    @property
    def roles(self) -> Roles:
        return self._service("roles")

    @property
    def questions(self) -> QuestionLog:
        return self._service("questions")

    @property
    def tickets(self) -> Tickets:
        return self._service("tickets")

    @property
    def indicators(self) -> Indicators:
        return self._service("indicators")

    @property
    def subscriptions(self) -> Subscriptions:
        return self._service("subscriptions")

    @property
    def announcements(self) -> Announcements:
        return self._service("announcements")

    @property
    def broadcaster(self) -> Broadcaster:
        return self._service("broadcaster")

    @property
    def dialogues(self) -> Dialogues:
        return self._service("dialogues")

    @property
    def heartbeat(self) -> Heartbeat:
        return self._service("heartbeat")

    @property
    def flood(self) -> FloodGuard:
        return self._service("flood")

    @property
    def officers_chat(self) -> int | None:
        """The officers' group chat id (OFFICERS_CHAT_ID), or None when not configured."""
        return self.settings.officers_chat_id

    def language(self, update: Update) -> str:
        """Stored language, else Telegram's language_code when vi/en, else Vietnamese; records the visit."""
        user = update.effective_user
        if user is None:
            return "vi"
        return self.users.seen(user.id, normalize_language(user.language_code) or "vi")


CONTEXT_TYPES = ContextTypes(context=BotContext)
BotApplication = Application[ExtBot, BotContext, dict, dict, dict, Any]
Handler = Callable[..., Coroutine[Any, Any, Any]]


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
        async def wrapper(update: Update, context: BotContext, *args: Any) -> Any:
            user = update.effective_user
            if user is None:
                return None
            if not allowed(context.roles, user.id):
                await refuse(update, context.language(update))
                return None
            return await handler(update, context, *args)

        return wrapper

    return decorate


#: Decorators for handlers (commands or callbacks) that only officers, or only admins, may use.
officers_only = _guarded(lambda roles, user_id: roles.is_officer(user_id))
admins_only = _guarded(lambda roles, user_id: roles.is_admin(user_id))


ButtonHandler = Callable[[Update, BotContext, "kb.Callback", Message, str], Coroutine[Any, Any, Any]]


async def stale_button(update: Update, context: BotContext) -> None:
    """A button whose data no handler knows (forged, or from an older version): a polite answer
    and the menu."""
    query = update.callback_query
    if query is None:
        return
    lang = context.language(update)
    await query.answer(gettext(lang, "This button is no longer valid. Here is the menu."))
    if isinstance(query.message, Message):
        await query.message.reply_text(
            escape(gettext(lang, "What would you like to know?")), reply_markup=kb.main_menu(lang)
        )


def button(handler: ButtonHandler) -> Callable[[Update, BotContext], Coroutine[Any, Any, Any]]:
    """A CallbackQueryHandler callback from a handler of one family of buttons: it receives the
    parsed data, the message the button is under and the user's language."""

    @functools.wraps(handler)
    async def wrapper(update: Update, context: BotContext) -> Any:
        query = update.callback_query
        data = kb.parse(query.data if query else None)
        if query is None or data is None or not isinstance(query.message, Message):
            await stale_button(update, context)
            return None
        return await handler(update, context, data, query.message, context.language(update))

    return wrapper


def command(handler: Handler) -> Callable[[Update, BotContext], Coroutine[Any, Any, Any]]:
    """A handler of a command or message, given the message, its sender and their language (a
    command always has both; anything else is ignored)."""

    @functools.wraps(handler)
    async def wrapper(update: Update, context: BotContext) -> Any:
        message, user = update.effective_message, update.effective_user
        if message is None or user is None:
            return None
        return await handler(update, context, message, user, context.language(update))

    return wrapper
