"""Pacing for broadcasts: a global rate, one message a second per chat, 20 a minute per group.

Only broadcasts go through this limiter. Replies to people's questions do not share its
bucket, so a large broadcast can never starve them; the broadcast rate is set below
Telegram's overall limit to leave that headroom.
"""

from __future__ import annotations

import asyncio
import time


class RateLimiter:
    def __init__(self, rate: float, per_chat: float = 1.0, per_group: float = 3.0) -> None:
        if rate <= 0:
            raise ValueError("rate must be positive")
        self.interval = 1.0 / rate
        self.per_chat = per_chat
        self.per_group = per_group
        self._next = 0.0  # monotonic time the next global slot opens
        self._chat_next: dict[int, float] = {}
        self._paused_until = 0.0
        self._lock = asyncio.Lock()

    def pause(self, seconds: float) -> None:
        """Telegram said RetryAfter: nobody sends for ``seconds``."""
        self._paused_until = max(self._paused_until, time.monotonic() + seconds)

    async def acquire(self, chat_id: int) -> None:
        """Wait for a slot for ``chat_id``: the global pace, the chat's own pace, any pause."""
        while True:
            async with self._lock:
                now = time.monotonic()
                chat_ready = self._chat_next.get(chat_id, 0.0)
                start = max(now, self._next, self._paused_until, chat_ready)
                if start <= now:
                    self._next = max(self._next, now - self.interval) + self.interval
                    gap = self.per_group if chat_id < 0 else self.per_chat
                    self._chat_next[chat_id] = now + gap
                    if len(self._chat_next) > 50_000:
                        self._chat_next = {c: t for c, t in self._chat_next.items() if t > now}
                    return
            await asyncio.sleep(min(start - now, 1.0))
