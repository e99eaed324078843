"""Usage figures for officers (/stats): users, activity, questions, answers, subscribers."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

import sqlite_utils

from bot.services.questions import QuestionLog
from bot.services.subscriptions import Subscriptions


@dataclass
class Stats:
    users: int
    active_7: int
    active_30: int
    questions_per_day: list[tuple[str, int]] = field(default_factory=list)  # (date, count), oldest first
    questions: int = 0
    answered: int = 0
    top_entries: list[tuple[str, int]] = field(default_factory=list)
    top_unanswered: list[tuple[str, int]] = field(default_factory=list)
    subscribers: dict[str, int] = field(default_factory=dict)

    @property
    def answered_rate(self) -> float:
        return self.answered / self.questions if self.questions else 0.0


def compute(
    db: sqlite_utils.Database,
    questions: QuestionLog,
    subscriptions: Subscriptions,
    days: int = 14,
    today: dt.date | None = None,
) -> Stats:
    today = today or dt.datetime.now(dt.UTC).date()

    def since(n: int) -> str:
        return (today - dt.timedelta(days=n)).isoformat()

    one = lambda sql, args=(): next(iter(db.execute(sql, list(args)).fetchone()))
    stats = Stats(
        users=one("select count(*) from users"),
        active_7=one("select count(*) from users where last_seen >= ?", [since(7)]),
        active_30=one("select count(*) from users where last_seen >= ?", [since(30)]),
    )
    per_day = dict(
        db.execute(
            "select substr(at, 1, 10) d, count(*) from question_log where at >= ? group by d", [since(days - 1)]
        ).fetchall()
    )
    stats.questions_per_day = [
        ((today - dt.timedelta(days=n)).isoformat(), per_day.get((today - dt.timedelta(days=n)).isoformat(), 0))
        for n in range(days - 1, -1, -1)
    ]
    stats.questions = one("select count(*) from question_log where status not in ('empty', 'unsupported')")
    stats.answered = one("select count(*) from question_log where status = 'answer'")
    stats.top_entries = [
        tuple(r)
        for r in db.execute(
            "select entry_id, count(*) n from question_log where entry_id is not null "
            "group by entry_id order by n desc limit 5"
        ).fetchall()
    ]
    stats.top_unanswered = [(g.text, g.count) for g in questions.unanswered(limit=5)]
    stats.subscribers = subscriptions.counts()
    return stats
