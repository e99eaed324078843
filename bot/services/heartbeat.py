"""A heartbeat file the bot touches whenever Telegram answers it, for container health checks.

In polling mode every successful getUpdates touches it (at least every 10 s, the long-poll
timeout); in webhook mode a periodic getMe does. `python -m bot health` fails when it is stale,
so the health check reflects whether the bot really talks to Telegram, not just whether the
process exists.
"""

from __future__ import annotations

import os
import time
from pathlib import Path

FILE = "heartbeat"
MAX_AGE = 120.0  # seconds


class Heartbeat:
    def __init__(self, data_dir: Path, every: float = 5.0) -> None:
        self.path = Path(data_dir) / FILE
        self.every = every
        self._last = 0.0

    def beat(self) -> None:
        now = time.time()
        if now - self._last < self.every:
            return
        self._last = now
        self.path.parent.mkdir(parents=True, exist_ok=True)
        tmp = self.path.with_suffix(".tmp")
        tmp.write_text(f"{now:.0f}\n", encoding="ascii")
        os.replace(tmp, self.path)


def age(data_dir: Path) -> float | None:
    """Seconds since the last beat, or None when there was none."""
    try:
        return time.time() - float((Path(data_dir) / FILE).read_text(encoding="ascii").strip())
    except (OSError, ValueError):
        return None
