"""Officers attach failed questions to entries: written to the data folder's learned.yaml.

The curated YAML in knowledge/ is never touched; `kb check` validates the learned file and
`kb export` includes it. A curator may review it and move questions into the entries.
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

import yaml

LEARNED_FILE = "learned.yaml"
HEADER = (
    "# Questions officers attached to entries from the bot's unanswered queue.\n"
    "# Written by the bot; reviewed by curators (`python -m bot kb check --data-dir …`).\n"
)


def add(path: Path, entry_id: str, lang: str, question: str) -> bool:
    """Add one question; False when it was there already. Written atomically."""
    data: dict = {}
    if path.is_file():
        data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    langs = data.setdefault(entry_id, {})
    questions = langs.setdefault(lang if lang in ("vi", "en") else "vi", [])
    if question in questions:
        return False
    questions.append(question)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".learned-", suffix=".yaml")
    with os.fdopen(fd, "w", encoding="utf-8") as f:
        f.write(HEADER)
        yaml.safe_dump(data, f, allow_unicode=True, sort_keys=True)
    os.replace(tmp, path)
    return True
