"""Pacing for broadcasts: a global rate, one message a second per chat, 20 a minute per group.

Only broadcasts go through this limiter. Replies to people's questions do not share its
bucket, so a large broadcast can never starve them; the broadcast rate is set below
Telegram's overall limit to leave that headroom.

Slots are spaced evenly (no burst credit: after a stall the pace resumes, it does not catch
up), and a sliding one-second window caps the count outright, the way Telegram counts.
"""

from __future__ import annotations

import asyncio
import math
import time
from collections import deque


class RateLimiter:
    def __init__(self, rate: float, per_chat: float = 1.0, per_group: float = 3.0) -> None:
        if rate <= 0:
            raise ValueError("rate must be positive")
        self.interval = 1.0 / rate
        self.per_second = max(1, math.floor(rate))
        self.per_chat = per_chat
        self.per_group = per_group
        self._next = 0.0  # monotonic time the next global slot opens
        self._window: deque[float] = deque()  # grant times in the last second
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
                while self._window and now - self._window[0] >= 1.0:
                    self._window.popleft()
                full = self._window[0] + 1.0 if len(self._window) >= self.per_second else 0.0
                start = max(now, self._next, self._paused_until, full, self._chat_next.get(chat_id, 0.0))
                if start <= now:
                    self._next = max(self._next, now - self.interval) + self.interval
                    self._window.append(now)
                    self._chat_next[chat_id] = now + (self.per_group if chat_id < 0 else self.per_chat)
                    if len(self._chat_next) > 50_000:
                        self._chat_next = {c: t for c, t in self._chat_next.items() if t > now}
                    return
            await asyncio.sleep(min(start - now, 1.0))
