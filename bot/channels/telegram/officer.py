"""Officer tools in Telegram: managing officers (admins), composing, scheduling and recalling
announcements. Every command and button here checks the role first; forged callback data
from anyone else gets a polite refusal and changes nothing."""

from __future__ import annotations

import datetime as dt
import re
from html import escape

from telegram import InlineKeyboardButton, InlineKeyboardMarkup, Message, MessageOriginUser, Update, User
from telegram.ext import ConversationHandler

from bot.channels.telegram import jobs
from bot.channels.telegram import keyboards as kb
from bot.channels.telegram.broadcast import send_announcement
from bot.channels.telegram.context import BotContext, admins_only, command, officers_only
from bot.i18n import format_number, gettext
from bot.services.announcements import Announcement
from bot.services.subscriptions import Subscriptions

VIETNAM = dt.timezone(dt.timedelta(hours=7), "ICT")  # no daylight saving in Vietnam
MAX_TEXT = 3500


# --- officers (admins only) ---------------------------------------------------------------------
def _target_user(message: Message, args: list[str]) -> int | None:
    if len(args) >= 2 and re.fullmatch(r"\d{1,15}", args[1]):
        return int(args[1])
    replied = message.reply_to_message
    if replied is not None and isinstance(replied.forward_origin, MessageOriginUser):
        return replied.forward_origin.sender_user.id
    return None


@admins_only
@command
async def officer_command(update: Update, context: BotContext, message: Message, user: User, lang: str) -> None:
    """/officer add <id> | /officer remove <id> (or reply to a forwarded message) | /officer list"""
    roles = context.roles
    args = context.args or []
    action = args[0] if args else "list"
    if action in ("add", "remove"):
        target = _target_user(message, args)
        if target is None:
            await message.reply_text(
                escape(
                    gettext(
                        lang,
                        "Give the person's Telegram user id (/officer add 123456789), or reply with this "
                        "command to a message they sent you that you forwarded here.",
                    )
                )
            )
            return
        if action == "add":
            roles.add_officer(user.id, target)
            await message.reply_text(escape(gettext(lang, "{id} is now an officer.").format(id=target)))
        else:
            roles.remove_officer(user.id, target)
            await message.reply_text(escape(gettext(lang, "{id} is no longer an officer.").format(id=target)))
        return
    officers = roles.officers()
    listing = "\n".join(str(o) for o in officers) or gettext(lang, "(none yet)")
    await message.reply_text(escape(gettext(lang, "Officers:") + "\n" + listing))


# --- composing -------------------------------------------------------------------------------
def _audience_markup(a: Announcement, subs: Subscriptions, lang: str) -> InlineKeyboardMarkup:
    rows = [
        [InlineKeyboardButton(("✅ " if t in a.topics else "⬜ ") + topic.title.get(lang), callback_data=f"a:t:{t}")]
        for t, topic in subs.topics.items()
    ]
    for i, v in enumerate(subs.villages):
        rows.append([InlineKeyboardButton(("✅ " if v in a.villages else "⬜ ") + v, callback_data=f"a:v:{i}")])
    rows.append(
        [
            InlineKeyboardButton(gettext(lang, "Next ▶"), callback_data="a:next"),
            InlineKeyboardButton(gettext(lang, "Cancel"), callback_data="a:cancel"),
        ]
    )
    return InlineKeyboardMarkup(rows)


def _audience_text(subs: Subscriptions, lang: str) -> str:
    text = gettext(lang, "New announcement. Choose the topics it belongs to")
    if subs.villages:
        text += gettext(lang, " and, to reach only some villages, those villages (none chosen = everyone)")
    return text + "."


def draft_state(context: BotContext, officer: int) -> object:
    """The /announce conversation's state: the stage of the officer's draft, or its end."""
    a = context.announcements.draft_of(officer)
    return a.stage if a is not None else ConversationHandler.END


@officers_only
@command
async def announce(update: Update, context: BotContext, message: Message, user: User, lang: str) -> object:
    a = context.announcements.new_draft(user.id)
    subs = context.subscriptions
    await message.reply_text(escape(_audience_text(subs, lang)), reply_markup=_audience_markup(a, subs, lang))
    return a.stage


async def compose_input(update: Update, context: BotContext) -> object:
    """Text or a photo for the officer's draft (a state of the /announce conversation); returns the
    conversation's next state, which is the draft's stage."""
    message, user = update.effective_message, update.effective_user
    if message is None or user is None:
        return ConversationHandler.END
    store = context.announcements
    a = store.draft_of(user.id)
    if a is None or a.stage not in ("text", "text_en", "when") or not context.roles.is_officer(user.id):
        return draft_state(context, user.id)
    lang = context.language(update)
    text = message.text or message.caption or ""
    if a.stage == "when":
        when = parse_when(text)
        now = dt.datetime.now(dt.UTC)
        if when is None or when <= now:
            await message.reply_text(
                escape(gettext(lang, "Please give a future time as dd/mm/yyyy hh:mm (Vietnam time)."))
            )
        elif store.schedule(a.id, when, user.id):
            if context.job_queue is not None:
                jobs.schedule(context.job_queue, store.get(a.id))
            local = when.astimezone(VIETNAM).strftime("%d/%m/%Y %H:%M")
            await message.reply_text(
                escape(gettext(lang, "Scheduled for {when} (Vietnam time). /pending lists it.").format(when=local))
            )
        return draft_state(context, user.id)
    if len(text) > MAX_TEXT:
        await message.reply_text(
            escape(gettext(lang, "The text is too long: at most {n} characters.").format(n=MAX_TEXT))
        )
        return draft_state(context, user.id)
    if a.stage == "text":
        photo = message.photo[-1].file_id if message.photo else ""
        if not text.strip() and not photo:
            await message.reply_text(
                escape(gettext(lang, "Please send the text of the announcement (and optionally one photo)."))
            )
            return draft_state(context, user.id)
        store.update(a.id, text_vi=text.strip(), photo=photo, stage="text_en")
        await message.reply_text(
            escape(gettext(lang, "Now send the English version, or tap Skip.")),
            reply_markup=InlineKeyboardMarkup(
                [
                    [
                        InlineKeyboardButton(gettext(lang, "Skip"), callback_data="a:skip"),
                        InlineKeyboardButton(gettext(lang, "Cancel"), callback_data="a:cancel"),
                    ]
                ]
            ),
        )
    else:  # text_en
        store.update(a.id, text_en=text.strip(), stage="preview")
        await _preview(message, context, store.get(a.id), lang)
    return draft_state(context, user.id)


def parse_when(text: str) -> dt.datetime | None:
    """'25/12/2026 07:30', '07:30 25/12/2026' or '25/12 07:30' in Vietnam time → aware UTC datetime."""
    text = text.strip()
    m = re.fullmatch(r"(\d{1,2})/(\d{1,2})(?:/(\d{4}))?\s+(\d{1,2})[:h](\d{2})", text) or None
    if m is None:
        m2 = re.fullmatch(r"(\d{1,2})[:h](\d{2})\s+(\d{1,2})/(\d{1,2})(?:/(\d{4}))?", text)
        if m2 is None:
            return None
        hour, minute, day, month, year = m2.groups()
    else:
        day, month, year, hour, minute = m.groups()
    now = dt.datetime.now(VIETNAM)
    try:
        local = dt.datetime(int(year or now.year), int(month), int(day), int(hour), int(minute), tzinfo=VIETNAM)
    except ValueError:
        return None
    return local.astimezone(dt.UTC)


async def _preview(message: Message, context: BotContext, a: Announcement, lang: str) -> None:
    subs = context.subscriptions
    recipients = subs.recipients(a.topics, a.villages or None)
    english = sum(r.lang == "en" for r in recipients)
    await message.reply_text(escape(gettext(lang, "Preview, exactly as recipients will see it:")))
    await send_announcement(context.bot, message.chat_id, a, "vi", subs.topics)
    if a.text_en:
        await send_announcement(context.bot, message.chat_id, a, "en", subs.topics)
    summary = gettext(lang, "It will go to {n} people ({en} of them in English).").format(
        n=format_number(len(recipients), lang, 0), en=format_number(english if a.text_en else 0, lang, 0)
    )
    await message.reply_text(
        escape(summary),
        reply_markup=InlineKeyboardMarkup(
            [
                [
                    InlineKeyboardButton(gettext(lang, "Send now"), callback_data="a:send"),
                    InlineKeyboardButton(gettext(lang, "Schedule"), callback_data="a:sched"),
                    InlineKeyboardButton(gettext(lang, "Cancel"), callback_data="a:cancel"),
                ]
            ]
        ),
    )


@officers_only
async def manage_button(update: Update, context: BotContext, data: kb.Callback, message: Message, lang: str) -> None:
    """Cancel a scheduled announcement, or recall a sent one."""
    query, user = update.callback_query, update.effective_user
    if query is None or user is None:
        return
    announcement_id = int(data.extra)
    if data.arg == "unsched":
        ok = context.announcements.cancel(announcement_id, user.id)
        if ok and context.job_queue is not None:
            jobs.unschedule(context.job_queue, announcement_id)
        await query.answer(gettext(lang, "Cancelled.") if ok else gettext(lang, "Too late to cancel."))
    else:
        await recall(update, context, announcement_id, message, lang)


@officers_only
async def compose_button(update: Update, context: BotContext, data: kb.Callback, message: Message, lang: str) -> None:
    """The buttons of an officer's draft: audience, next, skip, schedule, send now, cancel."""
    query, user = update.callback_query, update.effective_user
    if query is None or user is None:
        return
    store, subs = context.announcements, context.subscriptions
    action, arg = data.arg, data.extra
    a = store.draft_of(user.id)
    if a is None:
        await query.answer(gettext(lang, "This draft is closed. Start again with /announce."))
        return
    if action == "cancel":
        if not store.cancel(a.id, user.id):
            await query.answer(gettext(lang, "Already handled."))
            return
        await query.answer(gettext(lang, "Cancelled."))
        await message.edit_text(escape(gettext(lang, "Announcement cancelled.")))
    elif action == "t" and a.stage == "audience" and arg in subs.topics:
        topics = [t for t in a.topics if t != arg] if arg in a.topics else [*a.topics, arg]
        a = store.update(a.id, topics=topics, emergency=int(any(subs.topics[t].emergency for t in topics)))
        await query.answer()
        await message.edit_reply_markup(_audience_markup(a, subs, lang))
    elif action == "v" and a.stage == "audience" and arg.isdigit() and int(arg) < len(subs.villages):
        village = subs.villages[int(arg)]
        villages = [v for v in a.villages if v != village] if village in a.villages else [*a.villages, village]
        a = store.update(a.id, villages=villages)
        await query.answer()
        await message.edit_reply_markup(_audience_markup(a, subs, lang))
    elif action == "next" and a.stage == "audience":
        if not a.topics:
            await query.answer(gettext(lang, "Choose at least one topic."), show_alert=True)
            return
        if store.advance(a.id, "audience", "text") is None:
            await query.answer(gettext(lang, "Already handled."))
            return
        await query.answer()
        await message.edit_text(
            escape(gettext(lang, "Send the text of the announcement (and optionally one photo with it)."))
        )
    elif action == "skip" and a.stage == "text_en":
        ready = store.advance(a.id, "text_en", "preview")
        if ready is None:
            await query.answer(gettext(lang, "Already handled."))
            return
        await query.answer()
        await _preview(message, context, ready, lang)
    elif action == "sched" and a.stage == "preview":
        if store.advance(a.id, "preview", "when") is None:
            await query.answer(gettext(lang, "Already handled."))
            return
        await query.answer()
        await message.reply_text(escape(gettext(lang, "When should it go out? Send dd/mm/yyyy hh:mm (Vietnam time).")))
    elif action == "send" and a.stage == "preview":
        total = await context.broadcaster.launch(a.id, message.chat_id, actor=user.id)
        await query.answer(gettext(lang, "Sending…") if total is not None else gettext(lang, "Already sent."))
    else:
        await query.answer(gettext(lang, "This button is no longer valid. Here is the menu."))


async def recall(update: Update, context: BotContext, announcement_id: int, message: Message | None, lang: str) -> None:
    query = update.callback_query
    user = update.effective_user
    if query is None or user is None:
        return
    await query.answer(gettext(lang, "Recalling…"))
    done = await context.broadcaster.recall(announcement_id, user.id)
    if message is None:
        return
    if done is None:
        await message.reply_text(
            escape(gettext(lang, "A recall of this announcement is already running, or it is over."))
        )
        return
    text = gettext(lang, "Recalled: {n} message(s) deleted.").format(n=format_number(done.deleted, lang, 0))
    markup = None
    if done.remaining:
        text += "\n" + gettext(lang, "{n} copy(ies) could not be deleted yet. Tap Recall to try them again.").format(
            n=format_number(done.remaining, lang, 0)
        )
        markup = _recall_markup(announcement_id, lang)
    await message.reply_text(escape(text), reply_markup=markup)


def _recall_markup(announcement_id: int, lang: str) -> InlineKeyboardMarkup:
    return InlineKeyboardMarkup(
        [[InlineKeyboardButton(gettext(lang, "Recall"), callback_data=f"a:recall:{announcement_id}")]]
    )


@officers_only
@command
async def pending(update: Update, context: BotContext, message: Message, user: User, lang: str) -> None:
    items = context.announcements.pending()
    if not items:
        await message.reply_text(escape(gettext(lang, "No scheduled announcements.")))
        return
    for a in items:
        when = dt.datetime.fromisoformat(a.scheduled_at or "").astimezone(VIETNAM).strftime("%d/%m/%Y %H:%M")
        await message.reply_text(
            f"<b>#{a.id}</b> · {escape(when)}\n{escape(a.text_vi[:300])}",
            reply_markup=InlineKeyboardMarkup(
                [[InlineKeyboardButton(gettext(lang, "Cancel"), callback_data=f"a:unsched:{a.id}")]]
            ),
        )


@officers_only
@command
async def sent(update: Update, context: BotContext, message: Message, user: User, lang: str) -> None:
    store = context.announcements
    items = store.recent()
    if not items:
        await message.reply_text(escape(gettext(lang, "Nothing sent yet.")))
        return
    for a in items:
        p = store.progress(a.id)
        line = gettext(lang, "{sent} sent, {blocked} blocked, {failed} failed of {total}").format(
            sent=p["sent"], blocked=p["blocked"], failed=p["failed"], total=p["total"]
        )
        buttons = None
        if (
            a.stage != "recalled"
            and a.started_at
            and (dt.datetime.now(dt.UTC) - dt.datetime.fromisoformat(a.started_at) < dt.timedelta(hours=47))
        ):
            buttons = _recall_markup(a.id, lang)
        await message.reply_text(
            f"<b>#{a.id}</b> · {escape(a.stage)} · {escape(line)}\n{escape(a.text_vi[:300])}",
            reply_markup=buttons,
        )
