"""/dangkyhomestay: a homestay owner lists their place; officers approve it in their group.

Name → village → phone → pin (optional) → one photo (optional) → short description, Vietnamese and
(optional) English → price range (optional) → preview → send. The request reaches the officers' chat
(OFFICERS_CHAT_ID) with Approve / Reject; nothing of it is shown before an officer approves. The
owner can withdraw their listing; an officer can hide any. The draft is kept in the database, so a
restart half-way loses nothing.
"""

from __future__ import annotations

import json
import re

from telegram import InlineKeyboardButton, InlineKeyboardMarkup, Message, Update, User
from telegram.ext import ConversationHandler

from bot.channels.telegram import keyboards as kb
from bot.channels.telegram.context import BotContext, command, officers_only
from bot.channels.telegram.render import escape
from bot.i18n import N_, gettext
from bot.knowledge.schema import VIETNAM, Location
from bot.services.homestays import MAX_NAME, Draft, Homestays, Invalid, phone, text

NAME, VILLAGE, PHONE, PIN, PHOTO, ABOUT, ABOUT_EN, PRICE, PREVIEW = (
    "name",
    "village",
    "phone",
    "pin",
    "photo",
    "about",
    "about_en",
    "price",
    "preview",
)
_COORDS = re.compile(r"^\s*(-?\d{1,3}(?:[.,]\d+)?)\s*[,;\s]\s*(-?\d{1,3}(?:[.,]\d+)?)\s*$")

_ASK = {
    VILLAGE: N_("Which village is it in?"),
    PHONE: N_("The phone number guests should call:"),
    PIN: N_("Send its location (📎 → Location), or tap Skip."),
    PHOTO: N_("Send one photo of the place, or tap Skip."),
    ABOUT: N_("A short description in Vietnamese (what guests find there):"),
    ABOUT_EN: N_("The same in English, or tap Skip:"),
    PRICE: N_("A price range per night, or tap Skip:"),
}


def _store(context: BotContext) -> Homestays:
    return context.core.homestays


def _draft(context: BotContext, user: int, draft: Draft | None = None, clear: bool = False) -> Draft | None:
    db, key = context.core.db, f"homestay_draft:{user}"
    if clear:
        db.execute("delete from kv where key = ?", [key])
        return None
    if draft is not None:
        db.table("kv").upsert({"key": key, "value": json.dumps(draft.__dict__, ensure_ascii=False)}, pk="key")
        return draft
    row = db.execute("select value from kv where key = ?", [key]).fetchone()
    return Draft(**json.loads(row[0])) if row else None


def _skip(lang: str) -> InlineKeyboardMarkup:
    return InlineKeyboardMarkup([[InlineKeyboardButton(gettext(lang, "Skip"), callback_data="hs:skip")]])


async def _ask(message: Message, context: BotContext, lang: str, state: str) -> str:
    markup: InlineKeyboardMarkup | None = None
    if state in (PIN, PHOTO, ABOUT_EN, PRICE):
        markup = _skip(lang)
    villages = context.core.commune.villages
    if state == VILLAGE and villages:
        rows = [[InlineKeyboardButton(v, callback_data=f"hs:v:{i}")] for i, v in enumerate(villages)]
        markup = InlineKeyboardMarkup(rows)
    await message.reply_text(escape(gettext(lang, _ASK[state])), reply_markup=markup)
    return state


async def start(update: Update, context: BotContext) -> object:
    """/dangkyhomestay, or "🏡 Bạn có homestay?": the owner's listings, then the first question."""
    message, user = update.effective_message, update.effective_user
    if message is None or user is None:
        return ConversationHandler.END
    lang = context.language(update)
    if update.callback_query is not None:
        await update.callback_query.answer()
    if message.chat.type != "private" and update.callback_query is None:
        await message.reply_text(escape(gettext(lang, "Please send /dangkyhomestay to me in a private chat.")))
        return ConversationHandler.END
    if context.officers_chat is None:
        await message.reply_text(escape(gettext(lang, "Listing is not open yet: please ask the commune.")))
        return ConversationHandler.END
    chat = update.effective_chat
    for row in _store(context).of_owner(user.id):
        status = gettext(lang, "approved") if row["status"] == "approved" else gettext(lang, "waiting for approval")
        await context.bot.send_message(
            chat.id if chat else user.id,
            escape(gettext(lang, "Your listing “{name}”: {status}.").format(name=row["name"], status=status)),
            reply_markup=InlineKeyboardMarkup(
                [[InlineKeyboardButton(gettext(lang, "Withdraw it"), callback_data=f"hs:w:{row['id']}")]]
            ),
        )
    _draft(context, user.id, Draft())
    await context.bot.send_message(
        chat.id if chat else user.id,
        escape(
            gettext(lang, "List your homestay. Its name:")
            + "\n"
            + gettext(
                lang, "(To change a listing, send it again under the same name: once approved, it replaces the old.)"
            )
        ),
    )
    return NAME


def _location(message: Message) -> Location:
    if message.location is not None:
        point = Location(latitude=message.location.latitude, longitude=message.location.longitude)
    else:
        m = _COORDS.match(message.text or "")
        if not m:
            raise Invalid("not a location: send a pin, or type latitude, longitude")
        try:
            point = Location(latitude=float(m[1].replace(",", ".")), longitude=float(m[2].replace(",", ".")))
        except ValueError:
            raise Invalid("latitude must be within ±90 and longitude within ±180") from None
    return point


def _take(step: str, message: Message, context: BotContext, draft: Draft) -> None:
    """Put what ``message`` says into ``draft`` for ``step``; Invalid with the reason otherwise."""
    if step == NAME:
        draft.name = text(message.text or "", MAX_NAME)
    elif step == VILLAGE:
        draft.village = text(message.text or "", MAX_NAME)
    elif step == PHONE:
        draft.phone = phone(message.text or "")
    elif step == PIN:
        point = _location(message)
        if not (context.core.commune.area or VIETNAM).contains(point):
            raise Invalid("this location is outside the commune's area")
        draft.latitude, draft.longitude = point.latitude, point.longitude
    elif step == PHOTO:
        if not message.photo:
            raise Invalid("that is not a photo: send it as a photo (not as a file), or tap Skip")
        draft.photo = message.photo[-1].file_id
    elif step == ABOUT:
        draft.description_vi = text(message.text or "")
    elif step == ABOUT_EN:
        draft.description_en = text(message.text or "")
    elif step == PRICE:
        draft.price = text(message.text or "", 80)


def typed(step: str):
    """The handler of what the owner sends at ``step``: taken, then the next question; or why not."""

    @command
    async def handler(update: Update, context: BotContext, message: Message, user: User, lang: str) -> object:
        draft = _draft(context, user.id)
        if draft is None:
            return ConversationHandler.END
        try:
            _take(step, message, context, draft)
        except Invalid as exc:
            await message.reply_text(escape(gettext(lang, "Not taken: {reason}.").format(reason=exc)))
            return step
        _draft(context, user.id, draft)
        return await _next(message, context, lang, step, draft)

    return handler


_ORDER = [NAME, VILLAGE, PHONE, PIN, PHOTO, ABOUT, ABOUT_EN, PRICE, PREVIEW]


async def _next(message: Message, context: BotContext, lang: str, step: str, draft: Draft) -> str:
    following = _ORDER[_ORDER.index(step) + 1]
    if following == PREVIEW:
        await message.reply_text(
            escape(gettext(lang, "Send this for approval?") + "\n\n" + _summary(draft, lang)),
            reply_markup=InlineKeyboardMarkup(
                [
                    [
                        InlineKeyboardButton(gettext(lang, "Send for approval"), callback_data="hs:send"),
                        InlineKeyboardButton(gettext(lang, "Cancel"), callback_data="hs:cancel"),
                    ]
                ]
            ),
        )
        return PREVIEW
    return await _ask(message, context, lang, following)


def _summary(d: Draft, lang: str) -> str:
    village, phone_label, price = gettext(lang, "Village"), gettext(lang, "Phone"), gettext(lang, "Price")
    lines = [f"🏡 {d.name}", f"{village}: {d.village}", f"{phone_label}: {d.phone}"]
    if d.latitude is not None and d.longitude is not None:
        lines.append(f"📍 {d.latitude:.5f}, {d.longitude:.5f}")
    lines += [x for x in (d.description_vi, d.description_en) if x]
    if d.price:
        lines.append(f"{price}: {d.price}")
    return "\n".join(lines)


def pressed(step: str):
    """The handler of the owner's buttons at ``step``: a village, Skip, Send or Cancel."""

    async def handler(update: Update, context: BotContext, data: kb.Callback, message: Message, lang: str) -> object:
        query, user = update.callback_query, update.effective_user
        if query is None or user is None:
            return ConversationHandler.END
        draft = _draft(context, user.id)
        if draft is None:
            await query.answer(gettext(lang, "Already handled."))
            return ConversationHandler.END
        await query.answer()
        action, arg = data.arg, data.extra
        if action == "v" and step == VILLAGE and arg.isdigit() and int(arg) < len(context.core.commune.villages):
            draft.village = context.core.commune.villages[int(arg)]
            _draft(context, user.id, draft)
            return await _next(message, context, lang, step, draft)
        if action == "skip" and step in (PIN, PHOTO, ABOUT_EN, PRICE):
            return await _next(message, context, lang, step, draft)
        if action == "cancel":
            _draft(context, user.id, clear=True)
            await message.reply_text(escape(gettext(lang, "Cancelled.")))
            return ConversationHandler.END
        if action == "send" and step == PREVIEW:
            _draft(context, user.id, clear=True)
            ident = _store(context).submit(user.id, draft)
            await _to_officers(context, ident, draft)
            await message.reply_text(
                escape(gettext(lang, "Sent. An officer of the commune will check it; you will get a message then."))
            )
            return ConversationHandler.END
        return step

    return handler


async def withdraw(update: Update, context: BotContext, data: kb.Callback, message: Message, lang: str) -> None:
    """ "Withdraw it" under an owner's listing: only its owner's tap counts."""
    query, user = update.callback_query, update.effective_user
    if query is None or user is None or not data.extra.isdigit():
        return
    done = _store(context).withdraw(int(data.extra), user.id)
    await query.answer(gettext(lang, "Withdrawn.") if done else gettext(lang, "Already handled."), show_alert=True)


async def _to_officers(context: BotContext, ident: int, draft: Draft) -> None:
    group = context.officers_chat
    if group is None:
        return
    lang = "vi"
    text_ = gettext(lang, "New homestay listing #{id} to check:").format(id=ident) + "\n\n" + _summary(draft, lang)
    markup = InlineKeyboardMarkup(
        [
            [
                InlineKeyboardButton(gettext(lang, "Approve"), callback_data=f"hs:a:{ident}"),
                InlineKeyboardButton(gettext(lang, "Reject"), callback_data=f"hs:r:{ident}"),
            ]
        ]
    )
    if draft.photo:
        await context.bot.send_photo(group, draft.photo, caption=escape(text_[:1000]), reply_markup=markup)
    else:
        await context.bot.send_message(group, escape(text_), reply_markup=markup)


@officers_only
async def decide(update: Update, context: BotContext, data: kb.Callback, message: Message, lang: str) -> None:
    """Approve, Reject (a pending listing) or Hide (an approved one): officers only, once."""
    query, user = update.callback_query, update.effective_user
    if query is None or user is None or not data.extra.isdigit():
        return
    ident, store = int(data.extra), _store(context)
    act = {"a": store.approve, "r": store.reject, "h": store.hide}[data.arg]
    if not act(ident, user.id):
        await query.answer(gettext(lang, "Already handled."))
        return
    row = store.get(ident) or {}
    verdict = {
        "a": N_("✅ Approved by {officer}."),
        "r": N_("✖ Rejected by {officer}."),
        "h": N_("🙈 Hidden by {officer}."),
    }[data.arg]
    await query.answer()
    note = gettext(lang, verdict).format(officer=user.first_name)
    markup = None
    if data.arg == "a":
        markup = InlineKeyboardMarkup([[InlineKeyboardButton(gettext(lang, "Hide it"), callback_data=f"hs:h:{ident}")]])
    await message.reply_text(escape(f"#{ident} {row.get('name', '')}: {note}"), reply_markup=markup)
    owner_lang = (context.users.language(row["owner"]) if row.get("owner") else None) or "vi"
    if data.arg in ("a", "r") and row.get("owner"):
        told = {
            "a": N_("Your homestay “{name}” is approved: it now appears in the assistant's answers."),
            "r": N_("Your homestay “{name}” was not approved. Please ask the commune why."),
        }[data.arg]
        await context.bot.send_message(row["owner"], escape(gettext(owner_lang, told).format(name=row["name"])))
