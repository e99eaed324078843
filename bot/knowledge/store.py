"""Compiling knowledge/ into the SQLite store, and reading it back.

``kb build`` writes the tables ``entries``, ``questions``, ``kb_meta`` and the FTS5 table
``entries_fts`` (folded titles, questions and keywords — for prefix search while a user is
still typing, e.g. in inline mode). At start the store is rebuilt when the YAML changed,
so that the bot always serves what curators wrote last.
"""

from __future__ import annotations

import datetime as dt
import json
import logging
import re
from pathlib import Path

import sqlite_utils

from bot.knowledge.loader import KnowledgeBase, KnowledgeError, LazyEntries, fingerprint, load
from bot.knowledge.schema import Commune, Entry, FieldWords, Indicator, Lexicon, Topic
from bot.text.normalize import clean, fold, tokens

log = logging.getLogger(__name__)


def _search_text(entry: Entry, learned: dict[str, list[str]]) -> str:
    parts = [*entry.texts("vi"), *entry.texts("en"), *entry.keywords]
    parts += [q for qs in learned.values() for q in qs]
    return fold(clean(" ".join(parts), limit=100_000))


def build(db: sqlite_utils.Database, kb: KnowledgeBase, print_: str = "") -> None:
    """Replace the knowledge tables with ``kb``."""
    with db.atomic():
        for table in ("entries_fts", "questions", "entries"):
            if db[table].exists():
                db[table].drop()
        db.table("entries").insert_all(
            (
                {
                    "id": e.id,
                    "category": e.category,
                    "title_vi": e.title.vi,
                    "title_en": e.title.en,
                    "answer_vi": e.answer.vi,
                    "answer_en": e.answer.en,
                    "source": e.source,
                    "updated": e.updated.isoformat(),
                    "data": json.dumps(e.model_dump(mode="json"), ensure_ascii=False),
                    "search": _search_text(e, kb.learned.get(e.id, {})),
                }
                for e in kb.entries
            ),
            pk="id",
        )
        db.table("questions").insert_all(
            (
                {"entry_id": e.id, "lang": lang, "text": q, "origin": "curated"}
                for e in kb.entries
                for lang in ("vi", "en")
                for q in e.questions.get(lang)
            ),
        )
        db.table("questions").insert_all(
            (
                {"entry_id": ident, "lang": lang, "text": q, "origin": "learned"}
                for ident, langs in kb.learned.items()
                for lang, qs in langs.items()
                for q in qs
            ),
        )
        db.table("entries").enable_fts(["title_vi", "title_en", "search"], tokenize="unicode61", create_triggers=False)
        meta = {
            "fingerprint": print_,
            "built_at": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
            "lexicon": kb.lexicon.model_dump_json(),
            "commune": kb.commune.model_dump_json(),
            "learned": json.dumps(kb.learned, ensure_ascii=False),
            "calibration": json.dumps(kb.calibration),
            "topics": json.dumps([t.model_dump() for t in kb.topics], ensure_ascii=False),
            "indicators": json.dumps([i.model_dump() for i in kb.indicators], ensure_ascii=False),
            "fields": kb.fields.model_dump_json(),
        }
        db.table("kb_meta").insert_all(({"key": k, "value": v} for k, v in meta.items()), pk="key", replace=True)


def stored_fingerprint(db: sqlite_utils.Database) -> str | None:
    if not db.table("kb_meta").exists():
        return None
    rows = list(db.query("select value from kb_meta where key = 'fingerprint'"))
    return rows[0]["value"] if rows else None


def read(db: sqlite_utils.Database) -> KnowledgeBase:
    """The knowledge base as last built into the store."""
    meta = {r["key"]: r["value"] for r in db.query("select key, value from kb_meta")}
    rows = db.conn.execute("select id, data from entries order by rowid").fetchall()
    entries = LazyEntries([str(i) for i, _d in rows], [str(d) for _i, d in rows])  # validated when read
    return KnowledgeBase(
        entries=entries,
        lexicon=Lexicon.model_validate_json(meta["lexicon"]),
        commune=Commune.model_validate_json(meta["commune"]),
        learned=json.loads(meta.get("learned", "{}")),
        calibration=json.loads(meta.get("calibration", "null")),
        topics=[Topic.model_validate(t) for t in json.loads(meta.get("topics", "[]"))],
        indicators=[Indicator.model_validate(i) for i in json.loads(meta.get("indicators", "[]"))],
        fields=FieldWords.model_validate_json(meta.get("fields", "{}")),
    )


def open_knowledge(root: Path, db: sqlite_utils.Database, learned: Path | None = None) -> KnowledgeBase:
    """The current knowledge base: from the store when up to date, else rebuilt from YAML.

    When the YAML has problems and an older build exists, that build is served and the
    problems are logged; with no build to fall back on, KnowledgeError is raised."""
    current = fingerprint(root, learned)
    if stored_fingerprint(db) == current:
        return read(db)
    kb = load(root, learned)
    if kb.problems:
        if stored_fingerprint(db) is not None:
            log.error(
                "knowledge/ has %d problem(s); serving the last good build:\n%s",
                len(kb.problems),
                "\n".join(str(p) for p in kb.problems),
            )
            return read(db)
        raise KnowledgeError(kb.problems)
    build(db, kb, current)
    log.info("knowledge store rebuilt: %d entries", len(kb.entries))
    return kb


_WORD = re.compile(r"\w+")


def prefix_search(db: sqlite_utils.Database, query: str, limit: int = 10) -> list[str]:
    """Entry ids whose folded texts contain every word of ``query`` as a prefix."""
    words = [fold(t) for t in tokens(clean(query))]
    words = [w for w in words if _WORD.fullmatch(w)]
    if not words or not db.table("entries_fts").exists():
        return []
    match = " ".join(f'"{w}"*' for w in words)
    sql = (
        "select entries.id from entries_fts join entries on entries.rowid = entries_fts.rowid "
        "where entries_fts match ? order by rank limit ?"
    )
    return [r["id"] for r in db.query(sql, [match, limit])]
