"""/thongbao: what a person receives (topics, village), and /huy to stop everything."""

from __future__ import annotations

from html import escape

from telegram import InlineKeyboardButton, InlineKeyboardMarkup, Message, Update, User
from telegram.error import BadRequest

from bot.channels.telegram import keyboards as kb
from bot.channels.telegram.context import BotContext, command
from bot.i18n import gettext
from bot.services.subscriptions import Subscriptions


def panel(subs: Subscriptions, user_id: int, lang: str) -> tuple[str, InlineKeyboardMarkup]:
    state = subs.enabled(user_id)
    rows = [
        [InlineKeyboardButton(("✅ " if state[t] else "⬜ ") + topic.title.get(lang), callback_data=f"t:{t}")]
        for t, topic in subs.topics.items()
    ]
    if subs.villages:
        village = subs.village(user_id) or gettext(lang, "all villages")
        rows.append([InlineKeyboardButton(gettext(lang, "🏘 Village: {name}").format(name=village), callback_data="vm")])
    rows.append([InlineKeyboardButton(gettext(lang, "🔕 Stop everything"), callback_data="h"), kb.menu_button(lang)])
    text = gettext(
        lang,
        "Choose the announcements you want from the commune. Emergency and disaster warnings "
        "are on unless you turn them off.",
    )
    return text, InlineKeyboardMarkup(rows)


def village_menu(subs: Subscriptions, lang: str) -> InlineKeyboardMarkup:
    rows = [[InlineKeyboardButton(v, callback_data=f"v:{i}")] for i, v in enumerate(subs.villages)]
    rows.append([InlineKeyboardButton(gettext(lang, "All villages"), callback_data="v:-")])
    return InlineKeyboardMarkup(rows)


async def _show(message: Message, text: str, markup: InlineKeyboardMarkup, edit: bool) -> None:
    if edit:
        try:
            await message.edit_text(escape(text), reply_markup=markup)
            return
        except BadRequest:
            pass
    await message.reply_text(escape(text), reply_markup=markup)


async def show_panel(message: Message, subs: Subscriptions, user_id: int, lang: str, edit: bool = False) -> None:
    text, markup = panel(subs, user_id, lang)
    await _show(message, text, markup, edit)


@command
async def thongbao(update: Update, context: BotContext, message: Message, user: User, lang: str) -> None:
    await show_panel(message, context.subscriptions, user.id, lang)


@command
async def huy(update: Update, context: BotContext, message: Message, user: User, lang: str) -> None:
    context.subscriptions.stop_all(user.id)
    await message.reply_text(
        escape(
            gettext(
                lang,
                "Done: you will receive no announcements, not even emergency warnings. "
                "Use /thongbao to turn them back on.",
            )
        )
    )


async def on_button(update: Update, context: BotContext, data: kb.Callback, message: Message, lang: str) -> None:
    """The announcements panel's buttons; the toast says what changed."""
    query, user = update.callback_query, update.effective_user
    if query is None or user is None:
        return
    toast = await _apply(message, user.id, data, lang, context)
    if toast is None:
        await query.answer(gettext(lang, "This button is no longer valid. Here is the menu."))
    else:
        await query.answer(toast or None)


async def _apply(message: Message, user_id: int, data: kb.Callback, lang: str, context: BotContext) -> str | None:
    """Handle a subscription button; returns the toast text, or None when the data is not valid."""
    subs = context.subscriptions
    if data.kind == "subscribe":
        await show_panel(message, subs, user_id, lang, edit=True)
        return ""
    if data.kind == "topic":
        if data.arg not in subs.topics:
            return None
        on = subs.toggle(user_id, data.arg)
        await show_panel(message, subs, user_id, lang, edit=True)
        title = subs.topics[data.arg].title.get(lang)
        return (gettext(lang, "On: {topic}") if on else gettext(lang, "Off: {topic}")).format(topic=title)
    if data.kind == "villagemenu":
        if not subs.villages:
            return None
        await _show(message, gettext(lang, "Choose your village:"), village_menu(subs, lang), edit=True)
        return ""
    if data.kind == "village":
        if data.arg == "-":
            subs.set_village(user_id, None)
        else:
            index = int(data.arg)
            if index >= len(subs.villages):
                return None
            subs.set_village(user_id, subs.villages[index])
        await show_panel(message, subs, user_id, lang, edit=True)
        return ""
    if data.kind == "stop":
        subs.stop_all(user_id)
        await show_panel(message, subs, user_id, lang, edit=True)
        return gettext(lang, "All announcements are off.")
    return None
