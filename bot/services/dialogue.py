"""What a conversation remembers between two messages: the entry last answered, for follow-ups
("còn lệ phí?"). Per chat and person (in a group, each person has their own), for ten minutes,
in memory only: a restart, or a message hours later, starts afresh, and nothing leaks between chats."""

from __future__ import annotations

import time
from collections import OrderedDict

TTL = 10 * 60.0  # seconds a follow-up may refer back
MAX_CONVERSATIONS = 50_000  # the oldest are forgotten first


class Dialogues:
    def __init__(self, ttl: float = TTL, size: int = MAX_CONVERSATIONS) -> None:
        self.ttl, self.size = ttl, size
        self._last: OrderedDict[tuple[int, int], tuple[str, float]] = OrderedDict()

    def answered(self, chat_id: int, user_id: int, entry_id: str, now: float | None = None) -> None:
        key = (chat_id, user_id)
        self._last[key] = (entry_id, time.monotonic() if now is None else now)
        self._last.move_to_end(key)
        while len(self._last) > self.size:
            self._last.popitem(last=False)

    def context(self, chat_id: int, user_id: int, now: float | None = None) -> str | None:
        """The entry this person was last answered in this chat, if recent enough."""
        found = self._last.get((chat_id, user_id))
        if found is None:
            return None
        entry_id, at = found
        if (time.monotonic() if now is None else now) - at > self.ttl:
            del self._last[(chat_id, user_id)]
            return None
        return entry_id
