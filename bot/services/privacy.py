"""Forgetting a person: everything stored about one Telegram user, removed in one transaction."""

from __future__ import annotations

import sqlite_utils

from bot.services.questions import QuestionLog
from bot.services.tickets import Tickets


def forget(db: sqlite_utils.Database, questions: QuestionLog, tickets: Tickets, user_id: int) -> None:
    """/xoadulieu after confirmation: their logged questions and votes, the personal link of their
    tickets, subscriptions, language, and copies of announcements not yet sent to them. Copies
    already sent stay counted, without the person. All of it or nothing."""
    with db.atomic():
        questions.forget(user_id)
        tickets.forget(user_id)
        db.execute("delete from subscriptions where user_id = ?", [user_id])
        db.execute("delete from subscribers where user_id = ?", [user_id])
        db.execute("delete from users where id = ?", [user_id])
        db.execute("delete from outbox where user_id = ? and status in ('pending', 'sending')", [user_id])
        db.execute("update outbox set user_id = null, chat_id = null where user_id = ?", [user_id])
