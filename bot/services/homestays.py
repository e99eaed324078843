"""Homestays their owners list themselves (/dangkyhomestay), shown only after an officer approves.

A listing is ``pending`` until an officer approves or rejects it; an owner may withdraw their own,
and an officer may hide any. To edit, an owner sends the listing again under the same name: once
approved, the new one replaces the old (until then the old one stays shown). Each decision is one
compare-and-set (a second tap, or two officers at once, change nothing) written with its audit line
in one transaction.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

import sqlite_utils

from bot.knowledge.schema import PHONE_RE, Homestay, LocalText, Location
from bot.services import audit
from bot.storage.db import now_iso

MAX_TEXT = 300  # characters of a name, a description or a price range
MAX_NAME = 80


class Invalid(ValueError):
    """A detail of a listing that cannot be taken; the message says why."""


@dataclass
class Draft:
    """What an owner has typed so far."""

    name: str = ""
    village: str = ""
    phone: str = ""
    latitude: float | None = None
    longitude: float | None = None
    photo: str = ""
    description_vi: str = ""
    description_en: str = ""
    price: str = ""


def text(value: str, limit: int = MAX_TEXT) -> str:
    value = " ".join(value.split())
    if not value:
        raise Invalid("empty")
    if len(value) > limit:
        raise Invalid(f"too long: {len(value)} characters, at most {limit}")
    return value


def phone(value: str) -> str:
    value = value.strip()
    if not PHONE_RE.match(value):
        raise Invalid(f"{value[:40]!r} is not a phone number (digits, spaces, + . - ( ) only)")
    return value


class Homestays:
    def __init__(self, db: sqlite_utils.Database) -> None:
        self.db = db
        # the approved listings are read by every answer; kept until this object or another
        # connection (PRAGMA data_version) writes the database
        self._generation = 0
        self._approved: tuple[tuple[int, int], list[Homestay]] | None = None

    def _changed(self) -> None:
        self._generation += 1

    def submit(self, owner: int, draft: Draft) -> int:
        row = {**draft.__dict__, "owner": owner, "status": "pending", "submitted_at": now_iso()}
        with self.db.atomic():
            ident = int(self.db.table("homestays").insert(row).last_pk or 0)
            audit.record(self.db, owner, "homestay.submit", {"homestay": ident, "name": draft.name})
        self._changed()
        return ident

    def get(self, ident: int) -> dict[str, Any] | None:
        rows = list(self.db.query("select * from homestays where id = ?", [ident]))
        return rows[0] if rows else None

    def _decide(self, ident: int, actor: int, frm: tuple[str, ...], to: str, owner: int | None = None) -> bool:
        """Move listing ``ident`` from one of ``frm`` to ``to``; False when it was not in ``frm`` (already
        decided, or not the owner's)."""
        marks = ",".join("?" * len(frm))
        where = f"id = ? and status in ({marks})" + (" and owner = ?" if owner is not None else "")
        args: list[Any] = [to, now_iso(), actor, ident, *frm, *([owner] if owner is not None else [])]
        with self.db.atomic():
            cur = self.db.execute(
                f"update homestays set status = ?, decided_at = ?, decided_by = ? where {where}", args
            )
            if cur.rowcount != 1:
                return False
            audit.record(self.db, actor, f"homestay.{to}", {"homestay": ident})
        self._changed()
        return True

    def approve(self, ident: int, officer: int) -> bool:
        """Approve a pending listing; an owner's earlier approved listing of the same name is the one
        this edits, and it is replaced in the same transaction (an edit shows only once approved)."""
        with self.db.atomic():
            if not self._decide(ident, officer, ("pending",), "approved"):
                return False
            row = self.get(ident) or {}
            name = " ".join(str(row.get("name", "")).casefold().split())  # SQLite's lower() is ASCII only
            for old in self.db.query(
                "select id, name from homestays where owner = ? and status = 'approved' and id != ?",
                [row.get("owner"), ident],
            ):
                if " ".join(old["name"].casefold().split()) == name:
                    self.db.execute(
                        "update homestays set status = 'replaced', decided_at = ?, decided_by = ? where id = ?",
                        [now_iso(), officer, old["id"]],
                    )
        self._changed()
        return True

    def reject(self, ident: int, officer: int) -> bool:
        return self._decide(ident, officer, ("pending",), "rejected")

    def hide(self, ident: int, officer: int) -> bool:
        return self._decide(ident, officer, ("approved",), "hidden")

    def withdraw(self, ident: int, owner: int) -> bool:
        return self._decide(ident, owner, ("pending", "approved"), "withdrawn", owner=owner)

    def of_owner(self, owner: int) -> list[dict[str, Any]]:
        return list(
            self.db.query(
                "select * from homestays where owner = ? and status in ('pending', 'approved') order by id", [owner]
            )
        )

    def approved(self) -> list[Homestay]:
        """The approved listings as the answers show them (each with the day it was listed)."""
        key = (int(self.db.execute("pragma data_version").fetchone()[0]), self._generation)
        if self._approved is not None and self._approved[0] == key:
            return list(self._approved[1])
        out = self._read_approved()
        self._approved = (key, out)
        return list(out)

    def _read_approved(self) -> list[Homestay]:
        out = []
        for r in self.db.query("select * from homestays where status = 'approved' order by decided_at, id"):
            location = None
            if r["latitude"] is not None and r["longitude"] is not None:
                location = Location(latitude=r["latitude"], longitude=r["longitude"])
            out.append(
                Homestay(
                    name=r["name"],
                    village=r["village"] or "",
                    phone=r["phone"] or "",
                    location=location,
                    listed_since=dt.date.fromisoformat(r["decided_at"][:10]) if r["decided_at"] else None,
                    description=LocalText(vi=r["description_vi"] or "", en=r["description_en"] or ""),
                    price=r["price"] or "",
                )
            )
        return out
