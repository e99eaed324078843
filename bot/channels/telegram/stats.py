"""/stats for officers: the figures as text and a chart rendered off the event loop."""

from __future__ import annotations

import asyncio
from html import escape

from telegram import Message, Update, User

from bot.channels.telegram.context import BotContext, command, officers_only
from bot.i18n import format_number, format_percent, gettext
from bot.services import charts
from bot.services.stats import compute


@officers_only
@command
async def stats(update: Update, context: BotContext, message: Message, user: User, lang: str) -> None:
    core = context.core
    s = compute(core.db, context.questions, context.subscriptions)
    n = lambda v: format_number(v, lang, 0)
    lines = [
        "<b>" + escape(gettext(lang, "Statistics")) + "</b>",
        escape(
            gettext(lang, "Users: {users} (active in 7 days: {a7}; in 30 days: {a30})").format(
                users=n(s.users), a7=n(s.active_7), a30=n(s.active_30)
            )
        ),
        escape(
            gettext(lang, "Questions: {q}; answered with confidence: {rate}").format(
                q=n(s.questions), rate=format_percent(100 * s.answered_rate, lang, 1)
            )
        ),
    ]
    if s.top_entries:
        lines.append("<b>" + escape(gettext(lang, "Most asked")) + "</b>")
        lines += [f"• {escape(core.title(i, lang))}: {n(c)}" for i, c in s.top_entries]
    if s.top_unanswered:
        lines.append("<b>" + escape(gettext(lang, "Most asked without an answer")) + "</b>")
        lines += [f"• {escape(t)}: {n(c)}" for t, c in s.top_unanswered]
    lines.append("<b>" + escape(gettext(lang, "Subscribers per topic")) + "</b>")
    topics = context.subscriptions.topics
    lines += [f"• {escape(topics[t].title.get(lang))}: {n(c)}" for t, c in s.subscribers.items()]
    await message.reply_text("\n".join(lines))
    labels = [d[5:] for d, _ in s.questions_per_day]
    png = await asyncio.to_thread(
        charts.bar_chart, gettext(lang, "Questions per day"), labels, [c for _, c in s.questions_per_day]
    )
    await message.reply_photo(png)
