"""Opening the database: WAL mode, foreign keys, and the schema migrations."""

from __future__ import annotations

import datetime as dt
import sqlite3
from collections.abc import Callable
from pathlib import Path

import sqlite_utils

DB_FILE = "bot.db"

Migration = Callable[[sqlite_utils.Database], None]


def now_iso() -> str:
    """The time format of every stored timestamp: UTC, ISO 8601, whole seconds."""
    return dt.datetime.now(dt.UTC).isoformat(timespec="seconds")


def _m001_users(db: sqlite_utils.Database) -> None:
    db.table("users").create(
        {"id": int, "language": str, "first_seen": str, "last_seen": str},
        pk="id",
        if_not_exists=True,
    )


def _m002_officers(db: sqlite_utils.Database) -> None:
    db.table("officers").create({"user_id": int, "added_by": int, "added_at": str}, pk="user_id")
    db.table("audit").create({"id": int, "at": str, "actor": int, "action": str, "details": str}, pk="id")


def _m003_subscriptions(db: sqlite_utils.Database) -> None:
    # one row per user who changed a preference or could not be reached; absent = defaults
    db.table("subscribers").create(
        {"user_id": int, "chat_id": int, "stopped": int, "inactive": int, "village": str, "updated_at": str},
        pk="user_id",
        defaults={"stopped": 0, "inactive": 0},
    )
    db.table("subscriptions").create({"user_id": int, "topic": str, "enabled": int}, pk=("user_id", "topic"))


def _m004_announcements(db: sqlite_utils.Database) -> None:
    db.table("announcements").create(
        {
            "id": int,
            "created_by": int,
            "created_at": str,
            "stage": str,  # draft stages: audience, text, text_en, preview, when; then scheduled, sending, done…
            "topics": str,  # JSON list of topic ids
            "villages": str,  # JSON list of village names; empty = everyone
            "text_vi": str,
            "text_en": str,
            "photo": str,  # Telegram file id
            "emergency": int,
            "scheduled_at": str,
            "started_at": str,
            "finished_at": str,
            "progress_chat_id": int,
            "progress_message_id": int,
            "recalled_at": str,
        },
        pk="id",
        defaults={"emergency": 0},
    )
    db.table("outbox").create(
        {
            "id": int,
            "announcement_id": int,
            "user_id": int,
            "chat_id": int,
            "lang": str,
            "status": str,  # pending, sending, sent, blocked, failed, recalled
            "attempts": int,
            "last_error": str,
            "message_id": int,
            "extra_message_id": int,  # the text sent after a photo whose caption could not hold it
            "next_attempt_at": float,
            "updated_at": str,
        },
        pk="id",
        foreign_keys=[("announcement_id", "announcements", "id")],
        defaults={"attempts": 0, "next_attempt_at": 0.0},
    )
    db.table("outbox").create_index(["announcement_id", "user_id"], unique=True)
    db.table("outbox").create_index(["status", "next_attempt_at"])
    db.table("outbox").create_index(["announcement_id", "status"])


def _m005_questions_feedback_tickets(db: sqlite_utils.Database) -> None:
    db.table("kv").create({"key": str, "value": str}, pk="key")
    db.table("question_log").create(
        {
            "id": int,
            "at": str,
            "text": str,
            "lang": str,
            "entry_id": str,  # the confident answer, or null
            "score": float,
            "status": str,  # answer, suggest, none, empty, unsupported
            "user_hash": str,  # salted hash of the Telegram id, never the id itself
            "queue": str,  # null, or 'attached' / 'dismissed' once a curator dealt with it
        },
        pk="id",
    )
    db.table("question_log").create_index(["at"])
    db.table("question_log").create_index(["user_hash"])
    db.table("feedback").create(
        {"id": int, "at": str, "log_id": int, "entry_id": str, "vote": int, "user_hash": str},
        pk="id",
    )
    db.table("feedback").create_index(["user_hash", "log_id", "entry_id"], unique=True)
    db.table("tickets").create(
        {
            "id": int,
            "created_at": str,
            "user_id": int,  # the personal link: nulled by /xoadulieu
            "chat_id": int,
            "lang": str,
            "question": str,
            "status": str,  # open, answered, undeliverable
            "group_chat_id": int,
            "group_message_id": int,
            "answer": str,
            "answered_by": int,
            "answered_at": str,
        },
        pk="id",
    )
    db.table("tickets").create_index(["group_chat_id", "group_message_id"])


def _m006_indicator_values(db: sqlite_utils.Database) -> None:
    db.table("indicator_values").create(
        {
            "id": int,
            "indicator": str,
            "year": int,
            "value": float,
            "status": str,  # pending (awaiting confirmation), active, superseded (corrected), cancelled
            "recorded_by": int,
            "recorded_at": str,
        },
        pk="id",
    )
    db.table("indicator_values").create_index(["indicator", "year", "status"])


def _m007_one_ticket_per_question(db: sqlite_utils.Database) -> None:
    # the logged question a ticket was opened for: a second tap on 🙋 finds the first ticket
    db.table("tickets").add_column("log_id", int)
    db.table("tickets").create_index(["log_id"], unique=True)


def _m008_conversations(db: sqlite_utils.Database) -> None:
    # where each officer's wizard (ConversationHandler) stands, so that a restart keeps it
    db.table("conversations").create({"name": str, "key": str, "state": str}, pk=("name", "key"))


def _m009_local_details(db: sqlite_utils.Database) -> None:
    # officers' values of commune.yaml's fields (`/caidat`), over the deployer's file, field by field
    db.table("local_details").create({"field": str, "value": str, "set_by": int, "set_at": str}, pk="field")
    # every confirmed change, with the value before it, so that any change can be shown and undone
    db.table("local_history").create(
        {"id": int, "field": str, "before": str, "after": str, "officer": int, "at": str, "undo_of": int},
        pk="id",
    )


def _m010_homestays(db: sqlite_utils.Database) -> None:
    # homestays their owners list with /dangkyhomestay; shown only once an officer approved them
    db.table("homestays").create(
        {
            "id": int,
            "owner": int,  # the owner's Telegram user id (they may withdraw it)
            "name": str,
            "village": str,
            "phone": str,
            "latitude": float,
            "longitude": float,
            "photo": str,  # Telegram file_id
            "description_vi": str,
            "description_en": str,
            "price": str,
            "status": str,  # pending, approved, rejected, withdrawn, hidden
            "submitted_at": str,
            "decided_at": str,
            "decided_by": int,
        },
        pk="id",
    )
    db.table("homestays").create_index(["status"])
    db.table("homestays").create_index(["owner"])


#: Applied in order, once each; the applied count is kept in PRAGMA user_version.
MIGRATIONS: list[Migration] = [
    _m001_users,
    _m002_officers,
    _m003_subscriptions,
    _m004_announcements,
    _m005_questions_feedback_tickets,
    _m006_indicator_values,
    _m007_one_ticket_per_question,
    _m008_conversations,
    _m009_local_details,
    _m010_homestays,
]


class DatabaseProblem(Exception):
    """The database file cannot be used as it is; the message says what to do, in one line."""


def migrate(db: sqlite_utils.Database) -> int:
    """Apply the migrations this database has not had yet, each in one transaction together with
    its version number: a migration that fails halfway leaves nothing of itself behind, and the
    next start applies it again from the beginning. Returns the new version."""
    version = db.execute("PRAGMA user_version").fetchone()[0]
    if version > len(MIGRATIONS):
        raise DatabaseProblem(
            f"the database is at schema version {version}, newer than this program knows "
            f"({len(MIGRATIONS)}): run the newer version of the bot, or restore a backup made by this one"
        )
    for number, migration in enumerate(MIGRATIONS, 1):
        if number > version:
            with db.atomic():
                migration(db)
                db.execute(f"PRAGMA user_version = {number}")
    return len(MIGRATIONS)


def connect(path: Path | str) -> sqlite_utils.Database:
    """Open (creating if needed) the database at ``path`` with WAL and migrations applied.

    The connection is in autocommit mode: a single statement commits by itself, and everything
    that changes together runs inside ``db.atomic()`` (BEGIN … COMMIT, savepoints when nested).
    A file that is not a usable SQLite database raises DatabaseProblem naming the file."""
    memory = str(path) == ":memory:"
    if not memory:
        Path(path).parent.mkdir(parents=True, exist_ok=True)
    conn = sqlite3.connect(str(path), check_same_thread=False, isolation_level=None)
    db = sqlite_utils.Database(conn)
    try:
        if not memory:
            db.execute("PRAGMA journal_mode=WAL")
            db.execute("PRAGMA synchronous=NORMAL")  # WAL: durable at checkpoints, never corrupt
        db.execute("PRAGMA foreign_keys=ON")
        db.execute("PRAGMA busy_timeout=5000")
        if not memory:
            check = db.execute("PRAGMA quick_check").fetchone()[0]
            if check != "ok":
                raise sqlite3.DatabaseError(check)
        migrate(db)
    except sqlite3.DatabaseError as exc:
        conn.close()
        if isinstance(exc, sqlite3.OperationalError) and "locked" in str(exc):
            raise DatabaseProblem(f"{path}: the database is locked by another process ({exc})") from None
        raise DatabaseProblem(
            f"{path} is damaged or not a database ({exc}): stop the bot, move the file aside and restore "
            "the last backup (`python -m bot backup` copies; see the README, Backups)"
        ) from None
    except DatabaseProblem:
        conn.close()
        raise
    return db


def backup(source: Path | str, dest: Path | str) -> int:
    """An online backup through SQLite's backup API: consistent even while the bot writes.
    Returns the number of pages copied."""
    dest = Path(dest)
    dest.parent.mkdir(parents=True, exist_ok=True)
    tmp = dest.with_name(dest.name + ".partial")
    tmp.unlink(missing_ok=True)
    src = sqlite3.connect(str(source), timeout=30)
    out = sqlite3.connect(str(tmp))
    pages = 0

    def progress(_status: int, remaining: int, total: int) -> None:
        nonlocal pages
        pages = total

    try:
        with out:
            src.backup(out, pages=256, progress=progress, sleep=0.01)
        out.execute("PRAGMA journal_mode=DELETE")
    finally:
        out.close()
        src.close()
    tmp.replace(dest)
    return pages
