"""Runs before every other handler: a user sending too much gets one notice, then silence."""

from __future__ import annotations

from html import escape

from telegram import Update
from telegram.ext import ApplicationHandlerStop

from bot.channels.telegram.context import BotContext
from bot.i18n import gettext
from bot.services.flood import FloodGuard, Verdict


async def guard(update: Update, context: BotContext) -> None:
    user = update.effective_user
    if user is None or (update.message is None and update.callback_query is None):
        return
    if context.roles.is_officer(user.id):
        return  # officers compose announcements and answer tickets in bursts
    flood: FloodGuard = context.flood
    verdict = flood.check(user.id)
    if verdict is Verdict.OK:
        return
    if update.callback_query is not None:
        await update.callback_query.answer()
    elif verdict is Verdict.NOTICE and update.message is not None:
        lang = context.language(update)
        await update.message.reply_text(
            escape(gettext(lang, "You are sending messages very fast. Please wait a minute, then ask again."))
        )
    raise ApplicationHandlerStop
