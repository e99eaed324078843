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
from dataclasses import replace
from pathlib import Path

import sqlite_utils

from bot.knowledge.loader import (
    KnowledgeBase,
    KnowledgeError,
    LazyEntries,
    Problem,
    StoredEntry,
    entry_digests,
    fingerprints,
    load,
    load_learned,
)
from bot.knowledge.schema import Commune, Entry, FieldWords, Indicator, Lexicon, Topic
from bot.text.normalize import clean, fold, tokens

log = logging.getLogger(__name__)


def _search_text(entry: Entry, learned: dict[str, list[str]]) -> str:
    parts = [*entry.texts("vi"), *entry.texts("en"), *entry.keywords]
    parts += [q for qs in learned.values() for q in qs]
    return fold(clean(" ".join(parts), limit=100_000))


def _row(e: Entry, kb: KnowledgeBase) -> dict[str, object]:
    file, line = kb.sources.get(e.id, ("", 0))
    return {
        "id": e.id,
        "category": e.category,
        "title_vi": e.title.vi,
        "title_en": e.title.en,
        "answer_vi": e.answer.vi,
        "answer_en": e.answer.en,
        "source": e.source,
        "updated": e.updated.isoformat(),
        "data": e.model_dump_json(),  # (the very JSON the index hashes: bot.engine.snapshot.entry_hash)
        "search": _search_text(e, kb.learned.get(e.id, {})),
        "file": file,  # where the entry was read (entries/x.yaml), and at which line: the order of a base
        "line": line,
    }


def _curated(entries: list[Entry]) -> list[dict[str, object]]:
    return [
        {"entry_id": e.id, "lang": lang, "text": q, "origin": "curated"}
        for e in entries
        for lang in ("vi", "en")
        for q in e.questions.get(lang)
    ]


def _learned(kb: KnowledgeBase) -> list[dict[str, object]]:
    return [
        {"entry_id": ident, "lang": lang, "text": q, "origin": "learned"}
        for ident, langs in kb.learned.items()
        for lang, qs in langs.items()
        for q in qs
    ]


def _meta(kb: KnowledgeBase, print_: str, digests: dict[str, str], folder: str) -> dict[str, str]:
    return {
        "fingerprint": print_,
        "folder": folder,  # the knowledge folder's own fingerprint (loader.fingerprints): see _relearn
        "built_at": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        "lexicon": kb.lexicon.model_dump_json(),
        "commune": kb.commune.model_dump_json(),
        "learned": json.dumps(kb.learned, ensure_ascii=False),
        "calibration": json.dumps(kb.calibration),
        "topics": json.dumps([t.model_dump() for t in kb.topics], ensure_ascii=False),
        "indicators": json.dumps([i.model_dump() for i in kb.indicators], ensure_ascii=False),
        "fields": kb.fields.model_dump_json(),
        "files": json.dumps(digests, ensure_ascii=False),
    }


def build(
    db: sqlite_utils.Database,
    kb: KnowledgeBase,
    print_: str = "",
    digests: dict[str, str] | None = None,
    kept: set[str] | None = None,
    folder: str = "",
) -> frozenset[str] | None:
    """Replace the knowledge tables with ``kb``, in one transaction. ``digests``: the entry files'
    (loader.entry_digests); ``kept``: files whose entries the store already holds as they are
    (``kb`` was loaded with them from the store): only the other files' rows are rewritten.
    ``folder``: the knowledge folder's fingerprint without the bot's learned file. Returns the ids
    of the entries whose rows were rewritten (None when every row was)."""
    if kept:
        return _update(db, kb, print_, digests or {}, kept, folder)
    with db.atomic():
        for table in ("entries_fts", "questions", "entries"):
            if db[table].exists():
                db[table].drop()
        db.table("entries").insert_all((_row(e, kb) for e in kb.entries), pk="id")
        db.table("questions").insert_all(_curated(list(kb.entries)))
        db.table("questions").insert_all(_learned(kb))
        db.table("entries").enable_fts(["title_vi", "title_en", "search"], tokenize="unicode61", create_triggers=False)
        meta = _meta(kb, print_, digests or {}, folder)
        db.table("kb_meta").insert_all(({"key": k, "value": v} for k, v in meta.items()), pk="key", replace=True)
    return None


def _update(
    db: sqlite_utils.Database, kb: KnowledgeBase, print_: str, digests: dict[str, str], kept: set[str], folder: str
) -> frozenset[str]:
    """The rows of the entries read from edited (or new, or removed) files replaced; the kept files'
    rows stay — but for their search text where their learned questions changed. Returns the ids of
    the entries of those files and of those whose learned questions changed."""
    before = json.loads(str(db.execute("select value from kb_meta where key = 'learned'").fetchone()[0]))
    marks = ",".join("?" * len(kept))
    files = sorted(kept)
    fresh = [(pos, ident) for pos, ident in enumerate(kb.ids()) if kb.sources[ident][0] not in kept]
    new_entries = [kb.entries[pos] for pos, _ident in fresh]
    relearnt = [
        (pos, ident)
        for pos, ident in enumerate(kb.ids())
        if kb.sources[ident][0] in kept and before.get(ident) != kb.learned.get(ident)
    ]
    with db.atomic():
        # the search index forgets the rows about to go (with the text it indexed them by), and learns
        # the new ones: the other rows' index stays as it is (rebuilding it whole took 0.16 s of an
        # officer's attach at 10,000 entries)
        _fts(db, "delete", f"file not in ({marks})", files)
        db.execute(
            f"delete from questions where entry_id in (select id from entries where file not in ({marks}))", files
        )
        db.execute(f"delete from entries where file not in ({marks})", files)
        db.table("entries").insert_all((_row(e, kb) for e in new_entries), pk="id")
        db.table("questions").insert_all(_curated(new_entries))
        _fts(db, "insert", f"file not in ({marks})", files)
        _relearn_rows(db, kb, relearnt)
        meta = _meta(kb, print_, digests, folder)
        db.table("kb_meta").insert_all(({"key": k, "value": v} for k, v in meta.items()), pk="key", replace=True)
    return frozenset(ident for _pos, ident in [*fresh, *relearnt])


def _relearn_rows(db: sqlite_utils.Database, kb: KnowledgeBase, changed: list[tuple[int, str]]) -> None:
    """The learned questions written as ``kb`` has them, and the search text (and index) of the
    ``changed`` entries (position, id), whose learned questions are not those stored."""
    ids = [ident for _pos, ident in changed]
    where = f"id in ({','.join('?' * len(ids))})"
    if ids:
        _fts(db, "delete", where, ids)
    db.execute("delete from questions where origin = 'learned'")
    db.table("questions").insert_all(_learned(kb))
    for pos, ident in changed:
        search = _search_text(kb.entries[pos], kb.learned.get(ident, {}))
        db.execute("update entries set search = ? where id = ?", [search, ident])
    if ids:
        _fts(db, "insert", where, ids)


def _fts(db: sqlite_utils.Database, what: str, where: str, params: list[str]) -> None:
    """Delete from, or insert into, the entries' search index the rows ``where`` selects. The index
    holds no copy of the text (its content is the entries table): a row is deleted with the very
    values it was indexed by, so this runs before those rows change."""
    columns = "title_vi, title_en, search"
    command = "'delete', " if what == "delete" else ""
    target = "entries_fts(entries_fts, rowid, " if what == "delete" else "entries_fts(rowid, "
    db.execute(f"insert into {target}{columns}) select {command}rowid, {columns} from entries where {where}", params)


def stored_fingerprint(db: sqlite_utils.Database) -> str | None:
    if not db.table("kb_meta").exists():
        return None
    rows = list(db.query("select value from kb_meta where key = 'fingerprint'"))
    return rows[0]["value"] if rows else None


def read(db: sqlite_utils.Database) -> KnowledgeBase:
    """The knowledge base as last built into the store."""
    meta = {r["key"]: r["value"] for r in db.query("select key, value from kb_meta")}
    current = "file" in db["entries"].columns_dict  # (a store built before files were kept: rowid order)
    rows = db.conn.execute(f"select id, data from entries order by {'file, line' if current else 'rowid'}").fetchall()
    entries = LazyEntries([str(i) for i, _d in rows], [str(d) for _i, d in rows], dumped=current)  # validated when read
    return KnowledgeBase(
        entries=entries,
        lexicon=Lexicon.model_validate_json(meta["lexicon"]),
        commune=Commune.model_validate_json(meta["commune"]),
        learned=json.loads(meta.get("learned", "{}")),
        calibration=json.loads(meta.get("calibration", "null")),
        topics=[Topic.model_validate(t) for t in json.loads(meta.get("topics", "[]"))],
        indicators=[Indicator.model_validate(i) for i in json.loads(meta.get("indicators", "[]"))],
        fields=FieldWords.model_validate_json(meta.get("fields", "{}")),
        store_print=str(meta.get("fingerprint", "")),
    )


def open_knowledge(
    root: Path, db: sqlite_utils.Database, learned: Path | None = None, previous: KnowledgeBase | None = None
) -> KnowledgeBase:
    """The current knowledge base: from the store when up to date, else rebuilt from YAML.
    ``previous``: the base a running bot serves (a reload), whose entries are reused when only the
    learned file changed since it was read.

    When the YAML has problems and an older build exists, that build is served and the
    problems are logged; with no build to fall back on, KnowledgeError is raised."""
    current, folder = fingerprints(root, learned)
    before = stored_fingerprint(db)
    if before == current:
        return read(db)
    relearnt = _relearn(db, root, learned, current, folder, previous)
    if relearnt is not None:
        return relearnt  # (else the store is as it was: ``before`` holds)
    digests = entry_digests(root)
    stored = _unchanged(db, digests)
    kb = load(root, learned, stored)
    if kb.problems:
        if before is not None:
            log.error(
                "knowledge/ has %d problem(s); serving the last good build:\n%s",
                len(kb.problems),
                "\n".join(str(p) for p in kb.problems),
            )
            return read(db)
        raise KnowledgeError(kb.problems)
    rewritten = build(db, kb, current, digests, set(stored), folder)
    if before and rewritten is not None:  # the other entries are those the store held: the index re-hashes these
        kb.changed_since = (before, rewritten)
    kb.store_print = current
    log.info("knowledge store rebuilt: %d entries (%d files read again)", len(kb.entries), len(digests) - len(stored))
    return kb


def _relearn(
    db: sqlite_utils.Database,
    root: Path,
    learned: Path | None,
    current: str,
    folder: str,
    previous: KnowledgeBase | None = None,
) -> KnowledgeBase | None:
    """When only the bot's learned file changed since the store was built (an officer attached a
    question): the stored base with the new learned questions, and only the rows whose learned
    questions changed rewritten — no entry file read, no other entry decoded. None otherwise (or
    when the learned file has a problem: the full path reports it)."""
    if learned is None or not db.table("kb_meta").exists():
        return None
    meta = dict(
        db.execute("select key, value from kb_meta where key in ('folder', 'learned', 'fingerprint')").fetchall()
    )
    if meta.get("folder") != folder or "learned" not in meta:
        return None
    stored_print = str(meta.get("fingerprint", ""))
    if previous is not None and previous.store_print and previous.store_print == stored_print:
        kb = replace(previous, problems=[], changed_since=None)  # its entries as they are (validated ones too)
    else:
        kb = read(db)
    problems: list[Problem] = []
    kb.learned = load_learned(root, learned, set(kb.ids()), problems)
    if problems:
        return None
    before = json.loads(str(meta["learned"]))
    changed = [(pos, i) for pos, i in enumerate(kb.ids()) if before.get(i) != kb.learned.get(i)]
    with db.atomic():
        _relearn_rows(db, kb, changed)
        updates = {"fingerprint": current, "learned": json.dumps(kb.learned, ensure_ascii=False)}
        db.table("kb_meta").insert_all(({"key": k, "value": v} for k, v in updates.items()), pk="key", replace=True)
    kb.changed_since = (stored_print, frozenset(ident for _pos, ident in changed))
    kb.store_print = current
    log.info("knowledge store: learned questions of %d entries updated", len(changed))
    return kb


def _unchanged(db: sqlite_utils.Database, digests: dict[str, str]) -> dict[str, list[StoredEntry]]:
    """The entries of the files whose digest is the one the store was built from, as it holds them."""
    if not db.table("kb_meta").exists() or "file" not in db["entries"].columns_dict:
        return {}
    found = db.execute("select value from kb_meta where key = 'files'").fetchone()
    before = json.loads(found[0]) if found else {}
    same = [f for f, digest in digests.items() if before.get(f) == digest]
    out: dict[str, list[StoredEntry]] = {f: [] for f in same}
    for at in range(0, len(same), 500):
        part = same[at : at + 500]
        marks = ",".join("?" * len(part))
        query = f"select file, id, line, data from entries where file in ({marks}) order by file, line"
        for file, ident, line, data in db.execute(query, part):
            out[str(file)].append((str(ident), int(line), str(data)))
    return out


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
