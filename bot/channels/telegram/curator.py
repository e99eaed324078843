"""/unanswered: the questions the bot failed on, grouped, for officers to attach or dismiss.

Attaching writes the question to the data folder's learned.yaml and reloads the engine at
once; the curated YAML is never touched."""

from __future__ import annotations

from html import escape

from telegram import InlineKeyboardButton, InlineKeyboardMarkup, Message, Update, User
from telegram.ext import ConversationHandler

from bot.channels.telegram import keyboards as kb
from bot.channels.telegram.context import BotContext, command, officers_only
from bot.i18n import gettext
from bot.knowledge.store import prefix_search
from bot.services import learned
from bot.services.questions import Group

MAX_GROUPS = 8


def _attach_buttons(rep: int, candidates: list[tuple[str, str]], lang: str) -> InlineKeyboardMarkup:
    rows = [[InlineKeyboardButton("➕ " + title, callback_data=f"u:att:{rep}:{ident}")] for ident, title in candidates]
    rows.append(
        [
            InlineKeyboardButton(gettext(lang, "🔎 Another entry"), callback_data=f"u:find:{rep}"),
            InlineKeyboardButton(gettext(lang, "🗑 Dismiss"), callback_data=f"u:dis:{rep}"),
        ]
    )
    return InlineKeyboardMarkup(rows)


def _group_text(group: Group, lang: str) -> str:
    lines = [f"❓ <b>{escape(group.text)}</b> — " + gettext(lang, "asked {n} time(s)").format(n=group.count)]
    others = [v for v in group.variants if v != group.text][:3]
    lines += [f"   · {escape(v)}" for v in others]
    return "\n".join(lines)


@officers_only
@command
async def unanswered(update: Update, context: BotContext, message: Message, user: User, lang: str) -> None:
    groups = context.questions.unanswered(limit=MAX_GROUPS)
    if not groups:
        await message.reply_text(escape(gettext(lang, "Nothing waiting: every question got an answer.")))
        return
    core = context.core
    await message.reply_text(escape(gettext(lang, "Questions the bot could not answer, most asked first:")))
    for group in groups:
        ranked = core.engine.ask(group.text).ranked[:3]
        candidates = [(i, core.title(i, lang)) for i in ranked]
        await message.reply_text(
            _group_text(group, lang),
            reply_markup=_attach_buttons(group.representative, candidates, lang),
        )


@officers_only
async def on_callback(update: Update, context: BotContext, data: kb.Callback, message: Message, lang: str) -> None:
    query, user = update.callback_query, update.effective_user
    if query is None or user is None:
        return
    roles = context.roles
    qlog = context.questions
    group = qlog.group_of(data.page)
    if group is None:
        await query.answer(gettext(lang, "Already handled."))
        return
    core = context.core
    if data.arg == "dis":
        if not qlog.mark(group.log_ids, "dismissed"):
            await query.answer(gettext(lang, "Already handled."))
            return
        roles.audit(user.id, "queue.dismiss", {"question": group.text, "count": group.count})
        await query.answer(gettext(lang, "Dismissed."))
        await message.edit_text(escape(gettext(lang, "🗑 Dismissed: {q}").format(q=group.text)))
    elif data.arg == "find":
        context.questions.db.table("kv").upsert(
            {"key": f"find_for:{user.id}", "value": str(group.representative)}, pk="key"
        )
        await query.answer()
        await message.reply_text(escape(gettext(lang, "Type a few words to find the entry this question belongs to.")))
    elif data.arg == "att" and core.engine.entry(data.extra) is not None:
        logged = qlog.get(group.representative)
        assert core.learned_path is not None
        if not qlog.mark(group.log_ids, "attached"):
            await query.answer(gettext(lang, "Already handled."))
            return
        try:
            added = learned.add(core.learned_path, data.extra, (logged or {}).get("lang") or "vi", group.text)
        except OSError:
            qlog.mark(group.log_ids, None)
            raise
        core.reload()
        roles.audit(user.id, "queue.attach", {"question": group.text, "entry": data.extra, "new": added})
        await query.answer(gettext(lang, "Attached. The bot answers it from now on."))
        await message.edit_text(
            escape(
                gettext(lang, "✅ “{q}” now leads to: {title}").format(q=group.text, title=core.title(data.extra, lang))
            )
        )
    else:
        await query.answer(gettext(lang, "This button is no longer valid. Here is the menu."))


async def find_input(update: Update, context: BotContext) -> object:
    """An officer's search words after tapping 🔎 (the "find" conversation): offer matching
    entries to attach the question to."""
    message, user = update.effective_message, update.effective_user
    if message is None or user is None or not message.text or not context.roles.is_officer(user.id):
        return ConversationHandler.END
    db = context.questions.db
    rows = list(db.query("select value from kv where key = ?", [f"find_for:{user.id}"]))
    if not rows:
        return ConversationHandler.END
    db.execute("delete from kv where key = ?", [f"find_for:{user.id}"])
    rep = int(rows[0]["value"])
    lang = context.language(update)
    core = context.core
    ids = [e.id for e in core.engine.search(message.text, limit=6)]
    ids += [i for i in prefix_search(core.db, message.text, limit=6) if i not in ids]
    if not ids:
        await message.reply_text(escape(gettext(lang, "No entry found. Tap 🔎 again and try other words.")))
        return ConversationHandler.END
    candidates = [(i, core.title(i, lang)) for i in ids[:6]]
    await message.reply_text(
        escape(gettext(lang, "Attach the question to:")), reply_markup=_attach_buttons(rep, candidates, lang)
    )
    return ConversationHandler.END
