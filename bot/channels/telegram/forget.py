"""/xoadulieu (/forget): after a confirmation, everything stored about the person is deleted."""

from __future__ import annotations

from html import escape

from telegram import InlineKeyboardButton, InlineKeyboardMarkup, Message, Update, User

from bot.channels.telegram import keyboards as kb
from bot.channels.telegram.context import BotContext, command
from bot.i18n import gettext
from bot.services import privacy


async def on_confirm(update: Update, context: BotContext, data: kb.Callback, message: Message, lang: str) -> None:
    query, user = update.callback_query, update.effective_user
    if query is None or user is None:
        return
    if data.arg == "n":
        await query.answer()
        await message.edit_text(escape(gettext(lang, "Nothing was deleted.")))
        return
    privacy.forget(context.core.db, context.questions, context.tickets, user.id)
    await query.answer()
    await message.edit_text(
        escape(gettext(lang, "Done: everything stored about you has been deleted. Send /start to use the bot again."))
    )


@command
async def xoadulieu(update: Update, context: BotContext, message: Message, user: User, lang: str) -> None:
    await message.reply_text(
        escape(
            gettext(
                lang,
                "Delete everything stored about you: language, subscriptions, your logged questions and "
                "votes, and the link to your questions for officers? This cannot be undone.",
            )
        ),
        reply_markup=InlineKeyboardMarkup(
            [
                [
                    InlineKeyboardButton(gettext(lang, "Delete"), callback_data="x:y"),
                    InlineKeyboardButton(gettext(lang, "Cancel"), callback_data="x:n"),
                ]
            ]
        ),
    )
