"""Per-user flood control: past ``limit`` messages in ``window`` seconds, one polite notice, then
silence until the user's rate falls back under the limit."""

from __future__ import annotations

import time
from collections import deque
from enum import Enum


class Verdict(Enum):
    OK = "ok"
    NOTICE = "notice"  # just went over: tell them once
    SILENT = "silent"  # still over: say nothing


class FloodGuard:
    def __init__(self, limit: int = 20, window: float = 60.0) -> None:
        self.limit = limit
        self.window = window
        self._seen: dict[int, deque[float]] = {}
        self._noticed: set[int] = set()

    def check(self, user_id: int, now: float | None = None) -> Verdict:
        now = time.monotonic() if now is None else now
        seen = self._seen.setdefault(user_id, deque())
        while seen and now - seen[0] >= self.window:
            seen.popleft()
        if len(seen) < self.limit:
            seen.append(now)
            self._noticed.discard(user_id)
            if len(self._seen) > 100_000:
                self._forget_idle(now)
            return Verdict.OK
        if user_id in self._noticed:
            return Verdict.SILENT
        self._noticed.add(user_id)
        return Verdict.NOTICE

    def _forget_idle(self, now: float) -> None:
        self._seen = {u: d for u, d in self._seen.items() if d and now - d[-1] < self.window}
