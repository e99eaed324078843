"""Who may do what: admins from configuration, officers added by admins; every action audited."""

from __future__ import annotations

import sqlite_utils

from bot.services import audit
from bot.storage.db import now_iso


class Roles:
    def __init__(self, db: sqlite_utils.Database, admin_ids: tuple[int, ...] | list[int] = ()) -> None:
        self.db = db
        self.admin_ids = frozenset(admin_ids)
        self._officers: frozenset[int] | None = None  # read once; every update checks it

    def is_admin(self, user_id: int | None) -> bool:
        return user_id is not None and user_id in self.admin_ids

    def is_officer(self, user_id: int | None) -> bool:
        if user_id is None:
            return False
        if self.is_admin(user_id):
            return True
        if self._officers is None:
            self._officers = frozenset(r["user_id"] for r in self.db.query("select user_id from officers"))
        return user_id in self._officers

    def add_officer(self, actor: int, user_id: int) -> bool:
        """True when newly added."""
        if self.is_officer(user_id) and not self.is_admin(user_id):
            return False
        with self.db.atomic():
            self.db.table("officers").insert(
                {"user_id": user_id, "added_by": actor, "added_at": now_iso()}, replace=True
            )
            self.audit(actor, "officer.add", {"user_id": user_id})
        self._officers = None
        return True

    def remove_officer(self, actor: int, user_id: int) -> bool:
        with self.db.atomic():
            existed = self.db.execute("delete from officers where user_id = ?", [user_id]).rowcount > 0
            self.audit(actor, "officer.remove", {"user_id": user_id, "existed": existed})
        self._officers = None
        return existed

    def officers(self) -> list[int]:
        return [r["user_id"] for r in self.db.query("select user_id from officers order by added_at")]

    def audit(self, actor: int, action: str, details: dict | None = None) -> None:
        audit.record(self.db, actor, action, details)
