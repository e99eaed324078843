"""What each person receives: topics (knowledge/topics.yaml), an optional village, /huy to stop all.

Rows exist only for people who changed something; everyone else gets the topics' defaults —
so the emergency topic reaches every user until they explicitly opt out.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import sqlite_utils

from bot.knowledge.schema import Topic
from bot.storage.db import now_iso


@dataclass(frozen=True)
class Recipient:
    user_id: int
    chat_id: int
    lang: str


class Subscriptions:
    def __init__(
        self, db: sqlite_utils.Database, topics: list[Topic], villages: list[str] | Callable[[], list[str]]
    ) -> None:
        self.db = db
        self.topics = {t.id: t for t in topics}
        self._villages = villages

    @property
    def villages(self) -> list[str]:
        """The commune's villages, as officers keep them now (a change takes effect at once)."""
        return list(self._villages() if callable(self._villages) else self._villages)

    def _subscriber(self, user_id: int) -> dict:
        rows = list(self.db.query("select * from subscribers where user_id = ?", [user_id]))
        return (
            rows[0] if rows else {"user_id": user_id, "chat_id": user_id, "stopped": 0, "inactive": 0, "village": None}
        )

    def _upsert(self, user_id: int, **fields: object) -> None:
        row = {**self._subscriber(user_id), **fields, "updated_at": now_iso()}
        self.db.table("subscribers").upsert(row, pk="user_id")

    def enabled(self, user_id: int) -> dict[str, bool]:
        """topic id → on/off for this user (stopped users have everything off)."""
        sub = self._subscriber(user_id)
        explicit = {
            r["topic"]: bool(r["enabled"])
            for r in self.db.query("select topic, enabled from subscriptions where user_id = ?", [user_id])
        }
        if sub["stopped"]:
            return dict.fromkeys(self.topics, False)
        return {t: explicit.get(t, topic.default) for t, topic in self.topics.items()}

    def toggle(self, user_id: int, topic: str) -> bool:
        """Flip one topic; returns its new state. Turning something on undoes /huy."""
        if topic not in self.topics:
            raise KeyError(topic)
        with self.db.atomic():
            state = self.enabled(user_id)
            new = not state[topic]
            sub = self._subscriber(user_id)
            if sub["stopped"] and new:
                # coming back after /huy: everything else stays off until chosen again
                for t in self.topics:
                    self._set(user_id, t, False)
                self._upsert(user_id, stopped=0)
            self._set(user_id, topic, new)
        return new

    def _set(self, user_id: int, topic: str, on: bool) -> None:
        self.db.table("subscriptions").upsert(
            {"user_id": user_id, "topic": topic, "enabled": int(on)}, pk=("user_id", "topic")
        )

    def stop_all(self, user_id: int) -> None:
        self._upsert(user_id, stopped=1)

    def village(self, user_id: int) -> str | None:
        return self._subscriber(user_id)["village"]

    def set_village(self, user_id: int, village: str | None) -> None:
        if village is not None and village not in self.villages:
            raise KeyError(village)
        self._upsert(user_id, village=village)

    def mark_inactive(self, user_id: int) -> None:
        """The user blocked the bot or the chat is gone: skip them from now on."""
        self._upsert(user_id, inactive=1)

    def reactivate(self, user_id: int) -> None:
        """The user wrote to the bot again."""
        if self._subscriber(user_id)["inactive"]:
            self._upsert(user_id, inactive=0)

    def move_chat(self, user_id: int, new_chat_id: int) -> None:
        self._upsert(user_id, chat_id=new_chat_id)

    def recipients(self, topics: list[str], villages: list[str] | None = None) -> list[Recipient]:
        """Everyone who should receive an announcement on any of ``topics`` (in ``villages``, if given)."""
        wanted = [t for t in topics if t in self.topics]
        explicit: dict[int, dict[str, bool]] = {}
        for r in self.db.query(
            f"select user_id, topic, enabled from subscriptions where topic in ({','.join('?' * len(wanted))})",
            wanted,
        ):
            explicit.setdefault(r["user_id"], {})[r["topic"]] = bool(r["enabled"])
        sql = """select u.id, u.language, s.chat_id, coalesce(s.stopped, 0) stopped,
                        coalesce(s.inactive, 0) inactive, s.village
                 from users u left join subscribers s on s.user_id = u.id order by u.id"""
        out = []
        for r in self.db.query(sql):
            if r["stopped"] or r["inactive"]:
                continue
            if villages and r["village"] not in villages:
                continue
            prefs = explicit.get(r["id"], {})
            if any(prefs.get(t, self.topics[t].default) for t in wanted):
                out.append(Recipient(r["id"], r["chat_id"] or r["id"], r["language"] or "vi"))
        return out

    def counts(self) -> dict[str, int]:
        """Subscribers per topic (for statistics)."""
        return {t: len(self.recipients([t])) for t in self.topics}
