"""Votes on answers: 👍/👎 under every answer, one per person and question; a 👎 offers to ask an
officer (once: the keyboard never grows)."""

from __future__ import annotations

import contextlib

from telegram import InlineKeyboardMarkup, Message, Update
from telegram.error import BadRequest

from bot.channels.telegram import keyboards as kb
from bot.channels.telegram.context import BotContext
from bot.i18n import gettext


async def on_vote(update: Update, context: BotContext, data: kb.Callback, message: Message, lang: str) -> None:
    query, user = update.callback_query, update.effective_user
    if query is None or user is None:
        return
    qlog = context.questions
    logged = qlog.get(data.page) if data.page else None
    if data.page and (logged is None or logged["user_hash"] != qlog.user_hash(user.id)):
        await query.answer(gettext(lang, "This button is no longer valid. Here is the menu."))
        return
    qlog.vote(user.id, data.page, data.extra, up=data.arg == "u")
    await query.answer(gettext(lang, "Thank you for your feedback!"))
    markup = message.reply_markup
    if markup is not None:
        rows = [
            kb.feedback_row(data.page, data.extra, data.arg)
            if any(str(b.callback_data or "").startswith("f:") for b in row)
            else list(row)
            for row in markup.inline_keyboard
        ]
        asking = any(str(b.callback_data or "").startswith("k:") for row in rows for b in row)
        if data.arg == "d" and context.officers_chat is not None and data.page and not asking:
            rows.insert(-1, [kb.ask_officer_button(data.page, lang)])
        with contextlib.suppress(BadRequest):
            await message.edit_reply_markup(InlineKeyboardMarkup(rows))
