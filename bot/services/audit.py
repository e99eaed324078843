"""The audit trail: who did what, when. Written in the same transaction as the change it records."""

from __future__ import annotations

import json

import sqlite_utils

from bot.storage.db import now_iso


def record(db: sqlite_utils.Database, actor: int, action: str, details: dict | None = None) -> None:
    db.table("audit").insert(
        {"at": now_iso(), "actor": actor, "action": action, "details": json.dumps(details or {}, ensure_ascii=False)}
    )
