"""The index, persisted: each entry's analysed features kept in the knowledge store, so that a start
re-analyses nothing when the knowledge is unchanged, and only the entries that changed after an edit.

Analysis (the lexicon's rewriting of every title, question and answer) is most of what building an
index costs; this module keeps its products per entry, keyed by a hash of the entry, in three tables
of the SQLite store:

* ``index_meta`` — the format, a digest of the analysing code and of the lexicon, and the words the
  lexicon learnt from the whole knowledge base (an edit that changes those re-analyses everything);
* ``index_features`` — every feature string once, with an integer id (append-only);
* ``index_entries`` — per entry: its hash, what it adds to the vocabulary (JSON) and its features as
  arrays of feature ids (``array('I')`` bytes);
* ``index_blobs`` — the whole index at once: the entries' order, how many entries use each word,
  accent key and name (so an edit updates them from the changed entries alone), and the postings in
  CSR form. When the knowledge files are those the snapshot was written for, a start
  reads these and the rows' arrays as they are (bot.engine.index.Compact) and analyses, decodes
  and hashes nothing; a large base reads each row only when a question needs it (StoredRows).

A snapshot written by another version of the code, of another lexicon, or unreadable is rebuilt
from the YAML with one log line — never a crash.
"""

from __future__ import annotations

import hashlib
import json
import logging
import secrets
import sqlite3
from array import array
from collections.abc import Collection, Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import sqlite_utils

from bot.engine.index import Compact, EntryAnalysis, EntryScan, Index, Row, StoredNames, analyse, learn, scan
from bot.knowledge.lazy import LazySequence
from bot.knowledge.loader import KnowledgeBase, LazyEntries
from bot.knowledge.schema import Entry

log = logging.getLogger(__name__)

FORMAT = "6"  # 5: the feature table's words in a partial index; 6: the entries' hashes in an index
#: the code whose output a snapshot holds: a change to any of these files invalidates it
_CODE_FILES = ("text/analyzer.py", "text/normalize.py", "text/syllable.py", "engine/index.py", "engine/snapshot.py")
_PACKAGE = Path(__file__).resolve().parent.parent
META, FEATURES, ENTRIES, BLOBS = "index_meta", "index_features", "index_entries", "index_blobs"
BLOB_KEYS = ("order", "counts", "offsets", "ids")
#: up to this many entries edited in place, their postings are moved (Compact.edited: a search per
#: feature and entry); more, and the postings are rebuilt from the rows (a numpy sort, ~1 s at 10k
#: entries, where moving 10,000 entries' postings took 40 s)
EDITED_IN_PLACE = 64
#: the blob of the entries edited in place since the postings blobs were written: position → the
#: feature ids the stored postings hold for it. Applied at load (Compact.edited), so an edit writes its
#: rows and this, not the postings (16 MB at 10,000 entries); rewritten whole past EDITED_IN_PLACE
MOVED = "moved"
#: a feature that is one word, not a pair "a_b" (the vocabulary)
_WORD = "instr(feature, '_') = 0"


def code_digest() -> str:
    h = hashlib.sha256(FORMAT.encode())
    for name in _CODE_FILES:
        h.update((_PACKAGE / name).read_bytes())
    return h.hexdigest()[:16]


def entry_hash(entry: Entry | bytes, learned: dict[str, list[str]]) -> str:
    """What an entry holds (and the questions learnt for it), as a short digest: of its JSON — the
    serializer's bytes as they come (model_dump_json would decode them to a str to encode again:
    an edit of a 10,000-entry base hashes every entry, 0.25 -> 0.11 s), or the same JSON as the
    store keeps it, given as bytes, for an entry read from there and not validated."""
    data = entry if isinstance(entry, bytes) else entry.__pydantic_serializer__.to_json(entry)
    if learned:
        data += json.dumps(learned, ensure_ascii=False, sort_keys=True).encode()
    return hashlib.sha256(data).hexdigest()[:16]


def _hashes(kb: KnowledgeBase, only: Collection[int] | None = None) -> list[str]:
    """Every entry's hash (or those at the positions ``only``), in order; those read from the store as
    JSON hashed as read (unvalidated)."""
    raw = kb.entries.raw if isinstance(kb.entries, LazyEntries) else None
    out = []
    for i, ident in enumerate(kb.ids()):
        if only is not None and i not in only:
            continue
        data = raw(i) if raw is not None else None
        out.append(entry_hash(data.encode() if data is not None else kb.entries[i], kb.learned.get(ident, {})))
    return out


def _feature_names(db: sqlite_utils.Database) -> list[str]:
    """The feature table's strings by id (SQLite gives text columns back as str already)."""
    return [f for (f,) in db.conn.execute(f"select feature from {FEATURES} order by id")]


def _names(db: sqlite_utils.Database, entries: int) -> Sequence[str]:
    """The feature table for an index of this many entries: read whole for a small base (a dict is
    the fastest lookup), left in the store for a large one (:class:`StoredFeatures`)."""
    return StoredFeatures(db.conn) if entries >= Index.LARGE else _feature_names(db)


class StoredFeatures(StoredNames):
    """The feature table as the index reads it on a large base: looked up by SQL (``feature`` is
    indexed) rather than read whole — at 10,000 entries, 313k strings and their dict are ~27 MiB
    and 0.1–0.2 s of every start and edit. ``count``: how many ids the table holds for this index
    (new features of an edit included before they are written)."""

    CHUNK = 500  # features per query (well under SQLite's limit on parameters)

    def __init__(self, conn: sqlite3.Connection, count: int | None = None) -> None:
        self._conn = conn
        if count is None:
            (top,) = conn.execute(f"select max(id) from {FEATURES}").fetchone()
            count = 0 if top is None else top + 1
        self._count = count
        self._generation = self._current_generation()
        self._warned = False

    def _current_generation(self) -> str | None:
        found = self._conn.execute(f"select value from {META} where key = 'features'").fetchone()
        return None if found is None else str(found[0])

    def _same_table(self) -> bool:
        """False (said once in the log) when another process rebuilt the table meanwhile: its ids
        mean other features now, so this index finds nothing more until the bot restarts."""
        if self._current_generation() == self._generation:
            return True
        if not self._warned:
            log.warning("index snapshot rebuilt by another process: restart the bot to read it")
            self._warned = True
        return False

    def __len__(self) -> int:
        return self._count

    def _at(self, i: int) -> str:
        return self._many((i,))[0]

    def _many(self, ids: Iterable[int]) -> list[str]:
        wanted = list(ids)
        found: dict[int, str] = {}
        unique = list(set(wanted))
        for at in range(0, len(unique), self.CHUNK):
            part = unique[at : at + self.CHUNK]
            marks = ",".join("?" * len(part))
            found.update(self._conn.execute(f"select id, feature from {FEATURES} where id in ({marks})", part))
        return [found[i] for i in wanted]

    def ids_of(self, features: Collection[str]) -> dict[str, int]:
        if not self._same_table():
            return {}
        out: dict[str, int] = {}
        wanted = list(features)
        for at in range(0, len(wanted), self.CHUNK):
            part = wanted[at : at + self.CHUNK]
            marks = ",".join("?" * len(part))
            out.update(self._conn.execute(f"select feature, id from {FEATURES} where feature in ({marks})", part))
        return {f: i for f, i in out.items() if i < self._count}

    def numbered(self, word: str) -> list[tuple[str, int]]:
        if word.isdigit() or not self._same_table():
            return []
        pattern = "".join(f"[{c}]" if c in "*?[]" else c for c in word) + "_[0-9]*"  # GLOB: the index's range
        query = f"select feature, id from {FEATURES} where feature glob ? and id < ?"
        found = self._conn.execute(query, (pattern, self._count))
        return [(str(f), int(i)) for f, i in found if str(f).partition("_")[2].isdigit()]

    def unigrams(self) -> list[tuple[str, int]]:
        query = f"select feature, id from {FEATURES} where {_WORD} and id < ?"  # (the partial index's own terms)
        return self._conn.execute(query, (self._count,)).fetchall()


@dataclass
class _Table:
    """Feature → id for the rows being written: ``known`` ids (the whole table's, or for an edit of a
    large base only those its features use), new features numbered on from ``start``."""

    known: dict[str, int]
    start: int
    new: list[str] = field(default_factory=list)

    def ids(self, values: Sequence[str]) -> bytes:
        out = array("I")
        for v in values:
            i = self.known.get(v)
            if i is None:
                i = self.known[v] = self.start + len(self.new)
                self.new.append(v)
            out.append(i)
        return out.tobytes()

    def texts(self, texts: list[list[str]]) -> bytes:
        """The texts' features, each list preceded by its length."""
        out = array("I")
        for t in texts:
            out.append(len(t))
            out.frombytes(self.ids(t))
        return out.tobytes()

    def names(self, names: Sequence[str], conn: sqlite3.Connection) -> Sequence[str]:
        """``names`` with the new features after them (written in the same transaction)."""
        if isinstance(names, StoredFeatures):
            return StoredFeatures(conn, self.start + len(self.new))
        return [*names, *self.new]


def _array(blob: bytes) -> array:
    out = array("I")
    out.frombytes(blob)
    return out


class StoredRows(LazySequence[Row]):
    """The entries' rows (primary, secondary and text feature ids, accents as JSON) as the snapshot
    holds them, each read from the store when a question needs that entry: a large base opens
    without holding tens of megabytes of arrays, most of which no question reads. The index keeps
    the candidates it has read (bot.engine.index.Index.candidate)."""

    def __init__(
        self, conn: sqlite3.Connection, order: list[str], hashes: dict[str, str], given: dict[int, Row] | None = None
    ) -> None:
        """``hashes``: each entry's hash when the index opened; ``given``: rows already in memory
        (the entries an edit just analysed), by position."""
        self._conn, self._order, self._hashes = conn, order, hashes
        self._given = given or {}
        self._warned = False

    def __len__(self) -> int:
        return len(self._order)

    def _at(self, i: int) -> Row:
        if i in self._given:
            return self._given[i]
        ident = self._order[i]
        found = self._conn.execute(
            f"select prim, sec, texts, accents, hash from {ENTRIES} where id = ?", (ident,)
        ).fetchone()
        if found is None or found[4] != self._hashes[ident]:
            # rewritten since this index opened (`kb build` by another process): its ids may name
            # features this index does not hold — the entry matches nothing until the next start
            if not self._warned:
                log.warning("index snapshot changed by another process: restart the bot to read the edit")
                self._warned = True
            return array("I"), array("I"), array("I"), "[]"
        prim, sec, texts, accents, _hash = found
        return _array(prim), _array(sec), _array(texts), str(accents)


def _count(counts: dict[str, Any], sc: EntryScan, sign: int = 1) -> None:
    """Add (or, with ``sign`` -1, take away) one entry's scan to the knowledge base's counts: how
    many entries use each word, accent key and name — so an edit updates them without the others."""

    def bump(table: dict[str, int], key: str) -> None:
        table[key] = table.get(key, 0) + sign
        if table[key] <= 0:
            del table[key]

    for word, keys in sc.accents.items():
        per = counts["a"].setdefault(word, {})
        for k in keys:
            bump(per, k or "")
        if not per:
            del counts["a"][word]
    for lang in ("vi", "en"):
        for word in sc.words[lang]:
            bump(counts[lang], word)
    for name in sc.names:
        bump(counts["n"], name)


def _counts(scans: list[EntryScan]) -> dict[str, Any]:
    counts: dict[str, Any] = {"a": {}, "vi": {}, "en": {}, "n": {}}
    for sc in scans:
        _count(counts, sc)
    return counts


def _merged(counts: dict[str, Any]) -> EntryScan:
    """One scan for the whole knowledge base: what :class:`Index` and ``learn`` read of them all."""
    return EntryScan(
        {w: {k or None for k in keys} for w, keys in counts["a"].items()},
        {"vi": set(counts["vi"]), "en": set(counts["en"])},
        set(counts["n"]),
    )


def _strings(blob: bytes, names: list[str]) -> list[str]:
    ids = array("I")
    ids.frombytes(blob)
    return [names[i] for i in ids]


def _encode_scan(sc: EntryScan) -> str:
    return json.dumps(
        {
            "a": {w: sorted(k or "" for k in keys) for w, keys in sc.accents.items()},
            "vi": sorted(sc.words["vi"]),
            "en": sorted(sc.words["en"]),
            "n": sorted(sc.names),
        },
        ensure_ascii=False,
    )


def _decode_scan(text: str) -> EntryScan:
    d = json.loads(text)
    return EntryScan(
        {w: {k or None for k in keys} for w, keys in d["a"].items()},
        {"vi": set(d["vi"]), "en": set(d["en"])},
        set(d["n"]),
    )


def _decode_texts(blob: bytes, names: list[str]) -> list[list[str]]:
    ids = array("I")
    ids.frombytes(blob)
    out, i = [], 0
    while i < len(ids):
        n = ids[i]
        out.append([names[x] for x in ids[i + 1 : i + 1 + n]])
        i += 1 + n
    return out


@dataclass
class Stats:
    """What opening the index did: how many entries it analysed and how many it reused."""

    analysed: int = 0
    reused: int = 0
    rebuilt: str = ""  # why the whole snapshot was rebuilt, if it was


def _meta(db: sqlite_utils.Database) -> dict[str, str]:
    if not db.table(META).exists():
        return {}
    return {r["key"]: r["value"] for r in db.query(f"select key, value from {META}")}


def _drop(db: sqlite_utils.Database) -> None:
    for table in (BLOBS, ENTRIES, FEATURES, META):
        if db.table(table).exists():
            db.table(table).drop()


def open_index(
    kb: KnowledgeBase, db: sqlite_utils.Database, stats: Stats | None = None, fingerprint: str | None = None
) -> Index:
    """The index of ``kb``, from the snapshot in ``db`` where it is current; what is missing or
    stale is analysed and written back in one transaction. ``fingerprint``: the knowledge files'
    (see loader.fingerprint) — when the snapshot was written for the same, no entry is hashed."""
    stats = stats if stats is not None else Stats()
    try:
        return _open(kb, db, stats, fingerprint)
    except (sqlite3.DatabaseError, ValueError, KeyError, IndexError, TypeError) as exc:
        log.warning("index snapshot unreadable (%s): rebuilding it from the knowledge base", exc.__class__.__name__)
        try:
            with db.atomic():
                _drop(db)
            stats.analysed, stats.reused = 0, 0
            stats.rebuilt = "unreadable"
            return _open(kb, db, stats, fingerprint)
        except sqlite3.DatabaseError:
            log.warning("index snapshot cannot be written: the index is built in memory only")
            stats.rebuilt = "unwritable"
            return Index(kb)


def _open(kb: KnowledgeBase, db: sqlite_utils.Database, stats: Stats, fingerprint: str | None) -> Index:
    meta = _meta(db)
    code, lexicon = code_digest(), hashlib.sha256(kb.lexicon.model_dump_json().encode()).hexdigest()[:16]
    if meta and (meta.get("format") != FORMAT or meta.get("code") != code or meta.get("lexicon") != lexicon):
        log.info("index snapshot from another version of the code or lexicon: rebuilding it")
        stats.rebuilt = "version"
        meta = {}
    if meta and fingerprint and meta.get("fingerprint") == fingerprint:
        fast = _current(kb, db, meta)
        if fast is not None:
            stats.reused = len(kb.entries)
            return fast
    if meta:
        edited = _incremental(kb, db, meta, stats, fingerprint)
        if edited is not None:
            return edited
    rows: dict[str, dict[str, Any]] = {}
    names: list[str] = []
    if meta:
        names = [r["feature"] for r in db.query(f"select feature from {FEATURES} order by id")]
        rows = {str(r["id"]): r for r in db.query(f"select * from {ENTRIES}")}
    if fingerprint and meta.get("fingerprint") == fingerprint:  # the same files: the rows are current
        hashes = [str(rows[e.id]["hash"]) if e.id in rows else "" for e in kb.entries]
    else:
        hashes = _hashes(kb)
    scans: list[EntryScan] = []
    for e, h in zip(kb.entries, hashes, strict=True):
        row = rows.get(e.id)
        scans.append(_decode_scan(str(row["scan"])) if row and row["hash"] == h else scan(e, kb.learned.get(e.id, {})))
    taught = learn(kb, scans)
    ambiguous = json.dumps(sorted(taught.ambiguous), ensure_ascii=False)
    reuse = bool(meta) and meta.get("ambiguous") == ambiguous  # else every analysis may differ
    if meta and not reuse:
        stats.rebuilt = stats.rebuilt or "vocabulary"
    analyses: list[EntryAnalysis] = []
    changed: list[int] = []
    for pos, (e, h) in enumerate(zip(kb.entries, hashes, strict=True)):
        row = rows.get(e.id)
        if reuse and row and row["hash"] == h:
            analyses.append(
                EntryAnalysis(
                    _strings(bytes(row["prim"]), names),
                    _strings(bytes(row["sec"]), names),
                    _decode_texts(bytes(row["texts"]), names),
                    json.loads(str(row["accents"])),
                )
            )
            stats.reused += 1
        else:
            analyses.append(analyse(e, kb.learned.get(e.id, {}), taught, scans[pos]))
            changed.append(pos)
            stats.analysed += 1
    gone = set(rows) - {e.id for e in kb.entries}
    stale = changed or gone or not meta or (fingerprint and meta.get("fingerprint") != fingerprint)
    if stale or not _has_blobs(db):  # (older snapshots lack the blobs)
        hashes = [h or entry_hash(e, kb.learned.get(e.id, {})) for e, h in zip(kb.entries, hashes, strict=True)]
        meta = {"format": FORMAT, "code": code, "lexicon": lexicon, "ambiguous": ambiguous}
        meta["fingerprint"] = fingerprint or ""
        _write(db, kb, hashes, scans, analyses, changed if reuse else list(range(len(kb.entries))), gone, names, meta)
    return Index(kb, scans, analyses, taught)


def _incremental(
    kb: KnowledgeBase, db: sqlite_utils.Database, meta: dict[str, str], stats: Stats, fingerprint: str | None
) -> Index | None:
    """After an edit: the stored arrays of the unchanged entries kept as they are, the changed ones
    analysed, the vocabulary counts and the postings updated — no other entry decoded. None (the
    caller rebuilds from the rows) when the snapshot lacks the blobs or the edit changes what the
    lexicon learnt from the whole base (every analysis may then differ)."""
    blobs = _stored_blobs(db)
    if blobs is None:
        return None
    counts = json.loads(blobs["counts"])
    names = _names(db, len(kb.entries))
    stored = _stored_hashes(db)
    order = kb.ids()
    since = kb.changed_since
    if since is not None and since[0] and meta.get("fingerprint") == since[0] and set(stored) == set(order):
        # the snapshot is of the store just before a change the store names: only those entries hashed
        hashes = [stored[ident] for ident in order]
        named = [pos for pos, ident in enumerate(order) if ident in since[1]]
        for pos, h in zip(named, _hashes(kb, set(named)), strict=True):
            hashes[pos] = h
    else:
        hashes = _hashes(kb)
    changed = [pos for pos, (ident, h) in enumerate(zip(order, hashes, strict=True)) if stored.get(ident) != h]
    gone = set(stored) - set(order)

    def stored_row(ident: str) -> tuple[str, bytes, bytes]:  # an entry's scan and features, as stored
        found = db.conn.execute(f"select scan, prim, sec from {ENTRIES} where id = ?", (ident,)).fetchone()
        return str(found[0]), found[1], found[2]

    old = {ident: stored_row(ident) for ident in [*(kb.entries[pos].id for pos in changed), *gone] if ident in stored}
    scans: dict[int, EntryScan] = {}
    for ident in old:
        _count(counts, _decode_scan(old[ident][0]), -1)
    for pos in changed:
        e = kb.entries[pos]
        scans[pos] = scan(e, kb.learned.get(e.id, {}))
        _count(counts, scans[pos])
    merged = _merged(counts)
    taught = learn(kb, [merged])
    ambiguous = json.dumps(sorted(taught.ambiguous), ensure_ascii=False)
    if ambiguous != meta.get("ambiguous"):
        return None
    analyses = {}
    for pos in changed:
        e = kb.entries[pos]
        analyses[pos] = analyse(e, kb.learned.get(e.id, {}), taught, scans[pos])
    if isinstance(names, StoredFeatures):  # the ids of the edited entries' features only
        used = {f for an in analyses.values() for f in (*an.primary, *an.secondary, *(x for t in an.texts for x in t))}
        table = _Table(names.ids_of(used), len(names))
    else:
        table = _Table(dict(zip(names, range(len(names)))), len(names))
    written = []
    given: dict[int, Row] = {}
    for pos in changed:
        e, an = kb.entries[pos], analyses[pos]
        prim_ids, sec_ids, text_ids = table.ids(an.primary), table.ids(an.secondary), table.texts(an.texts)
        row = {
            "id": e.id,
            "hash": hashes[pos],
            "scan": _encode_scan(scans[pos]),
            "prim": prim_ids,
            "sec": sec_ids,
            "texts": text_ids,
            "accents": json.dumps(an.accents, ensure_ascii=False),
        }
        written.append(row)
        given[pos] = (_array(prim_ids), _array(sec_ids), _array(text_ids), str(row["accents"]))
    same_order = json.loads(blobs["order"]) == order
    moved = _moved(blobs)
    overlay: dict[int, array] | None = None  # what the stored postings hold for the entries edited in place
    if changed and not gone and same_order and len(kb.entries) >= Index.LARGE and len(changed) <= EDITED_IN_PLACE:
        # entries edited in place in a large base: the other rows stay in the store until a question
        # needs them, and only the edited entries' postings move — at load, from the stored postings
        # (an edit writes which entries moved, not the postings, until EDITED_IN_PLACE have)
        compact_rows = _rows(db, order, dict(zip(order, hashes, strict=True)), given)
        offsets, ids = _postings(blobs, names, grown=bool(moved))
        overlay = dict(moved)
        for pos in changed:
            if pos not in overlay:  # as the stored postings hold it: the row before this edit
                overlay[pos] = _array(old[kb.entries[pos].id][1]) + _array(old[kb.entries[pos].id][2])
        grown = table.names(names, db.conn)
        compact = Compact.edited(Compact(names, offsets, ids, compact_rows), grown, compact_rows, overlay)
        if len(overlay) > EDITED_IN_PLACE:
            overlay = None  # too many moved: the postings written whole again, as they now are
    elif not changed and not gone and same_order:  # the same entries under other files' fingerprint (or
        # none given): the stored postings and rows hold
        compact = _stored_compact(blobs, names, _rows(db, order, dict(zip(order, hashes, strict=True))))
    else:  # entries added, removed, moved or many edited: the postings rebuilt from every row (a large
        # base's read one by one from the store, not kept)
        by_id = dict(zip(order, hashes, strict=True))
        compact = Compact.build(table.names(names, db.conn), _rows(db, order, by_id, given))
    reordered = not same_order
    with db.atomic():  # the changed rows, the new features, the counts and postings: together
        if changed or gone or reordered:
            new = ({"id": table.start + i, "feature": f} for i, f in enumerate(table.new))
            db.table(FEATURES).insert_all(new, batch_size=5000)
            if written:
                db.table(ENTRIES).upsert_all(written, pk="id", batch_size=500)
            for ident in gone:
                db.table(ENTRIES).delete_where("id = ?", [ident])
            if overlay is not None:  # the stored postings stay; which entries moved, and the counts
                _write_blobs(db, {"counts": _counts_blob(counts)}, overlay)
            else:
                _write_blobs(db, _blobs(kb, counts, compact))
        if meta.get("fingerprint") != (fingerprint or ""):
            db.table(META).insert_all([{"key": "fingerprint", "value": fingerprint or ""}], pk="key", replace=True)
    stats.analysed, stats.reused = len(changed), len(kb.entries) - len(changed)
    return Index(kb, [merged], lexicon=taught, compact=compact)


def _stored_blobs(db: sqlite_utils.Database) -> dict[str, bytes] | None:
    """The whole-index blobs (order, counts, postings, and which entries moved since the postings
    were written), or None when the snapshot lacks them."""
    if not db.table(BLOBS).exists():
        return None
    blobs = {str(k): v for k, v in db.conn.execute(f"select key, value from {BLOBS}")}
    return blobs if _complete(set(blobs)) else None


def _stored_hashes(db: sqlite_utils.Database) -> dict[str, str]:
    """Each stored entry's hash, by id (read through the index of them: see :func:`_write`)."""
    return dict(db.conn.execute(f"select id, hash from {ENTRIES}").fetchall())


def _has_blobs(db: sqlite_utils.Database) -> bool:
    """The snapshot holds the whole-index blobs (their names only are read)."""
    return db.table(BLOBS).exists() and _complete({str(k) for (k,) in db.conn.execute(f"select key from {BLOBS}")})


def _complete(keys: set[str]) -> bool:
    """The blobs named ``keys`` are those of a whole index (``moved`` only after edits in place)."""
    return set(BLOB_KEYS) <= keys <= {*BLOB_KEYS, MOVED}


def _moved(blobs: dict[str, bytes]) -> dict[int, array]:
    """Position → the feature ids the stored postings hold for it, for the entries edited in place
    since the postings were written (none when they are as the rows are)."""
    found = json.loads(blobs[MOVED]) if MOVED in blobs else {}
    return {int(pos): array("I", ids) for pos, ids in found.items()}


def _postings(blobs: dict[str, bytes], names: Sequence[str], grown: bool = False) -> tuple[array, array]:
    """The stored postings (CSR offsets and entry ids), checked against the feature table — which
    may have grown since, when entries were edited in place (``grown``)."""
    offsets, ids = _array(blobs["offsets"]), _array(blobs["ids"])
    fits = len(offsets) <= len(names) + 1 if grown else len(offsets) == len(names) + 1
    if not fits or not offsets or len(ids) != offsets[-1]:
        raise ValueError("index postings do not fit the features")
    return offsets, ids


def _stored_compact(blobs: dict[str, bytes], names: Sequence[str], rows: Sequence[Row]) -> Compact:
    """The index's arrays as the snapshot holds them: the stored postings, with those of the entries
    edited in place since they were written moved to where the rows now put them."""
    moved = _moved(blobs)
    offsets, ids = _postings(blobs, names, grown=bool(moved))
    stored = Compact(names, offsets, ids, rows)
    return Compact.edited(stored, names, rows, moved) if moved else stored


def _rows(
    db: sqlite_utils.Database, order: list[str], hashes: dict[str, str], given: dict[int, Row] | None = None
) -> Sequence[Row]:
    """The entries' rows in ``order``: for a large base read from the store when a question needs one
    (:class:`StoredRows`), for a small one all at once; ``given`` ones (just analysed) as they are."""
    if len(order) >= Index.LARGE:
        return StoredRows(db.conn, order, hashes, given)
    return _stored_rows(db, order, given or {})


def _stored_rows(db: sqlite_utils.Database, order: list[str], given: dict[int, Row]) -> list[Row]:
    """Every entry's row in ``order``: those ``given`` (just analysed), the others as stored."""
    stored = db.conn.execute(f"select id, prim, sec, texts, accents from {ENTRIES}")
    found = {str(i): (p, s, t, a) for i, p, s, t, a in stored}
    out: list[Row] = []
    for pos, ident in enumerate(order):
        if pos in given:
            out.append(given[pos])
        else:
            prim, sec, texts, accents = found[ident]
            out.append((_array(prim), _array(sec), _array(texts), str(accents)))
    return out


def _current(kb: KnowledgeBase, db: sqlite_utils.Database, meta: dict[str, str]) -> Index | None:
    """The index exactly as the snapshot holds it, for the same knowledge files: arrays read as
    they are, nothing analysed. None when the snapshot lacks the whole-index blobs."""
    blobs = _stored_blobs(db)
    if blobs is None:
        return None
    order = json.loads(blobs["order"])
    if order != kb.ids():
        return None
    names = _names(db, len(order))
    hashes = _stored_hashes(db)
    if set(hashes) != set(order):
        raise ValueError("the stored rows are not those of the entries")
    rows = _rows(db, order, hashes)
    compact = _stored_compact(blobs, names, rows)
    merged = _merged(json.loads(blobs["counts"]))
    taught = learn(kb, [merged])
    if json.dumps(sorted(taught.ambiguous), ensure_ascii=False) != meta.get("ambiguous"):
        return None
    return Index(kb, [merged], lexicon=taught, compact=compact)


def _blobs(kb: KnowledgeBase, counts: dict[str, Any], compact: Compact) -> dict[str, bytes]:
    return {
        "order": json.dumps(kb.ids(), ensure_ascii=False).encode(),
        "counts": _counts_blob(counts),
        "offsets": compact.offsets.tobytes(),
        "ids": compact.ids.tobytes(),
    }


def _counts_blob(counts: dict[str, Any]) -> bytes:
    return json.dumps(counts, ensure_ascii=False, sort_keys=True).encode()


def _write_blobs(db: sqlite_utils.Database, blobs: dict[str, bytes], moved: dict[int, array] | None = None) -> None:
    """``blobs`` written; with ``moved``, which entries moved since the stored postings were written,
    without it none (the postings written are as the rows are)."""
    if moved:
        listed = {str(pos): list(ids) for pos, ids in sorted(moved.items())}
        blobs = {**blobs, MOVED: json.dumps(listed).encode()}
    db.table(BLOBS).insert_all(
        ({"key": k, "value": v} for k, v in blobs.items()), pk="key", replace=True, columns={"value": bytes}
    )
    if not moved and db.table(BLOBS).exists():
        db.conn.execute(f"delete from {BLOBS} where key = ?", (MOVED,))


def _write(
    db: sqlite_utils.Database,
    kb: KnowledgeBase,
    hashes: list[str],
    scans: list[EntryScan],
    analyses: list[EntryAnalysis],
    changed: list[int],
    gone: set[str],
    names: list[str],
    meta: dict[str, str],
) -> None:
    """The changed entries' rows, the new features and the meta data: in one transaction."""
    fresh = len(changed) == len(kb.entries)  # everything anew: start the feature table afresh too
    names = [] if fresh else names
    table = _Table(dict(zip(names, range(len(names)))), len(names))
    rows = []
    for pos in changed:
        an = analyses[pos]
        rows.append(
            {
                "id": kb.entries[pos].id,
                "hash": hashes[pos],
                "scan": _encode_scan(scans[pos]),
                "prim": table.ids(an.primary),
                "sec": table.ids(an.secondary),
                "texts": table.texts(an.texts),
                "accents": json.dumps(an.accents, ensure_ascii=False),
            }
        )
    # the postings of every entry, in the table's ids (those of unchanged entries are all known)
    postings = [(_array(table.ids(an.primary)), _array(table.ids(an.secondary))) for an in analyses]
    compact = Compact.build([*names, *table.new], [(prim, sec, array("I"), "[]") for prim, sec in postings])
    blobs = _blobs(kb, _counts(scans), compact)
    with db.atomic():
        if fresh:
            for t in (ENTRIES, FEATURES):
                if db.table(t).exists():
                    db.table(t).drop()
        if not db.table(FEATURES).exists():  # (its ids change meaning: a new generation)
            db.table(FEATURES).create({"id": int, "feature": str}, pk="id")
            db.table(FEATURES).create_index(["feature"], unique=True)
            # the words alone (no pair "a_b"), which a start reads as the vocabulary: found in this
            # partial index instead of a scan of every feature (at 10,000 entries 1,725 of 313k, 17 → 0.5 ms)
            db.execute(f"create index {FEATURES}_words on {FEATURES}(id, feature) where {_WORD}")
            meta = {**meta, "features": secrets.token_hex(8)}
        if not db.table(ENTRIES).exists():
            db.table(ENTRIES).create(
                {"id": str, "hash": str, "scan": str, "prim": bytes, "sec": bytes, "texts": bytes, "accents": str},
                pk="id",
            )
            # every entry's hash, which each open reads, without visiting the rows' pages (their arrays):
            # at 10,000 entries 9–12 → 3 ms
            db.execute(f"create index {ENTRIES}_hashes on {ENTRIES}(id, hash)")
        new = ({"id": table.start + i, "feature": f} for i, f in enumerate(table.new))
        db.table(FEATURES).insert_all(new, batch_size=5000)
        db.table(ENTRIES).upsert_all(rows, pk="id", batch_size=500)
        for ident in gone:  # (none left when the tables were made afresh: delete would raise NotFoundError)
            db.table(ENTRIES).delete_where("id = ?", [ident])
        _write_blobs(db, blobs)
        db.table(META).insert_all(({"key": k, "value": v} for k, v in meta.items()), pk="key", replace=True)
