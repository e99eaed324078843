"""Wiring the pieces every channel needs: database, knowledge base, engine."""

from __future__ import annotations

import gc
from dataclasses import dataclass
from pathlib import Path

import sqlite_utils

from bot.engine.compose import Answer, compose, precise
from bot.engine.engine import Engine
from bot.engine.matcher import Calibration
from bot.engine.snapshot import open_index
from bot.i18n import N_
from bot.knowledge.loader import KnowledgeBase
from bot.knowledge.schema import Commune, Homestay
from bot.knowledge.store import open_knowledge, stored_fingerprint
from bot.services.homestays import Homestays
from bot.services.learned import LEARNED_FILE
from bot.services.local_details import LocalDetails
from bot.storage.db import DB_FILE, connect
from bot.text.normalize import clean, fold, tokens

#: The menu's sections, the same in every channel: key → (label msgid, entry categories).
SECTIONS: dict[str, tuple[str, tuple[str, ...]]] = {
    "svc": (N_("🏛 Public services"), ("service", "referral")),
    "tour": (N_("🏞 Tourism"), ("tour", "place", "stay", "event", "travel")),
    "ocop": (N_("🛍 OCOP products"), ("ocop",)),
    "goal": (N_("🎯 Targets 2026–2030"), ("goal",)),
}


def settle() -> None:
    """After the knowledge base and its index are loaded: they live as long as the process, so the
    garbage collector is told to leave them be (``gc.freeze``) and to run less often. On a base of
    thousands of entries its passes over them were the slowest 1 % of questions (bench/index_bench.py)."""
    gc.collect()
    gc.freeze()
    gc.set_threshold(100_000, 50, 1000)


def _engine(kb: KnowledgeBase, db: sqlite_utils.Database | None = None) -> Engine:
    """The engine; with the store ``db``, its index comes from the store's snapshot (analysed once)."""
    index = open_index(kb, db, fingerprint=stored_fingerprint(db)) if db is not None else None
    return Engine(kb, Calibration.from_params(kb.calibration), index)


@dataclass
class Core:
    db: sqlite_utils.Database
    kb: KnowledgeBase
    engine: Engine
    knowledge_root: Path

    learned_path: Path | None = None
    local: LocalDetails | None = None  # officers' local details over commune.yaml (set in __post_init__)

    def __post_init__(self) -> None:
        self.local = LocalDetails(self.db, self.kb.commune)
        self.homestays = Homestays(self.db)

    @property
    def commune(self) -> Commune:
        """The local details answers use: commune.yaml with the officers' values over it, and the
        homestays their owners listed and an officer approved."""
        assert self.local is not None
        effective = self.local.effective()
        listed = self.homestays.approved()
        return effective.model_copy(update={"homestays": [*effective.homestays, *listed]}) if listed else effective

    @classmethod
    def open(cls, knowledge: Path, data: Path) -> Core:
        """The knowledge folder and the data folder come from Settings (or the command line)."""
        root, data_dir = knowledge, data
        db = connect(data_dir / DB_FILE)
        learned = data_dir / LEARNED_FILE
        kb = open_knowledge(root, db, learned)
        return cls(db, kb, _engine(kb, db), root, learned)

    def reload(self) -> None:
        """Re-read the knowledge (after an officer attached a question): takes effect at once."""
        kb = open_knowledge(self.knowledge_root, self.db, self.learned_path, previous=self.kb)
        engine = _engine(kb, self.db)
        self.kb, self.engine = kb, engine
        self.local = LocalDetails(self.db, kb.commune)

    def answer(self, entry_id: str, lang: str, field: str | None = None, question: str = "") -> Answer | None:
        """The entry's answer; with ``field``, only that part of it (see compose.precise); ``question``:
        what was asked, when the answer can use it (the village named, for places to stay)."""
        entry = self.engine.entry(entry_id)
        if entry is None:
            return None
        titles = {r: e.title.get(lang) for r in entry.related if (e := self.engine.entry(r))}
        full = compose(entry, lang, self.commune, titles, question)
        return precise(full, field, lang) if field else full

    def stays_matching(self, query: str) -> list[Homestay]:
        """The listed places to stay whose name or village the query names (inline search)."""
        words = set(tokens(fold(clean(query))))
        if not words:
            return []

        def named(h: Homestay) -> bool:
            own = set(tokens(fold(clean(f"{h.name} {h.village}"))))
            return len(words & own) >= min(2, len(words))

        return [h for h in self.commune.homestays if named(h)]

    def section(self, key: str, lang: str) -> list[tuple[str, str]]:
        """The (id, title) of every entry in menu section ``key``: by the section's categories (the
        commune's own procedures before the where-to-go ones), then in knowledge-base order."""
        categories = SECTIONS[key][1]
        entries = sorted(
            (e for e in self.kb.entries if e.category in categories), key=lambda e: categories.index(e.category)
        )
        return [(e.id, e.title.get(lang)) for e in entries]

    def title(self, entry_id: str, lang: str) -> str:
        entry = self.engine.entry(entry_id)
        return entry.title.get(lang) if entry else entry_id
