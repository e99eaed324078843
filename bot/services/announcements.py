"""Announcements and their persistent outbox: drafts, schedules, delivery state, recall.

One outbox row per (announcement, recipient), committed before and after every send, so a
broadcast killed at any moment resumes where it stopped: rows caught mid-send go back to
pending at start (only those few may arrive twice).
"""

from __future__ import annotations

import datetime as dt
import json
import time
from dataclasses import dataclass

import sqlite_utils

from bot.services import audit
from bot.services.subscriptions import Recipient
from bot.storage.db import now_iso

MAX_ATTEMPTS = 5
RECALL_WINDOW = dt.timedelta(hours=48)
FINAL = ("sent", "blocked", "failed", "recalled", "cancelled")  # cancelled: never sent, recalled first
DRAFT_STAGES = ("audience", "text", "text_en", "preview", "when")


@dataclass
class Announcement:
    id: int
    created_by: int
    stage: str
    topics: list[str]
    villages: list[str]
    text_vi: str
    text_en: str
    photo: str
    emergency: bool
    scheduled_at: str | None
    started_at: str | None
    progress_chat_id: int | None
    progress_message_id: int | None

    @classmethod
    def from_row(cls, r: dict) -> Announcement:
        return cls(
            r["id"],
            r["created_by"],
            r["stage"],
            json.loads(r["topics"] or "[]"),
            json.loads(r["villages"] or "[]"),
            r["text_vi"] or "",
            r["text_en"] or "",
            r["photo"] or "",
            bool(r["emergency"]),
            r["scheduled_at"],
            r["started_at"],
            r["progress_chat_id"],
            r["progress_message_id"],
        )


@dataclass
class OutboxRow:
    id: int
    announcement_id: int
    user_id: int
    chat_id: int
    lang: str
    attempts: int


class Announcements:
    def __init__(self, db: sqlite_utils.Database) -> None:
        self.db = db

    # --- drafts -------------------------------------------------------------------------
    def draft_of(self, officer: int) -> Announcement | None:
        rows = list(
            self.db.query(
                f"select * from announcements where created_by = ? and stage in ({','.join('?' * len(DRAFT_STAGES))}) "
                "order by id desc limit 1",
                [officer, *DRAFT_STAGES],
            )
        )
        return Announcement.from_row(rows[0]) if rows else None

    def new_draft(self, officer: int) -> Announcement:
        """A new draft for ``officer``; an older unfinished draft of theirs is cancelled with it."""
        with self.db.atomic():
            self.db.execute(
                f"update announcements set stage = 'cancelled' where created_by = ? "
                f"and stage in ({','.join('?' * len(DRAFT_STAGES))})",
                [officer, *DRAFT_STAGES],
            )
            pk = (
                self.db.table("announcements")
                .insert(
                    {
                        "created_by": officer,
                        "created_at": now_iso(),
                        "stage": "audience",
                        "topics": "[]",
                        "villages": "[]",
                    }
                )
                .last_pk
            )
            audit.record(self.db, officer, "announcement.draft", {"id": pk})
        return self.get(int(pk or 0))

    def get(self, announcement_id: int) -> Announcement:
        return Announcement.from_row(self.db.table("announcements").get(announcement_id))

    def update(self, announcement_id: int, **fields: object) -> Announcement:
        for key in ("topics", "villages"):
            if key in fields:
                fields[key] = json.dumps(fields[key], ensure_ascii=False)
        self.db.table("announcements").update(announcement_id, fields)
        return self.get(announcement_id)

    def advance(
        self, announcement_id: int, from_stages: str | tuple[str, ...], to_stage: str, **fields: object
    ) -> Announcement | None:
        """Move to ``to_stage`` only from one of ``from_stages``, in one statement (a compare-and-set):
        of two taps on the same button, only the first gets the announcement back; the other None."""
        stages = (from_stages,) if isinstance(from_stages, str) else from_stages
        if self._advance(announcement_id, stages, to_stage, fields):
            return self.get(announcement_id)
        return None

    def _advance(self, announcement_id: int, stages: tuple[str, ...], to_stage: str, fields: dict) -> bool:
        sets = ", ".join(f"{k} = ?" for k in ("stage", *fields))
        cur = self.db.execute(
            f"update announcements set {sets} where id = ? and stage in ({','.join('?' * len(stages))})",
            [to_stage, *fields.values(), announcement_id, *stages],
        )
        return cur.rowcount == 1

    # --- schedules ------------------------------------------------------------------------
    def schedule(self, announcement_id: int, when: dt.datetime, actor: int) -> bool:
        at = when.astimezone(dt.UTC).isoformat()
        with self.db.atomic():
            if not self._advance(announcement_id, ("when",), "scheduled", {"scheduled_at": at}):
                return False
            audit.record(self.db, actor, "announcement.schedule", {"id": announcement_id, "at": at})
        return True

    def due(self, now: dt.datetime | None = None) -> list[Announcement]:
        now = now or dt.datetime.now(dt.UTC)
        rows = self.db.query(
            "select * from announcements where stage = 'scheduled' and scheduled_at <= ? order by scheduled_at",
            [now.isoformat()],
        )
        return [Announcement.from_row(r) for r in rows]

    def pending(self) -> list[Announcement]:
        rows = self.db.query("select * from announcements where stage = 'scheduled' order by scheduled_at")
        return [Announcement.from_row(r) for r in rows]

    def cancel(self, announcement_id: int, actor: int) -> bool:
        """A draft or a scheduled announcement, cancelled; False when it was already gone or sent."""
        with self.db.atomic():
            if not self._advance(announcement_id, ("scheduled", *DRAFT_STAGES), "cancelled", {}):
                return False
            audit.record(self.db, actor, "announcement.cancel", {"id": announcement_id})
        return True

    # --- sending ---------------------------------------------------------------------------
    def start(
        self,
        announcement_id: int,
        recipients: list[Recipient],
        lang_of_channel: str = "vi",
        channel_id: int | None = None,
        actor: int | None = None,
    ) -> int | None:
        """Mark it sending and create the outbox (one row per recipient, plus the public channel), in
        one transaction with its audit line; returns the row count, or None when it was not ready to
        go (already launched by another tap, cancelled meanwhile)."""
        rows = [
            {
                "announcement_id": announcement_id,
                "user_id": r.user_id,
                "chat_id": r.chat_id,
                "lang": r.lang,
                "status": "pending",
                "updated_at": now_iso(),
            }
            for r in recipients
        ]
        if channel_id is not None:
            rows.append(
                {
                    "announcement_id": announcement_id,
                    "user_id": channel_id,
                    "chat_id": channel_id,
                    "lang": lang_of_channel,
                    "status": "pending",
                    "updated_at": now_iso(),
                }
            )
        with self.db.atomic():
            if not self._advance(announcement_id, ("preview", "scheduled"), "sending", {"started_at": now_iso()}):
                return None
            self.db.table("outbox").insert_all(rows, ignore=True, batch_size=500)
            audit.record(
                self.db,
                actor if actor is not None else self.get(announcement_id).created_by,
                "announcement.send",
                {"id": announcement_id, "recipients": len(rows)},
            )
        return len(rows)

    def recover(self) -> int:
        """At start: rows that were being sent when the process died go back to pending, and a recall
        cut short is open to be tapped again."""
        with self.db.atomic():
            self.db.execute("update announcements set stage = 'done' where stage = 'recalling'")
            cur = self.db.execute("update outbox set status = 'pending' where status = 'sending'")
        return cur.rowcount

    def next_rows(self, limit: int) -> list[OutboxRow]:
        """Pending rows ready to go, emergency announcements first, and mark them sending."""
        now = time.time()
        with self.db.atomic():
            return self._take(now, limit)

    def _take(self, now: float, limit: int) -> list[OutboxRow]:
        rows = list(
            self.db.query(
                """select o.id, o.announcement_id, o.user_id, o.chat_id, o.lang, o.attempts
                   from outbox o join announcements a on a.id = o.announcement_id
                   where o.status = 'pending' and o.next_attempt_at <= ? and a.stage = 'sending'
                   order by a.emergency desc, o.id limit ?""",
                [now, limit],
            )
        )
        if rows:
            ids = [r["id"] for r in rows]
            self.db.execute(
                f"update outbox set status = 'sending', updated_at = ? where id in ({','.join('?' * len(ids))})",
                [now_iso(), *ids],
            )
        return [OutboxRow(**r) for r in rows]

    def _set(self, row_id: int, **fields: object) -> None:
        fields["updated_at"] = now_iso()
        self.db.table("outbox").update(row_id, fields)

    def sent(self, row_id: int, message_ids: list[int]) -> None:
        first = message_ids[0] if message_ids else None
        extra = message_ids[1] if len(message_ids) > 1 else None
        self._set(row_id, status="sent", message_id=first, extra_message_id=extra, last_error=None)

    def blocked(self, row_id: int, error: str) -> None:
        self._set(row_id, status="blocked", last_error=error[:200])

    def failed(self, row_id: int, error: str) -> None:
        self._set(row_id, status="failed", last_error=error[:200])

    def retry(self, row: OutboxRow, error: str, delay: float, count: bool = True) -> None:
        """Back to pending after ``delay`` seconds; after MAX_ATTEMPTS counted tries, failed."""
        attempts = row.attempts + (1 if count else 0)
        if attempts >= MAX_ATTEMPTS:
            self.failed(row.id, error)
            return
        self._set(
            row.id, status="pending", attempts=attempts, last_error=error[:200], next_attempt_at=time.time() + delay
        )

    def move_chat(self, row: OutboxRow, new_chat_id: int) -> None:
        self._set(row.id, status="pending", chat_id=new_chat_id)

    def progress(self, announcement_id: int) -> dict[str, int]:
        counts = {s: 0 for s in ("pending", "sending", "sent", "blocked", "failed", "recalled", "cancelled")}
        for r in self.db.query(
            "select status, count(*) n from outbox where announcement_id = ? group by status", [announcement_id]
        ):
            counts[r["status"]] = r["n"]
        counts["total"] = sum(counts.values())
        counts["done"] = sum(counts[s] for s in FINAL)
        return counts

    def unfinished(self, announcement_id: int) -> bool:
        return bool(
            list(
                self.db.query(
                    "select 1 from outbox where announcement_id = ? and status in ('pending', 'sending') limit 1",
                    [announcement_id],
                )
            )
        )

    def finish_if_done(self, announcement_id: int) -> bool:
        """Mark the announcement done when no row is left to send; True when this call did it."""
        if self.unfinished(announcement_id) or self.get(announcement_id).stage != "sending":
            return False
        self.update(announcement_id, stage="done", finished_at=now_iso())
        return True

    def sending(self) -> list[Announcement]:
        return [Announcement.from_row(r) for r in self.db.query("select * from announcements where stage = 'sending'")]

    # --- recall ------------------------------------------------------------------------------
    def recent(self, limit: int = 10) -> list[Announcement]:
        rows = self.db.query(
            "select * from announcements where stage in ('sending', 'done', 'recalled') order by id desc limit ?",
            [limit],
        )
        return [Announcement.from_row(r) for r in rows]

    def recallable(self, announcement_id: int) -> list[tuple[int, int, list[int]]]:
        """(row id, chat id, message ids) of messages still young enough to delete."""
        cutoff = (dt.datetime.now(dt.UTC) - RECALL_WINDOW).isoformat()
        rows = self.db.query(
            """select id, chat_id, message_id, extra_message_id from outbox
               where announcement_id = ? and status = 'sent' and message_id is not null and updated_at >= ?""",
            [announcement_id, cutoff],
        )
        return [(r["id"], r["chat_id"], [m for m in (r["message_id"], r["extra_message_id"]) if m]) for r in rows]

    def claim_recall(self, announcement_id: int) -> bool:
        """Start a recall: nothing more goes out (pending copies are cancelled); False when a recall
        of it is already running or it was never sent."""
        with self.db.atomic():
            if not self._advance(announcement_id, ("sending", "done"), "recalling", {}):
                return False
            self.db.execute(
                "update outbox set status = 'cancelled', updated_at = ? "
                "where announcement_id = ? and status = 'pending'",
                [now_iso(), announcement_id],
            )
        return True

    def in_flight(self, announcement_id: int) -> int:
        return self.db.execute(
            "select count(*) from outbox where announcement_id = ? and status = 'sending'", [announcement_id]
        ).fetchone()[0]

    def recalled(self, row_id: int) -> None:
        """This copy was deleted at Telegram (every message of it)."""
        self._set(row_id, status="recalled")

    def end_recall(self, announcement_id: int, actor: int, deleted: int) -> int:
        """Close a recall; returns how many copies remain. Only when none does the announcement
        become 'recalled'; otherwise it is 'done' again and can be recalled once more."""
        with self.db.atomic():
            self.db.execute(  # copies that fell back to pending (a retry) during the recall never go out
                "update outbox set status = 'cancelled' where announcement_id = ? and status = 'pending'",
                [announcement_id],
            )
            remaining = len(self.recallable(announcement_id))
            to = "recalled" if remaining == 0 else "done"
            fields = {"recalled_at": now_iso()} if remaining == 0 else {}
            self._advance(announcement_id, ("recalling",), to, fields)
            details = {"id": announcement_id, "deleted": deleted, "remaining": remaining}
            audit.record(self.db, actor, "announcement.recall", details)
        return remaining
