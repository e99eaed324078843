"""Users: Telegram id, language, first and last seen — nothing more personal."""

from __future__ import annotations

import sqlite_utils

from bot.storage.db import now_iso


class Users:
    def __init__(self, db: sqlite_utils.Database) -> None:
        self.db = db

    def seen(self, user_id: int, default_language: str) -> str:
        """Record that the user was seen; returns their language (stored, else ``default_language``).
        One statement: this runs for every message."""
        now = now_iso()
        row = self.db.execute(
            """insert into users (id, language, first_seen, last_seen) values (?, ?, ?, ?)
               on conflict (id) do update set last_seen = excluded.last_seen
               returning language""",
            [user_id, default_language, now, now],
        ).fetchone()
        return (row[0] if row else None) or default_language

    def get(self, user_id: int) -> dict | None:
        rows = list(self.db.query("select * from users where id = ?", [user_id]))
        return rows[0] if rows else None

    def set_language(self, user_id: int, language: str) -> None:
        now = now_iso()
        with self.db.atomic():
            self.db.table("users").upsert(
                {"id": user_id, "language": language, "last_seen": now},
                pk="id",
            )
            self.db.execute("update users set first_seen = coalesce(first_seen, ?) where id = ?", [now, user_id])

    def language(self, user_id: int) -> str | None:
        row = self.get(user_id)
        return row["language"] if row else None
