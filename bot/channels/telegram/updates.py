"""Updates handled concurrently across people, in order within one conversation.

PTB's ``concurrent_updates`` runs updates side by side; a ConversationHandler decides its next
state only when a handler returns, so an officer who types the next step a few milliseconds
after the bot's prompt could reach a conversation still in the previous state (the text would
then be answered as a question). This processor keeps PTB's limit on updates in flight and
handles the updates of one (chat, user) pair one after the other — the key ConversationHandler
uses — while different people still go in parallel. A burst from one person waits its turn
(and meets the flood guard first); it cannot reorder anyone's steps.
"""

from __future__ import annotations

import asyncio
import weakref
from collections.abc import Awaitable
from typing import Any

from telegram import Update
from telegram.ext import BaseUpdateProcessor


def conversation_key(update: object) -> tuple[int, int] | None:
    if not isinstance(update, Update):
        return None
    chat, user = update.effective_chat, update.effective_user
    if chat is None and user is None:
        return None
    return (chat.id if chat else 0, user.id if user else 0)


class InOrderPerConversation(BaseUpdateProcessor):
    def __init__(self, max_concurrent_updates: int) -> None:
        super().__init__(max_concurrent_updates)
        self._locks: weakref.WeakValueDictionary[tuple[int, int], asyncio.Lock] = weakref.WeakValueDictionary()

    async def do_process_update(self, update: object, coroutine: Awaitable[Any]) -> None:
        key = conversation_key(update)
        if key is None:
            await coroutine
            return
        lock = self._locks.get(key)
        if lock is None:
            lock = self._locks[key] = asyncio.Lock()
        async with lock:
            await coroutine

    async def initialize(self) -> None:
        return None

    async def shutdown(self) -> None:
        return None
