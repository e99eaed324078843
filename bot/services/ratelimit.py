"""Pacing for broadcasts: a global rate, one message a second per chat, 20 a minute per group.

Only broadcasts go through this limiter. Replies to people's questions do not share its
bucket, so a large broadcast can never starve them; the broadcast rate is set below
Telegram's overall limit to leave that headroom.

The global pace is taken by the broadcast bot's HTTP request itself, at the moment the
request leaves (see ``broadcast.paced``), for every request it makes — a photo and its long text
are two. Slots are spaced evenly (no burst credit: after a stall the pace resumes, it does not
catch up), and a sliding window caps the count outright, the way Telegram counts. The window
is a little longer than a second (``slack``): requests leave a few milliseconds after their slot
and arrive with jitter, and Telegram's second is counted on arrival.
"""

from __future__ import annotations

import asyncio
import math
import time
from collections import deque


class RateLimiter:
    def __init__(self, rate: float, per_chat: float = 1.0, per_group: float = 3.0, slack: float = 0.1) -> None:
        if rate <= 0:
            raise ValueError("rate must be positive")
        self.window = 1.0 + slack
        self.interval = self.window / rate
        self.per_window = max(1, math.floor(rate))
        self.per_chat = per_chat
        self.per_group = per_group
        self._next = 0.0  # monotonic time the next global slot opens
        self._granted: deque[float] = deque()  # grant times in the last window
        self._chat_next: dict[int, float] = {}
        self._paused_until = 0.0
        self._lock = asyncio.Lock()

    def pause(self, seconds: float) -> None:
        """Telegram said RetryAfter: nobody sends for ``seconds``."""
        self._paused_until = max(self._paused_until, time.monotonic() + seconds)

    async def acquire(self) -> None:
        """Wait for a global slot (and any pause): called as a request leaves."""
        while True:
            async with self._lock:
                now = time.monotonic()
                while self._granted and now - self._granted[0] >= self.window:
                    self._granted.popleft()
                full = self._granted[0] + self.window if len(self._granted) >= self.per_window else 0.0
                start = max(now, self._next, self._paused_until, full)
                if start <= now:
                    self._next = max(self._next, now - self.interval) + self.interval
                    self._granted.append(now)
                    return
            await asyncio.sleep(min(start - now, 1.0))

    async def acquire_chat(self, chat_id: int) -> None:
        """Wait until ``chat_id`` may receive again: a second per person, three per group."""
        while True:
            now = time.monotonic()
            start = max(self._chat_next.get(chat_id, 0.0), self._paused_until)
            if start <= now:
                self._chat_next[chat_id] = now + (self.per_group if chat_id < 0 else self.per_chat)
                if len(self._chat_next) > 50_000:
                    self._chat_next = {c: t for c, t in self._chat_next.items() if t > now}
                return
            await asyncio.sleep(min(start - now, 1.0))
