"""The 2026–2030 plan tracker: /muctieu, charts per indicator, /capnhat for officers, /qr posters."""

from __future__ import annotations

import asyncio
import textwrap
from html import escape

from telegram import InlineKeyboardButton, InlineKeyboardMarkup, InputFile, Message, Update, User
from telegram.ext import ConversationHandler

from bot.channels.telegram import keyboards as kb
from bot.channels.telegram.context import BotContext, command, officers_only
from bot.channels.telegram.render import split_message
from bot.i18n import format_number, format_percent, gettext
from bot.knowledge.schema import Indicator
from bot.services import charts, qr
from bot.services.indicators import Indicators, ValueError_, parse_value
from bot.services.roles import Roles

MAX_CHART_BUTTONS = 10


def format_value(ind: Indicator, value: float, lang: str) -> str:
    if ind.kind == "milestone":
        return gettext(lang, "achieved") if value >= 1 else gettext(lang, "not yet achieved")
    unit = ind.unit.get(lang) if ind.unit else ""
    if unit == "%":
        return format_percent(value, lang)
    return f"{format_number(value, lang)} {unit}"


def target_text(ind: Indicator, lang: str) -> str:
    if ind.kind == "milestone":
        return gettext(lang, "target: achieved by {year}").format(year=ind.year)
    return gettext(lang, "target {value} by {year}").format(
        value=format_value(ind, ind.target or 0, lang), year=ind.year
    )


def indicator_line(ind: Indicator, store: Indicators, lang: str) -> str:
    point = store.latest(ind.id)
    head = f"• {escape(ind.title.get(lang))}: "
    if point is None:
        status = gettext(lang, "not updated yet")
    else:
        status = gettext(lang, "{value} in {year}").format(value=format_value(ind, point.value, lang), year=point.year)
        progress = store.progress(ind.id)
        if progress is not None and ind.kind == "number":
            status += " — " + gettext(lang, "{percent} of the target").format(percent=format_percent(progress, lang, 1))
    line = head + escape(status) + " · " + escape(target_text(ind, lang))
    if ind.note is not None:
        line += f"\n  <i>{escape(ind.note.get(lang))}</i>"
    return line


def tracker_html(indicators: list[Indicator], store: Indicators, titles: dict[str, str], lang: str) -> str:
    parts = ["<b>" + escape(gettext(lang, "Targets 2026–2030 and how far along we are")) + "</b>"]
    for goal in dict.fromkeys(i.goal for i in indicators):
        lines = [f"<b>{escape(titles.get(goal, goal))}</b>"]
        lines += [indicator_line(i, store, lang) for i in indicators if i.goal == goal]
        parts.append("\n".join(lines))
    parts.append(
        "<i>"
        + escape(
            gettext(
                lang,
                "Source: Resolution 32/NQ-HĐND (29/12/2025), section 1.2. Values are recorded by commune officers.",
            )
        )
        + "</i>"
    )
    return "\n\n".join(parts)


def _chart_buttons(indicators: list[Indicator], store: Indicators, lang: str, extra: list | None = None):
    recorded = [i for i in indicators if store.latest(i.id) is not None][:MAX_CHART_BUTTONS]
    rows = [[InlineKeyboardButton("📈 " + i.title.get(lang)[:50], callback_data=f"g:{i.id}")] for i in recorded]
    rows += extra or []
    rows.append([kb.menu_button(lang)])
    return InlineKeyboardMarkup(rows)


async def send_tracker(message: Message, context: BotContext, lang: str, goal: str | None = None) -> None:
    core = context.core
    store = context.indicators
    indicators = [i for i in core.kb.indicators if goal is None or i.goal == goal]
    titles = {e.id: e.title.get(lang) for e in core.kb.entries if e.category == "goal"}
    chunks = split_message(tracker_html(indicators, store, titles, lang))
    details = [[InlineKeyboardButton(gettext(lang, "📚 The plan in detail"), callback_data="s:goal:0")]]
    for i, chunk in enumerate(chunks):
        last = i == len(chunks) - 1
        markup = _chart_buttons(indicators, store, lang, details if goal is None else None) if last else None
        await message.reply_text(chunk, reply_markup=markup)
    if goal is None:
        labels = [textwrap.shorten(i.title.get(lang), width=48, placeholder="…") for i in indicators]
        percents = [store.progress(i.id) or 0.0 for i in indicators]
        png, _ = await asyncio.to_thread(
            charts.overview_chart,
            gettext(lang, "Progress towards the 2030 targets"),
            labels,
            percents,
            gettext(lang, "% of the target reached (no bar: not updated yet)"),
        )
        await message.reply_photo(png)


async def send_chart(message: Message, context: BotContext, ind: Indicator, lang: str) -> None:
    history = context.indicators.history(ind.id)
    target = 1.0 if ind.kind == "milestone" else float(ind.target or 0)
    png, _ = await asyncio.to_thread(
        charts.progress_chart,
        ind.title.get(lang),
        [p.year for p in history],
        [p.value for p in history],
        target,
        target_text(ind, lang),
        "" if ind.kind == "milestone" else (ind.unit.get(lang) if ind.unit else ""),
        lambda v: format_number(v, lang),
    )
    caption = ind.title.get(lang) + (" — " + gettext(lang, "not updated yet") if not history else "")
    await message.reply_photo(png, caption=escape(caption[:1000]))


@command
async def muctieu(update: Update, context: BotContext, message: Message, user: User, lang: str) -> None:
    await send_tracker(message, context, context.language(update))


async def on_button(update: Update, context: BotContext, data: kb.Callback, message: Message, lang: str) -> None:
    """The tracker and chart buttons."""
    if update.callback_query is not None:
        await update.callback_query.answer()
    core = context.core
    if data.kind == "plan":
        await send_tracker(message, context, lang)
    elif data.kind == "goalcharts":
        await send_tracker(message, context, lang, goal=data.arg)
    elif data.kind == "chart":
        ind = next((i for i in core.kb.indicators if i.id == data.arg), None)
        if ind is not None:
            await send_chart(message, context, ind, lang)


# --- officers ------------------------------------------------------------------------------------
CHOOSE, VALUE = "indicator", "value"  # the states of the guided /capnhat


def _usage(store: Indicators, lang: str) -> str:
    return (
        gettext(lang, "Usage: /capnhat <indicator> <year> <value>, e.g. /capnhat forest-cover 2026 58,9. Indicators:")
        + " "
        + ", ".join(store.by_id)
    )


def _indicator_menu(store: Indicators, lang: str) -> InlineKeyboardMarkup:
    return InlineKeyboardMarkup(
        [[InlineKeyboardButton(ind.title.get(lang)[:60], callback_data=f"c:{ind.id}")] for ind in store.by_id.values()]
    )


@officers_only
@command
async def capnhat(update: Update, context: BotContext, message: Message, user: User, lang: str) -> object:
    """/capnhat alone: choose the indicator with a button, then type the year and the value.
    /capnhat <indicator> <year> <value>: all at once. Either way a button confirms it."""
    store = context.indicators
    args = context.args or []
    if not args:
        await message.reply_text(
            escape(gettext(lang, "Which indicator? (or /capnhat <indicator> <year> <value> in one line)")),
            reply_markup=_indicator_menu(store, lang),
        )
        return CHOOSE
    if len(args) != 3 or args[0] not in store.by_id or not args[1].isdigit():
        await message.reply_text(escape(_usage(store, lang)))
        return ConversationHandler.END
    await _propose(message, context, user, lang, store.by_id[args[0]], args[1], args[2])
    return ConversationHandler.END


@officers_only
async def choose_indicator(
    update: Update, context: BotContext, data: kb.Callback, message: Message, lang: str
) -> object:
    query, user = update.callback_query, update.effective_user
    ind = context.indicators.by_id.get(data.arg)
    if query is None or user is None or ind is None:
        return ConversationHandler.END
    context.core.db.table("kv").upsert({"key": f"capnhat_for:{user.id}", "value": ind.id}, pk="key")
    await query.answer()
    await message.reply_text(
        escape(gettext(lang, "{title}: send the year and the value, e.g. 2026 58,9").format(title=ind.title.get(lang)))
    )
    return VALUE


@officers_only
@command
async def typed_value(update: Update, context: BotContext, message: Message, user: User, lang: str) -> object:
    """The year and the value for the indicator chosen: a confirmation to tap, or what to fix."""
    db = context.core.db
    rows = list(db.query("select value from kv where key = ?", [f"capnhat_for:{user.id}"]))
    ind = context.indicators.by_id.get(rows[0]["value"]) if rows else None
    parts = (message.text or "").split()
    if ind is None:
        return ConversationHandler.END
    if len(parts) != 2 or not parts[0].isdigit():
        await message.reply_text(escape(gettext(lang, "Send the year and the value, e.g. 2026 58,9")))
        return VALUE
    if not await _propose(message, context, user, lang, ind, parts[0], parts[1]):
        return VALUE
    db.execute("delete from kv where key = ?", [f"capnhat_for:{user.id}"])
    return ConversationHandler.END


async def _propose(
    message: Message, context: BotContext, user: User, lang: str, ind: Indicator, year_text: str, value_text: str
) -> bool:
    """A pending value and its Confirm/Cancel buttons; False (with the reason sent) when it cannot be read."""
    store = context.indicators
    year = int(year_text)
    if not 2020 <= year <= ind.year:
        await message.reply_text(
            escape(gettext(lang, "The year must be between 2020 and {year}.").format(year=ind.year))
        )
        return False
    try:
        value = parse_value(ind, value_text, lang)
    except ValueError_:
        await message.reply_text(
            escape(
                gettext(lang, "Cannot read the value {value!r}.").format(value=value_text) + "\n" + _usage(store, lang)
            )
        )
        return False
    row = store.record(ind.id, year, value, user.id)
    previous = next((p for p in store.history(ind.id) if p.year == year), None)
    text = gettext(lang, "Record {title}, {year}: {value}?").format(
        title=ind.title.get(lang), year=year, value=format_value(ind, value, lang)
    )
    if previous is not None:
        text += "\n" + gettext(lang, "This corrects the value recorded before: {value}.").format(
            value=format_value(ind, previous.value, lang)
        )
    await message.reply_text(
        escape(text),
        reply_markup=InlineKeyboardMarkup(
            [
                [
                    InlineKeyboardButton(gettext(lang, "Confirm"), callback_data=f"a:capok:{row}"),
                    InlineKeyboardButton(gettext(lang, "Cancel"), callback_data=f"a:capno:{row}"),
                ]
            ]
        ),
    )
    return True


@officers_only
async def confirm_button(update: Update, context: BotContext, data: kb.Callback, message: Message, lang: str) -> None:
    """Confirm (or cancel) a value typed with /capnhat."""
    action, row_id = data.arg, int(data.extra)
    query, user = update.callback_query, update.effective_user
    if query is None or user is None:
        return
    store = context.indicators
    roles: Roles = context.roles
    if action == "capno":
        store.cancel(row_id)
        await query.answer(gettext(lang, "Cancelled."))
        return
    row = store.confirm(row_id)
    if row is None:
        await query.answer(gettext(lang, "Already handled."))
        return
    roles.audit(user.id, "indicator.record", {k: row[k] for k in ("indicator", "year", "value")})
    await query.answer(gettext(lang, "Recorded."))
    ind = store.by_id[row["indicator"]]
    await message.edit_text(
        escape(
            gettext(lang, "✅ Recorded: {title}, {year}: {value}.").format(
                title=ind.title.get(lang), year=row["year"], value=format_value(ind, row["value"], lang)
            )
        )
    )


@officers_only
@command
async def qr_command(update: Update, context: BotContext, message: Message, user: User, lang: str) -> None:
    """/qr <entry id>: a printable PNG poster whose code opens the bot on that entry."""
    core = context.core
    entry = core.engine.entry(context.args[0]) if context.args else None
    if entry is None:
        await message.reply_text(escape(gettext(lang, "Usage: /qr <entry id>, e.g. /qr ocop.mien-dong")))
        return
    url = qr.deep_link(context.bot.username, kb.payload_for(entry.id))
    png = await asyncio.to_thread(qr.poster, url, entry.title.vi, context.bot.username)
    await message.reply_document(InputFile(png, filename=f"qr-{entry.id}.png"), caption=url)
