"""Progress on the plan's targets: values officers record per indicator and year.

Nothing is pre-filled. A value is recorded as pending, then confirmed; a correction of the same
indicator and year supersedes the earlier value without deleting it, so the history stays.
"""

from __future__ import annotations

from dataclasses import dataclass

import sqlite_utils
from babel.numbers import NumberFormatError, parse_decimal

from bot.knowledge.schema import Indicator
from bot.storage.db import now_iso

MILESTONE_WORDS = {
    "1": 1.0,
    "dat": 1.0,
    "đạt": 1.0,
    "yes": 1.0,
    "co": 1.0,
    "có": 1.0,
    "done": 1.0,
    "0": 0.0,
    "chua": 0.0,
    "chưa": 0.0,
    "no": 0.0,
    "khong": 0.0,
    "không": 0.0,
}


class ValueError_(ValueError):
    """A value that cannot be read for this indicator."""


@dataclass(frozen=True)
class Point:
    year: int
    value: float


def parse_value(indicator: Indicator, text: str, lang: str) -> float:
    """'58,9' (vi) or '58.9' (en); for milestones đạt/chưa, yes/no, 1/0."""
    raw = text.strip().rstrip("%").strip()
    if indicator.kind == "milestone":
        if raw.lower() in MILESTONE_WORDS:
            return MILESTONE_WORDS[raw.lower()]
        raise ValueError_(raw)
    for locale in (lang, "en" if lang == "vi" else "vi"):
        try:
            value = float(parse_decimal(raw, locale=locale, strict=True))
        except NumberFormatError:
            continue
        if value >= 0:
            return value
    raise ValueError_(raw)


class Indicators:
    def __init__(self, db: sqlite_utils.Database, indicators: list[Indicator]) -> None:
        self.db = db
        self.by_id = {i.id: i for i in indicators}

    def record(self, indicator: str, year: int, value: float, officer: int) -> int:
        """A pending value; it counts only once confirmed."""
        row = {
            "indicator": indicator,
            "year": year,
            "value": value,
            "status": "pending",
            "recorded_by": officer,
            "recorded_at": now_iso(),
        }
        return int(self.db.table("indicator_values").insert(row).last_pk or 0)

    def pending(self, row_id: int) -> dict | None:
        rows = list(self.db.query("select * from indicator_values where id = ? and status = 'pending'", [row_id]))
        return rows[0] if rows else None

    def confirm(self, row_id: int) -> dict | None:
        row = self.pending(row_id)
        if row is None:
            return None
        with self.db.atomic():
            self.db.execute(
                "update indicator_values set status = 'superseded' "
                "where indicator = ? and year = ? and status = 'active'",
                [row["indicator"], row["year"]],
            )
            self.db.execute("update indicator_values set status = 'active' where id = ?", [row_id])
        return row

    def cancel(self, row_id: int) -> bool:
        return (
            self.db.execute(
                "update indicator_values set status = 'cancelled' where id = ? and status = 'pending'", [row_id]
            ).rowcount
            == 1
        )

    def history(self, indicator: str) -> list[Point]:
        """The confirmed value of each year, oldest first."""
        rows = self.db.query(
            "select year, value from indicator_values where indicator = ? and status = 'active' order by year",
            [indicator],
        )
        return [Point(r["year"], r["value"]) for r in rows]

    def corrections(self, indicator: str) -> list[dict]:
        """Every recorded value, corrections included (the audit trail of the figures)."""
        return list(
            self.db.query(
                "select * from indicator_values where indicator = ? and status in ('active', 'superseded') "
                "order by year, id",
                [indicator],
            )
        )

    def latest(self, indicator: str) -> Point | None:
        history = self.history(indicator)
        return history[-1] if history else None

    def progress(self, indicator: str) -> float | None:
        """Share of the target reached, in percent (capped at 100); None when nothing is recorded."""
        ind = self.by_id[indicator]
        point = self.latest(indicator)
        if point is None:
            return None
        if ind.kind == "milestone":
            return 100.0 if point.value >= 1 else 0.0
        target = ind.target or 0
        if ind.direction == "down":
            return 100.0 if point.value <= target else max(0.0, 100 * target / point.value) if point.value else 100.0
        return min(100.0, 100 * point.value / target) if target else 0.0
