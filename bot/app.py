"""Wiring the pieces every channel needs: database, knowledge base, engine."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import sqlite_utils

from bot import config
from bot.engine.compose import Answer, compose
from bot.engine.engine import Engine
from bot.engine.matcher import Calibration
from bot.knowledge.loader import KnowledgeBase
from bot.knowledge.store import open_knowledge
from bot.storage.db import DB_FILE, connect


@dataclass
class Core:
    db: sqlite_utils.Database
    kb: KnowledgeBase
    engine: Engine
    knowledge_root: Path

    @classmethod
    def open(cls, knowledge: Path | None = None, data: Path | None = None, db_path: str | None = None) -> Core:
        root = knowledge or config.knowledge_dir()
        db = connect(db_path or (data or config.data_dir()) / DB_FILE)
        kb = open_knowledge(root, db)
        cal = Calibration(**kb.calibration) if kb.calibration else None
        return cls(db, kb, Engine(kb, cal), root)

    def answer(self, entry_id: str, lang: str) -> Answer | None:
        entry = self.engine.entry(entry_id)
        if entry is None:
            return None
        titles = {r: e.title.get(lang) for r in entry.related if (e := self.engine.entry(r))}
        return compose(entry, lang, self.kb.commune, titles)

    def title(self, entry_id: str, lang: str) -> str:
        entry = self.engine.entry(entry_id)
        return entry.title.get(lang) if entry else entry_id
