"""The question log, votes on answers, and the curators' queue of what the bot could not answer.

Users appear only as a salted hash of their Telegram id; rows older than the retention
period (default 180 days) are purged.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import secrets
from dataclasses import dataclass, field

import sqlite_utils
from rapidfuzz import fuzz

from bot.storage.db import now_iso
from bot.text.normalize import clean, fold, tokens


def salt(db: sqlite_utils.Database) -> str:
    """This installation's salt for user hashes: made once, kept in the database."""
    rows = list(db.query("select value from kv where key = 'user_salt'"))
    if rows:
        return rows[0]["value"]
    value = secrets.token_hex(16)
    db.table("kv").insert({"key": "user_salt", "value": value}, ignore=True)
    return next(iter(db.query("select value from kv where key = 'user_salt'")))["value"]


@dataclass
class Group:
    """Near-duplicate questions the bot failed on, most frequent first."""

    representative: int  # log id of the most recent question in the group
    text: str
    count: int
    log_ids: list[int] = field(default_factory=list)
    variants: list[str] = field(default_factory=list)


class QuestionLog:
    def __init__(self, db: sqlite_utils.Database, retention_days: int = 180) -> None:
        self.db = db
        self.retention = dt.timedelta(days=retention_days)
        self._salt = salt(db)

    def user_hash(self, user_id: int) -> str:
        return hashlib.sha256(f"{self._salt}:{user_id}".encode()).hexdigest()[:32]

    def log(self, user_id: int | None, text: str, lang: str, status: str, entry_id: str | None, score: float) -> int:
        """One question; plain SQL, since it runs for every message."""
        cur = self.db.execute(
            "insert into question_log (at, text, lang, entry_id, score, status, user_hash) "
            "values (?, ?, ?, ?, ?, ?, ?)",
            [
                now_iso(),
                text[:1000],
                lang,
                entry_id,
                round(score, 4),
                status,
                self.user_hash(user_id) if user_id is not None else None,
            ],
        )
        return int(cur.lastrowid or 0)

    def mark_wrong(self, log_id: int) -> None:
        """The person said this answer was wrong: it goes to the curators' queue."""
        self.db.execute("update question_log set status = 'wrong' where id = ? and status = 'answer'", [log_id])

    def get(self, log_id: int) -> dict | None:
        rows = list(self.db.query("select * from question_log where id = ?", [log_id]))
        return rows[0] if rows else None

    def vote(self, user_id: int, log_id: int, entry_id: str, up: bool) -> None:
        """One vote per user, question and entry; voting again changes it."""
        self.db.execute(
            """insert into feedback (at, log_id, entry_id, vote, user_hash) values (?, ?, ?, ?, ?)
               on conflict (user_hash, log_id, entry_id) do update set vote = excluded.vote, at = excluded.at""",
            [now_iso(), log_id, entry_id, 1 if up else -1, self.user_hash(user_id)],
        )

    # --- the curators' queue ------------------------------------------------------------------
    def failures(self) -> list[dict]:
        """Questions not answered, or answered and voted down, that no curator has handled."""
        return list(
            self.db.query(
                """select q.id, q.text, q.at from question_log q
                   where q.queue is null and q.text is not null and q.text != ''
                     and (q.status in ('none', 'suggest', 'wrong')
                          or exists (select 1 from feedback f where f.log_id = q.id and f.vote < 0))
                   order by q.id desc limit 5000"""
            )
        )

    def unanswered(self, limit: int = 10, similarity: int = 85) -> list[Group]:
        """Failed questions grouped when near-duplicates, the most asked first."""
        groups: list[tuple[str, Group]] = []
        for row in self.failures():
            key = " ".join(sorted(set(fold(t) for t in tokens(clean(row["text"])))))
            if not key:
                continue
            for gkey, group in groups:
                if gkey == key or fuzz.token_set_ratio(gkey, key) >= similarity:
                    group.count += 1
                    group.log_ids.append(row["id"])
                    if row["text"] not in group.variants:
                        group.variants.append(row["text"])
                    break
            else:
                groups.append((key, Group(row["id"], row["text"], 1, [row["id"]], [row["text"]])))
        ordered = sorted((g for _, g in groups), key=lambda g: (-g.count, -g.representative))
        return ordered[:limit]

    def group_of(self, log_id: int) -> Group | None:
        for group in self.unanswered(limit=10_000):
            if log_id in group.log_ids:
                return group
        return None

    def mark(self, log_ids: list[int], queue: str | None) -> int:
        """Take questions off the queue ('attached', 'dismissed'), only those still on it: of two
        taps on the same button the second marks nothing. ``None`` puts them back. Returns how many
        changed."""
        if not log_ids:
            return 0
        marks = ",".join("?" * len(log_ids))
        if queue is None:
            return self.db.execute(f"update question_log set queue = null where id in ({marks})", log_ids).rowcount
        sql = f"update question_log set queue = ? where queue is null and id in ({marks})"
        return self.db.execute(sql, [queue, *log_ids]).rowcount

    # --- retention and deletion ---------------------------------------------------------------------
    def purge(self, now: dt.datetime | None = None) -> int:
        cutoff = ((now or dt.datetime.now(dt.UTC)) - self.retention).isoformat(timespec="seconds")
        with self.db.atomic():
            self.db.execute("delete from feedback where log_id in (select id from question_log where at < ?)", [cutoff])
            cur = self.db.execute("delete from question_log where at < ?", [cutoff])
        return cur.rowcount

    def forget(self, user_id: int) -> int:
        h = self.user_hash(user_id)
        with self.db.atomic():
            self.db.execute("delete from feedback where user_hash = ?", [h])
            cur = self.db.execute("delete from question_log where user_hash = ?", [h])
        return cur.rowcount
