"""Handing a question to the officers: the 🙋 button posts it as a ticket to the officers' group, an
officer's reply there goes back to the person, and /phananh shows where it stands."""

from __future__ import annotations

import logging
from html import escape

from telegram import Message, Update, User
from telegram.error import BadRequest, Forbidden, TelegramError
from telegram.ext import ApplicationHandlerStop

from bot.channels.telegram import keyboards as kb
from bot.channels.telegram.context import BotContext, command
from bot.i18n import gettext
from bot.services.roles import Roles

log = logging.getLogger(__name__)


async def on_ask(update: Update, context: BotContext, data: kb.Callback, message: Message, lang: str) -> None:
    await ask_officer(update, context, data.page, message, lang)


async def ask_officer(update: Update, context: BotContext, log_id: int, message: Message, lang: str) -> None:
    query, user = update.callback_query, update.effective_user
    group = context.officers_chat
    qlog = context.questions
    logged = qlog.get(log_id)
    if query is None or user is None:
        return
    if group is None or logged is None or logged["user_hash"] != qlog.user_hash(user.id):
        await query.answer(gettext(lang, "This button is no longer valid. Here is the menu."))
        return
    tickets = context.tickets
    ticket_id, new = tickets.open(user.id, message.chat_id, lang, logged["text"], log_id=log_id)
    if not new:
        await query.answer(
            gettext(lang, "Already sent to the officers as question #{id}.").format(id=ticket_id), show_alert=True
        )
        return
    text = gettext("vi", "🎫 Question #{id} ({lang}):").format(id=ticket_id, lang=lang) + "\n\n"
    text += (
        escape(logged["text"])
        + "\n\n<i>"
        + escape(gettext("vi", "Reply to this message to answer; the bot passes your reply on to the person."))
        + "</i>"
    )
    try:
        posted = await context.bot.send_message(group, text)
    except TelegramError as exc:
        log.error("could not post a ticket to the officers' group: %s", exc.__class__.__name__)
        tickets.discard(ticket_id)
        await query.answer(
            gettext(lang, "Sorry, the officers cannot be reached right now. Please try later."), show_alert=True
        )
        return
    tickets.posted(ticket_id, group, posted.message_id)
    await query.answer()
    await message.reply_text(
        escape(
            gettext(
                lang,
                "Sent to the commune officers as question #{id}. Their answer will come here; "
                "check it any time with /phananh {id}.",
            ).format(id=ticket_id)
        )
    )


async def officer_reply(update: Update, context: BotContext) -> None:
    """In the officers' group: a reply to a ticket message goes back to the person who asked."""
    message, user = update.effective_message, update.effective_user
    group = context.officers_chat
    if message is None or user is None or group is None or message.chat_id != group:
        return
    replied = message.reply_to_message
    if replied is None or not message.text:
        return
    tickets = context.tickets
    ticket = tickets.by_group_message(group, replied.message_id)
    if ticket is None:
        return
    roles: Roles = context.roles
    if not roles.is_officer(user.id):
        await message.reply_text(escape(gettext("vi", "This is for commune officers only.")))
        raise ApplicationHandlerStop
    delivered = False
    if ticket["chat_id"] is not None:
        lang = ticket["lang"] or "vi"
        text = gettext(lang, "📩 The commune's answer to your question #{id}:").format(id=ticket["id"])
        text += f"\n\n<i>{escape(ticket['question'])}</i>\n\n{escape(message.text)}"
        try:
            await context.bot.send_message(ticket["chat_id"], text)
            delivered = True
        except (Forbidden, BadRequest) as exc:
            log.info("ticket reply undeliverable: %s", exc.__class__.__name__)
    tickets.answered(ticket["id"], message.text, user.id, delivered)
    roles.audit(user.id, "ticket.answer", {"id": ticket["id"], "delivered": delivered})
    note = (
        gettext("vi", "✅ Sent to the person who asked (#{id}).")
        if delivered
        else gettext("vi", "⚠️ Could not deliver #{id}: the person blocked the bot or deleted their data.")
    )
    await message.reply_text(escape(note.format(id=ticket["id"])))
    raise ApplicationHandlerStop


@command
async def phananh(update: Update, context: BotContext, message: Message, user: User, lang: str) -> None:
    """/phananh <số>: the status of one's own ticket."""
    args = context.args or []
    if not args or not args[0].lstrip("#").isdigit():
        await message.reply_text(escape(gettext(lang, "Give the question number, for example: /phananh 12")))
        return
    ticket = context.tickets.of_user(user.id, int(args[0].lstrip("#")))
    if ticket is None:
        await message.reply_text(escape(gettext(lang, "No question with that number is yours.")))
    elif ticket["status"] == "open":
        await message.reply_text(
            escape(gettext(lang, "Question #{id} is waiting for an officer's answer.").format(id=ticket["id"]))
        )
    else:
        await message.reply_text(
            escape(
                gettext(lang, "Question #{id} was answered:").format(id=ticket["id"])
                + "\n\n"
                + (ticket["answer"] or "")
            )
        )
