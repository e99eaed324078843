"""The commune's local details as officers keep them from Telegram (`/caidat`).

The deployer's ``knowledge/commune.yaml`` is the baseline and is never rewritten. Each value an
officer confirms is stored in the database (``local_details``) and overrides that file field by
field; every confirmed change is kept in ``local_history`` with the value before it, so the last
changes can be listed and any of them undone (an undo is a change too). A change, its history row
and its audit line are written in one transaction. The effective details are validated with the
same schema as the file (phone, e-mail, web address, a pin inside the commune's area).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

import sqlite_utils
from pydantic import ValidationError

from bot.knowledge.schema import Commune, Location
from bot.services import audit
from bot.storage.db import now_iso

MAX_TEXT = 300  # characters of one detail (an address, a line of hours)

#: every field an officer may set: its path in commune.yaml and what it holds
OFFICES = ("one_stop_office", "police")
TEXT_FIELDS = (
    *(f"{office}.{part}" for office in OFFICES for part in ("address", "phone", "hours", "email")),
    "hotline",
    "website",
)
LIST_FIELDS = ("villages",)
PLACE_PREFIX = "locations."  # locations.<entry id>: a pin


class Refused(ValueError):
    """A value that cannot be set; the message says why, in one line."""


@dataclass(frozen=True)
class Change:
    field: str
    before: Any  # the officers' value before it; None: none (commune.yaml's value applied)
    after: Any  # the new officers' value; None: none any more
    was: Any = None  # what answers showed before (for the before/after an officer confirms)
    becomes: Any = None  # what answers will show


def _get(data: dict, field: str) -> Any:
    node: Any = data
    for part in _path(field):
        if not isinstance(node, dict) or part not in node:
            return None
        node = node[part]
    return node


def _path(field: str) -> list[str]:
    if field.startswith(PLACE_PREFIX):
        return ["locations", field[len(PLACE_PREFIX) :]]
    return field.split(".")


def _put(data: dict, field: str, value: Any) -> None:
    *parents, last = _path(field)
    node = data
    for part in parents:
        node = node.setdefault(part, {})
    if isinstance(node.get(last), dict) and isinstance(value, str):  # a LocalText: the officer types Vietnamese
        node[last] = {"vi": value, "en": ""}
    elif value is None:
        node.pop(last, None)
    else:
        node[last] = value


class LocalDetails:
    def __init__(self, db: sqlite_utils.Database, baseline: Commune) -> None:
        self.db = db
        self.baseline = baseline
        self._effective: Commune | None = None

    def overrides(self) -> dict[str, Any]:
        return {r["field"]: json.loads(r["value"]) for r in self.db.query("select field, value from local_details")}

    def _merged(self, extra: dict[str, Any] | None = None) -> Commune:
        data = self.baseline.model_dump(mode="json")
        for field, value in {**self.overrides(), **(extra or {})}.items():
            _put(data, field, value)
        return Commune.model_validate(data)

    def effective(self) -> Commune:
        """The baseline with every officer's value over it (cached until the next change)."""
        if self._effective is None:
            self._effective = self._merged()
        return self._effective

    def current(self, field: str) -> Any:
        return _get(self.effective().model_dump(mode="json"), field)

    def propose(self, field: str, value: Any) -> Change:
        """The change setting ``field`` to ``value`` (text, a list of villages, or a Location),
        validated as commune.yaml would be; Refused with the reason otherwise."""
        if field not in TEXT_FIELDS and field not in LIST_FIELDS and not field.startswith(PLACE_PREFIX):
            raise Refused(f"unknown field {field!r}")
        if isinstance(value, str):
            value = value.strip()
            if len(value) > MAX_TEXT:
                raise Refused(f"too long: {len(value)} characters, at most {MAX_TEXT}")
        if isinstance(value, Location):
            value = value.model_dump()
        try:
            merged = self._merged({field: value})
        except ValidationError as exc:
            first = exc.errors()[0]
            raise Refused(str(first["msg"]).removeprefix("Value error, ")) from None
        after = _get(merged.model_dump(mode="json"), field)
        return Change(field, self.overrides().get(field), after, self.current(field), after)

    def apply(self, change: Change, officer: int, undo_of: int | None = None) -> int:
        """Store a confirmed change (it wins over any earlier one), with its history and audit line."""
        at = now_iso()
        with self.db.atomic():
            if change.after is None:
                self.db.execute("delete from local_details where field = ?", [change.field])
            else:
                self.db.table("local_details").upsert(
                    {
                        "field": change.field,
                        "value": json.dumps(change.after, ensure_ascii=False),
                        "set_by": officer,
                        "set_at": at,
                    },
                    pk="field",
                )
            row = {
                "field": change.field,
                "before": json.dumps(change.before, ensure_ascii=False),
                "after": json.dumps(change.after, ensure_ascii=False),
                "officer": officer,
                "at": at,
                "undo_of": undo_of,
            }
            history_id = int(self.db.table("local_history").insert(row).last_pk or 0)
            audit.record(
                self.db,
                officer,
                "local_detail.undo" if undo_of else "local_detail.set",
                {"field": change.field, "before": change.before, "after": change.after, "history": history_id},
            )
        self._effective = None
        return history_id

    def history(self, limit: int = 10) -> list[dict[str, Any]]:
        rows = self.db.query("select * from local_history order by id desc limit ?", [limit])
        return [{**r, "before": json.loads(r["before"]), "after": json.loads(r["after"])} for r in rows]

    def undo(self, history_id: int, officer: int) -> Change:
        """Put back the value before change ``history_id`` (whatever came since, the field returns to it)."""
        rows = list(self.db.query("select * from local_history where id = ?", [history_id]))
        if not rows:
            raise Refused(f"no change {history_id}")
        row = rows[0]
        field, before = row["field"], json.loads(row["before"])
        if before is not None:  # the value then may no longer be valid (the area changed): check it again
            self.propose(field, before)
        becomes = _get(self._merged({field: before}).model_dump(mode="json"), field) if before is not None else None
        if before is None:
            data = self.baseline.model_dump(mode="json")
            becomes = _get(data, field)
        change = Change(field, self.overrides().get(field), before, self.current(field), becomes)
        self.apply(change, officer, undo_of=history_id)
        return change
