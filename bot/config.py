"""Where things are: the knowledge folder and the data folder, from the environment."""

from __future__ import annotations

import os
from pathlib import Path

PACKAGE_ROOT = Path(__file__).resolve().parent.parent


def knowledge_dir() -> Path:
    """KNOWLEDGE_DIR, else the knowledge/ folder of this checkout, else ./knowledge."""
    env = os.environ.get("KNOWLEDGE_DIR")
    if env:
        return Path(env)
    bundled = PACKAGE_ROOT / "knowledge"
    return bundled if bundled.is_dir() else Path("knowledge")


def data_dir() -> Path:
    """BOT_DATA_DIR (default ./data): where the SQLite database lives."""
    return Path(os.environ.get("BOT_DATA_DIR") or "data")
