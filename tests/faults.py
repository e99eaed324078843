"""Injecting a failure into the middle of a database change, through sqlite-utils' tracer.

``all_or_nothing(db, change)`` runs ``change`` once per data-changing statement it executes,
making the 1st, then the 2nd, … statement fail, and checks after each failure that the
database is exactly as before (compared by a full SQL dump). It returns how many statements
the change wrote when nothing failed.
"""

from __future__ import annotations

import contextlib
import sqlite3
from collections.abc import Callable, Iterator

import sqlite_utils

WRITES = ("INSERT", "UPDATE", "DELETE", "REPLACE", "CREATE", "DROP", "ALTER")


class Injected(sqlite3.OperationalError):
    """The failure a test put there."""


def _is_write(sql: str) -> bool:
    head = sql.lstrip().upper()
    return head.startswith(WRITES) or (head.startswith("PRAGMA") and "=" in head)


@contextlib.contextmanager
def fail_at(db: sqlite_utils.Database, n: int) -> Iterator[list[int]]:
    """The ``n``-th data-changing statement sent through ``db`` raises Injected; the yielded
    list holds how many such statements were seen."""
    seen = [0]

    def tracer(sql: str, _params: object) -> None:
        if _is_write(sql):
            seen[0] += 1
            if seen[0] == n:
                raise Injected(f"injected failure at write {n}: {sql[:60]}")

    with db.tracer(tracer):
        yield seen


def dump(db: sqlite_utils.Database) -> list[str]:
    return list(db.conn.iterdump())


def all_or_nothing(db: sqlite_utils.Database, change: Callable[[], object]) -> int:
    n = 1
    while True:
        before = dump(db)
        with fail_at(db, n) as seen, contextlib.suppress(Injected):
            change()
        if seen[0] < n:  # the change completed before reaching the n-th write
            return seen[0]
        assert not db.conn.in_transaction, f"a transaction was left open after a failure at write {n}"
        assert dump(db) == before, f"half-written state after a failure at write {n} of the change"
        n += 1
