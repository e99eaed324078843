"""Data that changes together changes in one transaction: a failure injected at every write of
every multi-statement change leaves the database exactly as it was."""

from __future__ import annotations

import datetime as dt
import sqlite3
from dataclasses import replace

import pytest
import sqlite_utils

from bot.knowledge.store import build, read, stored_fingerprint
from bot.services import privacy
from bot.services.announcements import Announcements
from bot.services.indicators import Indicators
from bot.services.questions import QuestionLog
from bot.services.roles import Roles
from bot.services.subscriptions import Recipient, Subscriptions
from bot.services.tickets import Tickets
from bot.services.users import Users
from bot.storage.db import MIGRATIONS, DatabaseProblem, connect, migrate, now_iso
from tests.faults import Injected, all_or_nothing, dump, fail_at


@pytest.fixture
def db(tmp_path):
    d = connect(tmp_path / "bot.db")
    yield d
    d.conn.close()


def test_the_checker_itself_catches_a_change_that_is_not_atomic(db):
    def two_loose_statements() -> None:
        db.execute("insert into kv (key, value) values ('a', '1')")
        db.execute("insert into kv (key, value) values ('b', '2')")

    with pytest.raises(AssertionError, match="half-written"):
        all_or_nothing(db, two_loose_statements)


@pytest.mark.parametrize("stop_at", range(1, 12))
def test_a_migration_that_fails_halfway_is_applied_whole_at_the_next_start(tmp_path, stop_at):
    path = tmp_path / "bot.db"
    raw = sqlite3.connect(path, isolation_level=None)
    half = sqlite_utils.Database(raw)
    with fail_at(half, stop_at), pytest.raises(Injected):
        migrate(half)
    version = raw.execute("pragma user_version").fetchone()[0]
    assert version < len(MIGRATIONS)
    raw.close()
    db = connect(path)  # before: "table ... already exists"
    assert db.execute("pragma user_version").fetchone()[0] == len(MIGRATIONS)
    assert {"users", "outbox", "tickets", "question_log", "indicator_values"} <= set(db.table_names())
    db.conn.close()


def test_a_database_from_a_newer_version_is_refused_with_its_number(tmp_path):
    path = tmp_path / "bot.db"
    raw = sqlite3.connect(path)
    raw.execute(f"pragma user_version = {len(MIGRATIONS) + 3}")
    raw.close()
    with pytest.raises(DatabaseProblem, match=f"version {len(MIGRATIONS) + 3}"):
        connect(path)


@pytest.mark.parametrize("content", [b"this is not a database at all" * 100, b"SQLite format 3\x00" + b"\x00" * 50])
def test_a_damaged_database_is_one_clear_line(tmp_path, content):
    path = tmp_path / "bot.db"
    path.write_bytes(content)
    with pytest.raises(DatabaseProblem) as caught:
        connect(path)
    message = str(caught.value)
    assert str(path) in message and "backup" in message and "\n" not in message


def test_kb_build_replaces_the_old_build_whole_or_not_at_all(db, kb):
    build(db, kb, "first")
    smaller = replace(kb, entries=kb.entries[:5])
    writes = all_or_nothing(db, lambda: build(db, smaller, "second"))
    assert writes >= 4
    assert stored_fingerprint(db) == "second"
    assert len(read(db).entries) == 5


def _people(db, n=4) -> None:
    Users(db).set_language(1, "vi")
    for uid in range(2, n + 1):
        Users(db).set_language(uid, "en")


def test_starting_a_broadcast_is_atomic(db):
    _people(db)
    store = Announcements(db)
    a = store.new_draft(7)
    store.update(a.id, stage="preview")
    recipients = [Recipient(u, u, "vi") for u in range(1, 5)]
    writes = all_or_nothing(db, lambda: store.start(a.id, recipients, channel_id=-100))
    assert writes >= 2
    assert store.get(a.id).stage == "sending" and store.progress(a.id)["total"] == 5


def test_new_draft_and_taking_rows_are_atomic(db):
    store = Announcements(db)
    store.new_draft(7)
    assert all_or_nothing(db, lambda: store.new_draft(7)) >= 2
    _people(db)
    a = store.new_draft(8)
    store.update(a.id, stage="preview")
    store.start(a.id, [Recipient(u, u, "vi") for u in range(1, 5)])
    db.execute("update outbox set status = 'pending'")
    assert all_or_nothing(db, lambda: store.next_rows(10)) >= 1


def test_forgetting_a_person_removes_all_or_nothing(db):
    _people(db)
    questions, tickets = QuestionLog(db), Tickets(db)
    subs = Subscriptions(db, [], [])
    questions.log(1, "lam giay khai sinh", "vi", "answer", "birth", 0.9)
    log_id = questions.log(1, "ho chieu", "vi", "none", None, 0.1)
    questions.vote(1, log_id, "birth", up=False)
    tickets.open(1, 1, "vi", "ho chieu lam o dau", log_id=log_id)
    subs.stop_all(1)
    writes = all_or_nothing(db, lambda: privacy.forget(db, questions, tickets, 1))
    assert writes >= 5
    assert Users(db).get(1) is None
    assert not list(db.query("select 1 from question_log where user_hash = ?", [questions.user_hash(1)]))
    assert not list(db.query("select 1 from tickets where user_id = 1"))


def test_purging_old_questions_is_atomic(db):
    questions = QuestionLog(db, retention_days=1)
    log_id = questions.log(1, "old question", "vi", "answer", "birth", 0.9)
    questions.vote(1, log_id, "birth", up=True)
    later = dt.datetime.now(dt.UTC) + dt.timedelta(days=3)
    assert all_or_nothing(db, lambda: questions.purge(later)) == 2
    assert not list(db.query("select 1 from question_log"))


def test_confirming_an_indicator_value_is_atomic(db, kb):
    store = Indicators(db, kb.indicators)
    name = kb.indicators[0].id
    store.confirm(store.record(name, 2026, 10.0, 5))
    second = store.record(name, 2026, 12.0, 5)
    assert all_or_nothing(db, lambda: store.confirm(second)) == 2
    assert store.latest(name) is not None


def test_officer_changes_and_their_audit_go_together(db):
    roles = Roles(db, admin_ids=(1,))
    assert all_or_nothing(db, lambda: roles.add_officer(1, 50)) == 2
    assert roles.is_officer(50)
    assert all_or_nothing(db, lambda: roles.remove_officer(1, 50)) == 2
    assert not roles.is_officer(50)


def test_subscription_changes_are_atomic(db, kb):
    _people(db)
    subs = Subscriptions(db, kb.topics, ["Chu Va 6"])
    subs.stop_all(1)
    topic = kb.topics[0].id
    assert all_or_nothing(db, lambda: subs.toggle(1, topic)) >= 3
    assert subs.enabled(1)[topic] is True


def test_nothing_is_left_in_a_transaction_after_normal_use(db):
    _people(db)
    assert not db.conn.in_transaction
    before = dump(db)
    assert before


def test_the_cli_names_a_damaged_database_in_one_line_without_a_traceback(tmp_path, capsys):
    from bot.cli import main

    data = tmp_path / "data"
    data.mkdir()
    (data / "bot.db").write_bytes(b"garbage" * 1000)
    assert main(["--data-dir", str(data), "ask", "giấy khai sinh"]) == 2
    err = capsys.readouterr().err.strip()
    assert err.count("\n") == 0 and "bot.db" in err and "Traceback" not in err and "backup" in err


def test_a_truncated_database_is_one_clear_line(tmp_path, kb):
    path = tmp_path / "bot.db"
    db = connect(path)
    build(db, kb, "x")
    db.execute("pragma wal_checkpoint(truncate)")
    db.conn.close()
    data = path.read_bytes()
    path.write_bytes(data[: len(data) // 2])
    with pytest.raises(DatabaseProblem) as caught:
        connect(path)
    assert str(path) in str(caught.value) and "\n" not in str(caught.value)


def test_stage_changes_go_with_their_audit_line(db):
    _people(db)
    store = Announcements(db)
    a = store.new_draft(7)
    store.update(a.id, stage="when")
    later = dt.datetime.now(dt.UTC) + dt.timedelta(days=1)
    assert all_or_nothing(db, lambda: store.schedule(a.id, later, 7)) == 2
    assert all_or_nothing(db, lambda: store.cancel(a.id, 7)) == 2
    b = store.new_draft(7)
    store.update(b.id, stage="preview")
    store.start(b.id, [Recipient(u, u, "vi") for u in range(1, 5)])
    db.execute("update outbox set status = 'sent', message_id = 5, updated_at = ? where user_id < 3", [now_iso()])
    assert all_or_nothing(db, lambda: store.claim_recall(b.id)) == 2  # stage, and the copies not yet sent
    assert all_or_nothing(db, lambda: store.end_recall(b.id, 7, deleted=0)) >= 2
    assert store.get(b.id).stage == "done"  # two copies remain: it can be recalled again
