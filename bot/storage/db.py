"""Opening the database: WAL mode, foreign keys, and the schema migrations."""

from __future__ import annotations

import sqlite3
from collections.abc import Callable
from pathlib import Path

import sqlite_utils

DB_FILE = "bot.db"

Migration = Callable[[sqlite_utils.Database], None]


def _m001_users(db: sqlite_utils.Database) -> None:
    db["users"].create(
        {"id": int, "language": str, "first_seen": str, "last_seen": str},
        pk="id",
        if_not_exists=True,
    )


#: Applied in order, once each; the applied count is kept in PRAGMA user_version.
MIGRATIONS: list[Migration] = [_m001_users]


def register(migration: Migration) -> Migration:
    """Add a migration at the end of the list (modules call this at import time)."""
    if migration not in MIGRATIONS:
        MIGRATIONS.append(migration)
    return migration


def migrate(db: sqlite_utils.Database) -> int:
    """Apply the migrations this database has not had yet; returns the new version."""
    version = db.execute("PRAGMA user_version").fetchone()[0]
    for number, migration in enumerate(MIGRATIONS, 1):
        if number > version:
            with db.conn:
                migration(db)
                db.execute(f"PRAGMA user_version = {number}")
    return len(MIGRATIONS)


def connect(path: Path | str) -> sqlite_utils.Database:
    """Open (creating if needed) the database at ``path`` with WAL and migrations applied."""
    if str(path) != ":memory:":
        Path(path).parent.mkdir(parents=True, exist_ok=True)
    conn = sqlite3.connect(str(path), check_same_thread=False, isolation_level=None)
    db = sqlite_utils.Database(conn)
    if str(path) != ":memory:":
        db.execute("PRAGMA journal_mode=WAL")
        db.execute("PRAGMA synchronous=NORMAL")  # WAL: durable at checkpoints, never corrupt
    db.execute("PRAGMA foreign_keys=ON")
    db.execute("PRAGMA busy_timeout=5000")
    migrate(db)
    return db
