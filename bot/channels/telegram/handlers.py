"""Telegram handlers: thin glue between updates and the engine, users and keyboards."""

from __future__ import annotations

import logging
from html import escape

from telegram import (
    InlineKeyboardMarkup,
    InlineQueryResultArticle,
    InputTextMessageContent,
    LinkPreviewOptions,
    Message,
    Update,
    User,
)
from telegram.constants import ChatType, ParseMode
from telegram.error import BadRequest

from bot.app import SECTIONS, Core
from bot.channels.telegram import keyboards as kb
from bot.channels.telegram.context import BotContext, command, stale_button
from bot.channels.telegram.render import answer_html, split_message
from bot.engine.compose import MAX_STAYS, stay_lines
from bot.engine.engine import Status
from bot.engine.replies import intro, status_text
from bot.i18n import gettext, normalize_language
from bot.knowledge.store import prefix_search

log = logging.getLogger(__name__)
NO_PREVIEW = LinkPreviewOptions(is_disabled=True)
GUIDE = ("place", "tour", "stay", "event", "travel", "ocop")  # entries the web guide shows


async def send_entry(
    message: Message,
    core: Core,
    entry_id: str,
    lang: str,
    log_id: int = 0,
    field: str | None = None,
    web: str = "",
    question: str = "",
) -> list[Message]:
    """An answer: HTML chunks; related entries, 👍/👎 and the menu under the last one; a venue
    pin when the place's coordinates are known. ``log_id`` ties votes to the logged question.
    With ``field``, only that part of the answer, and a button for the whole of it. ``web``: the
    guide's address (WEB_URL), for a button opening a tourism entry in the guide as a Mini App."""
    answer = core.answer(entry_id, lang, field, question)
    if answer is None:
        await message.reply_text(escape(status_text(Status.NONE, lang)), reply_markup=kb.main_menu(lang))
        return []
    chunks = split_message(answer_html(answer, lang))
    sent = []
    tracked = any(i.goal == entry_id for i in core.kb.indicators)
    for i, chunk in enumerate(chunks):
        last = i == len(chunks) - 1
        markup = kb.entry_buttons(
            answer.related,
            lang,
            feedback=(log_id, entry_id),
            progress_of=entry_id if tracked else None,
            full_answer=entry_id if field else None,
            list_yours=entry_id.startswith("stay."),
            more_stays=entry_id.startswith("stay.") and len(core.commune.homestays) > MAX_STAYS,
            guide=f"{web}/?lang={lang}&item={entry_id}" if web and entry_id.split(".")[0] in GUIDE else None,
        )
        sent.append(await message.reply_text(chunk, reply_markup=markup if last else None))
    if answer.location is not None:
        await message.reply_venue(
            latitude=answer.location.latitude,
            longitude=answer.location.longitude,
            title=answer.title[:100],
            address=gettext(lang, "Bình Lư commune, Lai Châu"),
            reply_markup=kb.directions(answer.location.latitude, answer.location.longitude, lang),
        )
    return sent


@command
async def start(update: Update, context: BotContext, message: Message, user: User, lang: str) -> None:
    core = context.core
    context.subscriptions.reactivate(user.id)  # back after blocking the bot: announcements resume
    if context.args:
        entry_id = kb.entry_from_payload(context.args[0])
        if entry_id and core.engine.entry(entry_id):
            await send_entry(message, core, entry_id, lang, web=context.settings.web_url)
            return
    name = escape(user.first_name)
    hello = gettext(lang, "Hello {name}!").format(name=name).replace(" !", "!")
    await message.reply_text(
        f"<b>{hello}</b>\n\n{escape(intro(lang))}",
        reply_markup=kb.main_menu(lang),
    )


@command
async def help_command(update: Update, context: BotContext, message: Message, user: User, lang: str) -> None:
    await send_entry(message, context.core, "meta.help", lang)


@command
async def menu(update: Update, context: BotContext, message: Message, user: User, lang: str) -> None:
    await message.reply_text(escape(gettext(lang, "What would you like to know?")), reply_markup=kb.main_menu(lang))


@command
async def language(update: Update, context: BotContext, message: Message, user: User, lang: str) -> None:
    choice = normalize_language(context.args[0]) if context.args else None
    if choice and user:
        context.users.set_language(user.id, choice)
        await message.reply_text(escape(gettext(choice, "Language: English")), reply_markup=kb.main_menu(choice))
        return
    await message.reply_text(escape(gettext(lang, "Choose your language:")), reply_markup=kb.language_menu())


def _section_markup(core: Core, section: str, page: int, lang: str) -> tuple[str, InlineKeyboardMarkup]:
    markup, _page = kb.section_menu(section, page, core.section(section, lang), lang)
    return gettext(lang, SECTIONS[section][0]), markup


def section_command(section: str):
    async def handler(update: Update, context: BotContext) -> None:
        if update.effective_message is None:
            return
        lang = context.language(update)
        title, markup = _section_markup(context.core, section, 0, lang)
        await update.effective_message.reply_text(escape(title), reply_markup=markup)

    return handler


def _addressed_text(update: Update, context: BotContext) -> str | None:
    """The text to answer, or None when a group message is not for the bot."""
    message = update.effective_message
    if message is None or message.text is None:
        return None
    text = message.text
    if message.chat.type in (ChatType.GROUP, ChatType.SUPERGROUP):
        mention = f"@{context.bot.username}".lower() if context.bot.username else None
        replied = message.reply_to_message
        to_bot = replied is not None and replied.from_user is not None and replied.from_user.id == context.bot.id
        if mention and mention in text.lower():
            text = text.replace(f"@{context.bot.username}", " ")
        elif not to_bot:
            return None
    return text


async def text_message(update: Update, context: BotContext) -> None:
    text = _addressed_text(update, context)
    message = update.effective_message
    if text is None or message is None:
        return
    lang = context.language(update)
    core = context.core
    user_id = update.effective_user.id if update.effective_user else None
    chat_id = message.chat_id
    replied = message.reply_to_message
    to_bot = replied is not None and replied.from_user is not None and replied.from_user.id == context.bot.id
    replied_to = replied.message_id if replied is not None and to_bot else None
    result, before = context.dialogues.reply(core.engine, chat_id, user_id or 0, text, lang, replied_to)
    log_id = context.questions.log(user_id, text, result.lang, result.status.value, result.entry_id, result.confidence)
    if result.status is Status.CORRECTION and before is not None and before.log_id:
        context.questions.mark_wrong(before.log_id)  # to the curators' queue, as wrongly answered
    if result.status is Status.ANSWER and result.entry_id:
        turn = context.dialogues.last(chat_id, user_id or 0)
        if turn is not None:
            turn.log_id = log_id
        sent = await send_entry(
            message,
            core,
            result.entry_id,
            result.lang,
            log_id,
            field=result.field,
            web=context.settings.web_url,
            question=text,
        )
        for m in sent:
            context.dialogues.sent(chat_id, m.message_id, result.entry_id)
        return
    reply = status_text(result.status, result.lang, commune=core.commune)
    can_ask = context.officers_chat is not None and result.status in (Status.SUGGEST, Status.NONE, Status.CORRECTION)
    if result.status in (Status.SUGGEST, Status.CLARIFY, Status.CORRECTION) or can_ask:
        options = [(s, core.title(s, result.lang)) for s in result.suggestions]
        await message.reply_text(
            escape(reply),
            reply_markup=kb.suggestion_buttons(options, result.lang, ask_officer=log_id if can_ask else None),
        )
    else:
        await message.reply_text(escape(reply), reply_markup=kb.main_menu(result.lang))


async def other_message(update: Update, context: BotContext) -> None:
    """Stickers, photos, voice, documents, locations: a short note in private chats, silence in groups."""
    message = update.effective_message
    if message is None or message.chat.type != ChatType.PRIVATE:
        return
    lang = context.language(update)
    await message.reply_text(
        escape(gettext(lang, "I can only read text messages. Please type your question, or open the menu.")),
        reply_markup=kb.main_menu(lang),
    )


async def navigate(update: Update, context: BotContext, data: kb.Callback, message: Message, lang: str) -> None:
    """The menu, sections, entries and the language buttons."""
    query = update.callback_query
    assert query is not None
    core = context.core
    if data.kind == "entry" and core.engine.entry(data.arg) is None:
        await stale_button(update, context)
        return
    await query.answer()
    if data.kind == "menu":
        await _edit_or_send(message, gettext(lang, "What would you like to know?"), kb.main_menu(lang))
    elif data.kind == "section":
        title, markup = _section_markup(core, data.arg, data.page, lang)
        await _edit_or_send(message, title, markup)
    elif data.kind == "entry":
        if update.effective_user is not None:
            context.dialogues.answered(message.chat_id, update.effective_user.id, data.arg)
        for m in await send_entry(message, core, data.arg, lang, web=context.settings.web_url):
            context.dialogues.sent(message.chat_id, m.message_id, data.arg)
    elif data.kind == "langmenu":
        await _edit_or_send(message, gettext(lang, "Choose your language:"), kb.language_menu())
    elif data.kind == "lang" and update.effective_user:
        context.users.set_language(update.effective_user.id, data.arg)
        await _edit_or_send(message, gettext(data.arg, "Language: English"), kb.main_menu(data.arg))


async def _edit_or_send(message: Message, text: str, markup: InlineKeyboardMarkup) -> None:
    try:
        await message.edit_text(escape(text), reply_markup=markup)
    except BadRequest:  # too old to edit, or unchanged: send a fresh message instead
        await message.reply_text(escape(text), reply_markup=markup)


async def more_stays(update: Update, context: BotContext, data: kb.Callback, message: Message, lang: str) -> None:
    """ "➡ More places to stay": the next page of the listed places."""
    query = update.callback_query
    stays = context.core.commune.homestays
    page = int(data.arg)
    if query is None:
        return
    await query.answer()
    if page * MAX_STAYS >= len(stays):
        await message.reply_text(escape(gettext(lang, "That is the whole list.")))
        return
    text = "\n".join(f"• {escape(line)}" for line in stay_lines(stays, lang, page=page))
    later = (page + 1) * MAX_STAYS < len(stays)
    markup = InlineKeyboardMarkup([[kb.more_stays_button(page + 1, lang)]]) if later else None
    await message.reply_text(text, reply_markup=markup)


async def inline_query(update: Update, context: BotContext) -> None:
    query = update.inline_query
    if query is None:
        return
    lang = normalize_language(query.from_user.language_code) or "vi"
    core = context.core
    text = query.query.strip()
    if text:
        ids = [e.id for e in core.engine.search(text, limit=10)]
        for extra in prefix_search(core.db, text, limit=10):
            if extra not in ids:
                ids.append(extra)
    else:
        ids = ["meta.help", *[e.id for e in core.kb.entries if e.category == "service"][:9]]
    results = []
    for ident in ids[:20]:
        answer = core.answer(ident, lang)
        if answer is None:
            continue
        body = split_message(answer_html(answer, lang))[0]
        results.append(
            InlineQueryResultArticle(
                id=ident,
                title=answer.title[:200],
                description=(answer.paragraphs[0] if answer.paragraphs else "")[:200],
                input_message_content=InputTextMessageContent(body, parse_mode=ParseMode.HTML),
            )
        )
    for n, stay in enumerate(core.stays_matching(text)[:10] if text else []):  # listed places to stay
        line = " · ".join(x for x in (stay.village, stay.phone, stay.price) if x)
        body = f"🏡 <b>{escape(stay.name)}</b>\n{escape(line)}"
        about = stay.description.get(lang)[0] if stay.description else ""
        if about:
            body += f"\n{escape(about)}"
        body += "\n<i>" + escape(gettext(lang, "Contact the owner directly.")) + "</i>"
        results.append(
            InlineQueryResultArticle(
                id=f"stay-{n}",
                title=f"🏡 {stay.name}"[:200],
                description=line[:200],
                input_message_content=InputTextMessageContent(body, parse_mode=ParseMode.HTML),
            )
        )
    await query.answer(results[:50], cache_time=300, is_personal=False)
