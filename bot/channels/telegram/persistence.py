"""Where the officers' wizards are when the bot restarts: PTB's conversation states, in SQLite.

A BasePersistence that keeps only ConversationHandler states (user, chat and bot data are not
persisted: everything the bot must remember lives in its own tables). PTB hands over changed
states every ``update_interval`` seconds and at shutdown; each batch is written in one
transaction, so a crash loses at most the last second and never half of it.
"""

from __future__ import annotations

import json
from typing import Any

import sqlite_utils
from telegram.ext import BasePersistence, PersistenceInput
from telegram.ext._utils.types import ConversationDict, ConversationKey

NOTHING_ELSE = PersistenceInput(bot_data=False, chat_data=False, user_data=False, callback_data=False)


class ConversationStore(BasePersistence[dict, dict, dict]):
    def __init__(self, db: sqlite_utils.Database, update_interval: float = 1.0) -> None:
        super().__init__(store_data=NOTHING_ELSE, update_interval=update_interval)
        self.db = db

    async def get_conversations(self, name: str) -> ConversationDict:
        rows = self.db.query("select key, state from conversations where name = ?", [name])
        return {tuple(json.loads(r["key"])): json.loads(r["state"]) for r in rows}

    async def update_conversation(self, name: str, key: ConversationKey, new_state: object | None) -> None:
        encoded = json.dumps(list(key))
        with self.db.atomic():
            if new_state is None:
                self.db.execute("delete from conversations where name = ? and key = ?", [name, encoded])
            else:
                self.db.table("conversations").upsert(
                    {"name": name, "key": encoded, "state": json.dumps(new_state)}, pk=("name", "key")
                )

    # --- nothing else is persisted ---------------------------------------------------------------
    async def get_user_data(self) -> dict[int, dict]:
        return {}

    async def get_chat_data(self) -> dict[int, dict]:
        return {}

    async def get_bot_data(self) -> dict:
        return {}

    async def get_callback_data(self) -> Any:
        return None

    async def update_user_data(self, user_id: int, data: dict) -> None:
        return None

    async def update_chat_data(self, chat_id: int, data: dict) -> None:
        return None

    async def update_bot_data(self, data: dict) -> None:
        return None

    async def update_callback_data(self, data: Any) -> None:
        return None

    async def drop_chat_data(self, chat_id: int) -> None:
        return None

    async def drop_user_data(self, user_id: int) -> None:
        return None

    async def refresh_user_data(self, user_id: int, user_data: dict) -> None:
        return None

    async def refresh_chat_data(self, chat_id: int, chat_data: dict) -> None:
        return None

    async def refresh_bot_data(self, bot_data: dict) -> None:
        return None

    async def flush(self) -> None:
        return None
