"""/caidat: officers keep the commune's local details (commune.yaml's fields) from Telegram.

Choose a section, then a field; type the new value (a pin for a place: 📎 → Location, or
"22.35, 103.77"); the bot shows before and after and a Confirm button. Confirmed values take effect
at once (bot.services.local_details). /caidat lichsu lists the last changes, each with an undo
button. The field being edited and the value awaiting confirmation are kept in the database, so a
restart mid-way loses nothing.
"""

from __future__ import annotations

import json
import re
from typing import Any

from telegram import InlineKeyboardButton, InlineKeyboardMarkup, Message, Update, User
from telegram.ext import ConversationHandler

from bot.channels.telegram import keyboards as kb
from bot.channels.telegram.context import BotContext, command, officers_only
from bot.channels.telegram.render import escape
from bot.i18n import N_, gettext
from bot.knowledge.schema import Location
from bot.services.local_details import Change, LocalDetails, Refused

CHOOSE, VALUE, CONFIRM = "choose", "value", "confirm"  # the states of the conversation
CLEAR = "-"  # typed alone: clear the field

#: sections of the menu: key → (label msgid, fields (path, label msgid))
SECTIONS: dict[str, tuple[str, list[tuple[str, str]]]] = {
    "os": (
        N_("🏛 One-stop desk"),
        [
            ("one_stop_office.address", N_("Address")),
            ("one_stop_office.phone", N_("Phone")),
            ("one_stop_office.hours", N_("Working hours")),
            ("one_stop_office.email", N_("Email")),
        ],
    ),
    "pc": (
        N_("👮 Commune police"),
        [
            ("police.address", N_("Address")),
            ("police.phone", N_("Phone")),
            ("police.hours", N_("Working hours")),
            ("police.email", N_("Email")),
        ],
    ),
    "ct": (N_("☎️ Hotline and website"), [("hotline", N_("Commune hotline")), ("website", N_("Commune website"))]),
    "vl": (N_("🏘 Villages"), [("villages", N_("Villages"))]),
}
_COORDS = re.compile(r"^\s*(-?\d{1,3}(?:[.,]\d+)?)\s*[,;\s]\s*(-?\d{1,3}(?:[.,]\d+)?)\s*$")


def _label(field: str, lang: str, context: BotContext) -> str:
    if field.startswith("locations."):
        entry_id = field.removeprefix("locations.")
        return gettext(lang, "Pin of {place}").format(place=context.core.title(entry_id, lang))
    for section, fields in SECTIONS.values():
        for path, label in fields:
            if path == field:
                return f"{gettext(lang, section)} — {gettext(lang, label)}"
    return field


def _shown(value: Any, lang: str) -> str:
    """A value as an officer reads it in a before/after."""
    if value in (None, "", [], {}) or value == {"vi": "", "en": ""}:
        return gettext(lang, "(not set)")
    if isinstance(value, dict) and "latitude" in value:
        return f"{value['latitude']:.5f}, {value['longitude']:.5f}"
    if isinstance(value, dict):
        return value.get("vi") or value.get("en") or ""
    if isinstance(value, list):
        return ", ".join(str(v) for v in value)
    return str(value)


def _menu(lang: str) -> InlineKeyboardMarkup:
    rows = [
        [InlineKeyboardButton(gettext(lang, label), callback_data=f"o:s:{key}")]
        for key, (label, _f) in SECTIONS.items()
    ]
    rows.append([InlineKeyboardButton(gettext(lang, "📍 Places on the map"), callback_data="o:s:pl")])
    rows.append([InlineKeyboardButton(gettext(lang, "🕘 Last changes"), callback_data="o:s:ls")])
    return InlineKeyboardMarkup(rows)


def _kv(context: BotContext, key: str, user: int, value: Any = None, clear: bool = False) -> Any:
    """The field an officer is editing and the value awaiting confirmation, kept across restarts."""
    db, name = context.core.db, f"caidat_{key}:{user}"
    if clear:
        db.execute("delete from kv where key = ?", [name])
        return None
    if value is not None:
        db.table("kv").upsert({"key": name, "value": json.dumps(value, ensure_ascii=False)}, pk="key")
        return value
    row = db.execute("select value from kv where key = ?", [name]).fetchone()
    return json.loads(row[0]) if row else None


def _details(context: BotContext) -> LocalDetails:
    local = context.core.local
    assert local is not None
    return local


@officers_only
@command
async def caidat(update: Update, context: BotContext, message: Message, user: User, lang: str) -> object:
    """/caidat: the sections; /caidat lichsu: the last changes, each with an undo button."""
    if context.args and context.args[0].lower() in ("lichsu", "lịchsử", "history"):
        await _history(message, context, lang)
        return ConversationHandler.END
    await message.reply_text(escape(gettext(lang, "Commune details: choose what to set.")), reply_markup=_menu(lang))
    return CHOOSE


async def _history(message: Message, context: BotContext, lang: str) -> None:
    rows = _details(context).history(10)
    if not rows:
        await message.reply_text(escape(gettext(lang, "No change yet.")))
        return
    lines, buttons = [], []
    for r in rows:
        what = gettext(lang, "#{id} {field}: {before} → {after} (officer {officer}, {at})").format(
            id=r["id"],
            field=_label(r["field"], lang, context),
            before=_shown(r["before"], lang),
            after=_shown(r["after"], lang),
            officer=r["officer"],
            at=r["at"][:16].replace("T", " "),
        )
        lines.append(what)
        buttons.append(
            [InlineKeyboardButton(gettext(lang, "↩ Undo #{id}").format(id=r["id"]), callback_data=f"o:u:{r['id']}")]
        )
    await message.reply_text(escape("\n".join(lines)), reply_markup=InlineKeyboardMarkup(buttons))


@officers_only
async def on_button(update: Update, context: BotContext, data: kb.Callback, message: Message, lang: str) -> object:
    """Every /caidat button: a section, a field, confirm or cancel, undo. Returns the next state."""
    query, user = update.callback_query, update.effective_user
    if query is None or user is None:
        return ConversationHandler.END
    await query.answer()
    action, arg = data.arg, data.extra
    if action == "s" and arg == "ls":
        await _history(message, context, lang)
        return ConversationHandler.END
    if action == "s" and arg == "pl":
        places = [e for e in context.core.kb.entries if e.category == "place"]
        rows = [[InlineKeyboardButton(e.title.get(lang)[:60], callback_data=f"o:f:locations.{e.id}")] for e in places]
        await message.reply_text(escape(gettext(lang, "Which place?")), reply_markup=InlineKeyboardMarkup(rows))
        return CHOOSE
    if action == "s" and arg in SECTIONS:
        label, fields = SECTIONS[arg]
        rows = [[InlineKeyboardButton(gettext(lang, name), callback_data=f"o:f:{path}")] for path, name in fields]
        await message.reply_text(escape(gettext(lang, label)), reply_markup=InlineKeyboardMarkup(rows))
        return CHOOSE
    if action == "f" and arg:
        return await _choose(message, context, user, lang, arg)
    if action in ("ok", "no"):
        return await _decide(message, context, user, lang, action == "ok")
    if action == "u" and arg.isdigit():
        try:
            change = _details(context).undo(int(arg), user.id)
        except Refused as exc:
            await message.reply_text(escape(gettext(lang, "Cannot undo: {reason}").format(reason=exc)))
            return ConversationHandler.END
        await message.reply_text(
            escape(
                gettext(lang, "↩ Undone #{id}. {field}: {before} → {after}").format(
                    id=arg,
                    field=_label(change.field, lang, context),
                    before=_shown(change.was, lang),
                    after=_shown(change.becomes, lang),
                )
            )
        )
    return ConversationHandler.END


async def _choose(message: Message, context: BotContext, user: User, lang: str, field: str) -> object:
    local = _details(context)
    place = field.startswith("locations.")
    if place and context.core.engine.entry(field.removeprefix("locations.")) is None:
        return ConversationHandler.END
    if not place and field not in [p for _l, fields in SECTIONS.values() for p, _n in fields]:
        return ConversationHandler.END
    _kv(context, "field", user.id, field)
    now = _shown(local.current(field), lang)
    if place:
        ask = gettext(lang, "Send the place's pin (📎 → Location), or type it as 22.35, 103.77.")
    elif field == "villages":
        ask = gettext(lang, "Type the villages, separated by commas (e.g. Chu Va 6, Chu Va 8, Nà Phát).")
    else:
        ask = gettext(lang, "Type the new value.")
    text = gettext(lang, "{field}\nNow: {now}\n{ask} Send “-” to clear it.").format(
        field=_label(field, lang, context), now=now, ask=ask
    )
    await message.reply_text(escape(text))
    return VALUE


def _read(field: str, message: Message) -> Any:
    """The value in ``message`` for ``field``; None when it holds none (Refused when unreadable)."""
    if field.startswith("locations."):
        if message.location is not None:
            return Location(latitude=message.location.latitude, longitude=message.location.longitude)
        text = (message.text or "").strip()
        if text == CLEAR:
            return None
        m = _COORDS.match(text)
        if not m:
            raise Refused("not a pin: send a location, or type latitude, longitude (e.g. 22.35, 103.77)")
        try:
            return Location(latitude=float(m[1].replace(",", ".")), longitude=float(m[2].replace(",", ".")))
        except ValueError:
            raise Refused("latitude must be within ±90 and longitude within ±180") from None
    text = (message.text or "").strip()
    if field == "villages":
        return [] if text == CLEAR else [v.strip() for v in re.split(r"[,;\n]", text) if v.strip()]
    return "" if text == CLEAR else text


@officers_only
@command
async def typed_value(update: Update, context: BotContext, message: Message, user: User, lang: str) -> object:
    """The value for the field chosen: before and after, with Confirm / Cancel; or why not."""
    field = _kv(context, "field", user.id)
    if field is None:
        return ConversationHandler.END
    try:
        change = _details(context).propose(field, _read(field, message))
    except Refused as exc:
        await message.reply_text(escape(gettext(lang, "Not saved: {reason}. Try again.").format(reason=exc)))
        return VALUE
    _kv(context, "pending", user.id, {"field": change.field, "after": change.after})
    text = gettext(lang, "{field}\nBefore: {before}\nAfter: {after}\nSave it?").format(
        field=_label(field, lang, context), before=_shown(change.was, lang), after=_shown(change.becomes, lang)
    )
    buttons = [
        InlineKeyboardButton(gettext(lang, "Confirm"), callback_data="o:ok"),
        InlineKeyboardButton(gettext(lang, "Cancel"), callback_data="o:no"),
    ]
    await message.reply_text(escape(text), reply_markup=InlineKeyboardMarkup([buttons]))
    return CONFIRM


async def _decide(message: Message, context: BotContext, user: User, lang: str, confirmed: bool) -> object:
    pending = _kv(context, "pending", user.id)
    _kv(context, "pending", user.id, clear=True)
    _kv(context, "field", user.id, clear=True)
    if pending is None:
        await message.reply_text(escape(gettext(lang, "Already handled.")))
        return ConversationHandler.END
    if not confirmed:
        await message.reply_text(escape(gettext(lang, "Cancelled.")))
        return ConversationHandler.END
    local = _details(context)
    try:  # checked again: another officer may have changed something meanwhile
        change = local.propose(pending["field"], pending["after"])
    except Refused as exc:
        await message.reply_text(escape(gettext(lang, "Not saved: {reason}. Try again.").format(reason=exc)))
        return ConversationHandler.END
    local.apply(Change(change.field, change.before, change.after), user.id)
    await message.reply_text(
        escape(
            gettext(lang, "✅ Saved: {field}: {value}. Answers use it now.").format(
                field=_label(change.field, lang, context), value=_shown(change.becomes, lang)
            )
        )
    )
    return ConversationHandler.END
