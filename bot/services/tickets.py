"""Questions handed to an officer: tickets, the officers' group message each lives in, the reply.

Everything is in SQLite, so a restart between the question and the officer's reply loses
nothing; the reply goes back to the chat stored on the ticket and to no other.
"""

from __future__ import annotations

import sqlite_utils

from bot.storage.db import now_iso


class Tickets:
    def __init__(self, db: sqlite_utils.Database) -> None:
        self.db = db

    def open(self, user_id: int, chat_id: int, lang: str, question: str, log_id: int | None = None) -> tuple[int, bool]:
        """A ticket for a logged question: (its id, True when new). A question gets one ticket,
        however many times its 🙋 button is pressed."""
        if log_id is not None:
            existing = list(self.db.query("select id from tickets where log_id = ?", [log_id]))
            if existing:
                return int(existing[0]["id"]), False
        row = {
            "created_at": now_iso(),
            "user_id": user_id,
            "chat_id": chat_id,
            "lang": lang,
            "question": question[:2000],
            "status": "open",
            "log_id": log_id,
        }
        return int(self.db.table("tickets").insert(row).last_pk or 0), True

    def discard(self, ticket_id: int) -> None:
        """The ticket could not reach the officers: gone, so that the button can be pressed again."""
        self.db.execute("delete from tickets where id = ? and group_message_id is null", [ticket_id])

    def posted(self, ticket_id: int, group_chat_id: int, group_message_id: int) -> None:
        self.db.table("tickets").update(
            ticket_id, {"group_chat_id": group_chat_id, "group_message_id": group_message_id}
        )

    def get(self, ticket_id: int) -> dict | None:
        rows = list(self.db.query("select * from tickets where id = ?", [ticket_id]))
        return rows[0] if rows else None

    def by_group_message(self, group_chat_id: int, message_id: int) -> dict | None:
        rows = list(
            self.db.query(
                "select * from tickets where group_chat_id = ? and group_message_id = ?", [group_chat_id, message_id]
            )
        )
        return rows[0] if rows else None

    def answered(self, ticket_id: int, answer: str, officer: int, delivered: bool) -> None:
        self.db.table("tickets").update(
            ticket_id,
            {
                "answer": answer[:4000],
                "answered_by": officer,
                "answered_at": now_iso(),
                "status": "answered" if delivered else "undeliverable",
            },
        )

    def of_user(self, user_id: int, ticket_id: int) -> dict | None:
        """The ticket, only when it belongs to this user."""
        rows = list(self.db.query("select * from tickets where id = ? and user_id = ?", [ticket_id, user_id]))
        return rows[0] if rows else None

    def forget(self, user_id: int) -> int:
        """Cut the link between a user and their tickets (the question stays for the record)."""
        cur = self.db.execute("update tickets set user_id = null, chat_id = null where user_id = ?", [user_id])
        return cur.rowcount
