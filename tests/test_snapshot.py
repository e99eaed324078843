"""The persisted index (bot/engine/snapshot.py): the same index as one built in memory, only the
edited entries analysed again, and a stale or broken snapshot rebuilt with one log line."""

from __future__ import annotations

import heapq
import json
import logging
from array import array
from dataclasses import replace

import pytest

from bot.engine.index import Candidate, Index
from bot.engine.snapshot import ENTRIES, META, Stats, open_index
from bot.knowledge.loader import KnowledgeBase, load
from bot.storage.db import connect
from tests.conftest import KNOWLEDGE


def shape(index: Index) -> dict[str, object]:
    """Everything the matcher reads from an index, in comparable form."""
    return {
        "items": [
            (i.entry.id, i.primary, i.secondary, i.accents, [t for t, _n, _m in i.texts], i.numbers)
            for i in index.items
        ],
        "idf": index.idf,
        "language_words": index.language_words,
        "names": index.names,
        "ambiguous": index.lexicon.ambiguous,
        "vocab": index.vocab,
    }


@pytest.fixture
def db(tmp_path):
    return connect(tmp_path / "bot.db")


def opened(kb: KnowledgeBase, db) -> tuple[Index, Stats]:
    stats = Stats()
    return open_index(kb, db, stats), stats


def test_a_candidate_finds_the_texts_holding_a_feature_exactly(kb):
    # three texts: [1, 256], [3, 65536, 2], [2]; lengths 2, 3, 1 are also ids, and 65536's bytes
    # (00 00 01 00) also appear across 1 and 256 (01 00 00 00 | 00 01 00 00): neither may count
    texts = array("I", [2, 1, 256, 3, 3, 65536, 2, 1, 2])
    c = Candidate((array("I", [1, 2, 3, 256, 65536]), array("I"), texts, "[]"), array("d", [1.0] * 70000))
    assert [c.texts_with(f) for f in (1, 2, 3, 256, 65536, 7)] == [(0,), (1, 2), (1,), (0,), (1,), ()]
    index = Index(kb)  # and on the real base, as the decoded entries hold their texts
    for i, item in enumerate(index.items):
        candidate = index.candidate(i)
        for feature, holding in item.text_postings.items():
            assert candidate.texts_with(index.fid[feature]) == tuple(holding), (item.entry.id, feature)


def test_the_snapshot_gives_the_index_built_in_memory_and_is_reused(kb, db):
    first, stats = opened(kb, db)
    assert (stats.analysed, stats.reused) == (len(kb.entries), 0)
    again, stats = opened(kb, db)
    assert (stats.analysed, stats.reused) == (0, len(kb.entries))
    assert shape(again) == shape(first) == shape(Index(kb))


def test_a_question_learnt_for_one_entry_re_analyses_that_entry_only(kb, db):
    """The unanswered queue's attach path: an officer's answer teaches one entry a question."""
    opened(kb, db)
    ident = kb.entries[3].id
    taught = replace(kb, learned={ident: {"vi": ["hỏi thử một câu mới về mục này"]}})
    index, stats = opened(taught, db)
    assert stats.analysed == 1 and stats.reused == len(kb.entries) - 1 and not stats.rebuilt
    assert shape(index) == shape(Index(taught))
    index, stats = opened(taught, db)
    assert stats.analysed == 0


def test_an_edit_re_analyses_only_the_entry_that_changed(knowledge_copy, db):
    opened(load(knowledge_copy), db)
    path = knowledge_copy / "entries" / "ocop.yaml"
    text = path.read_text(encoding="utf-8")
    path.write_text(text.replace("Miến dong Bình Lư", "Miến dong Bình Lư nổi tiếng", 1), encoding="utf-8")
    edited = load(knowledge_copy)
    index, stats = opened(edited, db)
    assert stats.analysed == 1 and stats.reused == len(edited.entries) - 1 and not stats.rebuilt
    assert shape(index) == shape(Index(edited))


def test_a_removed_entry_leaves_the_snapshot(knowledge_copy, db):
    kb = load(knowledge_copy)
    opened(kb, db)
    fewer = KnowledgeBase(kb.entries[1:], kb.lexicon, kb.commune, {}, [], kb.calibration)
    index, stats = opened(fewer, db)
    assert stats.analysed == 0 and shape(index) == shape(Index(fewer))
    assert kb.entries[0].id not in {r["id"] for r in db[ENTRIES].rows}


def test_a_broken_snapshot_is_rebuilt_with_one_log_line(kb, db, caplog):
    opened(kb, db)
    db.execute(f"update {ENTRIES} set prim = x'ffffffffff'")  # not a whole array of ids
    with caplog.at_level(logging.INFO, logger="bot.engine.snapshot"):
        index, stats = opened(kb, db)
    assert stats.rebuilt == "unreadable" and stats.analysed == len(kb.entries)
    assert [r.getMessage() for r in caplog.records] == [
        "index snapshot unreadable (ValueError): rebuilding it from the knowledge base"
    ]
    assert shape(index) == shape(Index(kb))
    assert opened(kb, db)[1].reused == len(kb.entries)  # and it is whole again


def test_a_snapshot_of_another_version_of_the_code_is_rebuilt(kb, db, caplog):
    opened(kb, db)
    db.execute(f"update {META} set value = 'old' where key = 'code'")
    with caplog.at_level(logging.INFO, logger="bot.engine.snapshot"):
        index, stats = opened(kb, db)
    assert stats.rebuilt == "version" and stats.reused == 0
    assert len(caplog.records) == 1 and "another version" in caplog.records[0].getMessage()
    assert shape(index) == shape(Index(kb))


def test_a_missing_table_is_rebuilt_not_a_crash(kb, db):
    opened(kb, db)
    db[ENTRIES].drop()
    index, stats = opened(kb, db)
    assert stats.rebuilt == "unreadable" and shape(index) == shape(Index(kb))


def test_the_bot_and_kb_build_use_the_snapshot(tmp_path):
    from tests.test_knowledge import run_cli

    data = tmp_path / "data"
    first = run_cli("--knowledge", str(KNOWLEDGE), "--data-dir", str(data), "kb", "build")
    assert first.returncode == 0 and "index: " in first.stdout and " 0 unchanged" in first.stdout
    again = run_cli("--knowledge", str(KNOWLEDGE), "--data-dir", str(data), "kb", "build")
    assert "index: 0 analysed" in again.stdout
    asked = run_cli("--knowledge", str(KNOWLEDGE), "--data-dir", str(data), "ask", "lam cccd o dau")
    assert asked.returncode == 0 and "CĂN CƯỚC" in asked.stdout.upper()


def test_a_start_from_the_store_validates_only_the_entries_a_question_reads(tmp_path, monkeypatch):
    """Unchanged knowledge files: the entries come from the store as JSON and each is validated when
    first read — the answers are those of entries loaded from the YAML. (The start of bot.app.Core.open,
    which the test run replaces with engines built once in memory.)"""
    from bot.engine.engine import Engine
    from bot.engine.matcher import Calibration
    from bot.knowledge.loader import LazyEntries
    from bot.knowledge.schema import Entry
    from bot.knowledge.store import open_knowledge, stored_fingerprint

    def start() -> Engine:
        db = connect(tmp_path / "bot.db")
        kb = open_knowledge(KNOWLEDGE, db, tmp_path / "learned.yaml")
        return Engine(kb, Calibration.from_params(kb.calibration), open_index(kb, db, Stats(), stored_fingerprint(db)))

    start()  # builds the store and the index
    validated: list[str] = []
    parse = Entry.model_validate_json
    monkeypatch.setattr(Entry, "model_validate_json", lambda data: validated.append(data) or parse(data))
    engine = start()
    assert isinstance(engine.kb.entries, LazyEntries) and validated == []
    yaml_kb = load(KNOWLEDGE)
    from_yaml = Engine(yaml_kb, Calibration.from_params(yaml_kb.calibration))
    for q in ("lam cccd o dau", "Ông tôi mất tuần trước, gia đình cần làm giấy tờ gì ạ?", "giấy phép câu cá"):
        a, b = engine.ask(q), from_yaml.ask(q)
        seen = (a.status, a.entry_id, a.suggestions, a.confidence)
        assert seen == (b.status, b.entry_id, b.suggestions, b.confidence), q
    assert engine.entry("service.birth-registration") == yaml_kb.by_id()["service.birth-registration"]
    assert 0 < len(validated) < len(yaml_kb.entries) / 4


def test_unchanged_knowledge_files_skip_hashing_and_a_changed_one_is_caught(knowledge_copy, db, monkeypatch):
    import bot.engine.snapshot as snapshot

    kb = load(knowledge_copy)
    opened_with = lambda kb: (open_index(kb, db, stats := Stats(), "print-1"), stats)
    opened_with(kb)
    calls = []
    monkeypatch.setattr(snapshot, "entry_hash", lambda *a: calls.append(a) or "x")
    index, stats = opened_with(kb)
    assert calls == [] and stats.reused == len(kb.entries)
    monkeypatch.undo()
    path = knowledge_copy / "entries" / "meta.yaml"
    path.write_text(path.read_text(encoding="utf-8").replace("Xin chào", "Xin chào bạn", 1), encoding="utf-8")
    edited = load(knowledge_copy)
    index, stats = open_index(edited, db, stats := Stats(), "print-2"), stats
    assert stats.analysed == 1 and shape(index) == shape(Index(edited))


def test_the_same_knowledge_files_open_the_stored_arrays_as_they_are(kb, db, monkeypatch):
    import bot.engine.snapshot as snapshot

    open_index(kb, db, Stats(), "print-1")
    calls = []
    for name in ("analyse", "scan", "_decode_texts", "_strings"):  # nothing analysed, nothing decoded
        monkeypatch.setattr(snapshot, name, lambda *a, name=name: calls.append(name))
    index = open_index(kb, db, stats := Stats(), "print-1")
    assert calls == [] and stats.reused == len(kb.entries) and not stats.rebuilt
    monkeypatch.undo()
    assert shape(index) == shape(Index(kb))
    question = "chau chao co, bo chau moi mat thang truoc, lam giay khai tu o dau a"
    from bot.engine.matcher import Matcher

    assert Matcher(index).read(question).features() == Matcher(Index(kb)).read(question).features()


def test_an_edit_decodes_no_unchanged_entry_and_an_added_one_joins(knowledge_copy, db, monkeypatch):
    import bot.engine.snapshot as snapshot

    kb = load(knowledge_copy)
    open_index(kb, db, Stats(), "print-1")
    edited = kb.entries[5].model_copy(update={"keywords": [*kb.entries[5].keywords, "từ khóa mới toanh"]})
    added = kb.entries[7].model_copy(update={"id": "meta.added-entry"})
    entries = [*kb.entries[1:5], edited, *kb.entries[6:], added]  # the first one removed
    changed = KnowledgeBase(entries, kb.lexicon, kb.commune, {}, [], kb.calibration)
    calls = []
    for name in ("_decode_texts", "_strings"):  # the unchanged rows' arrays are kept as stored
        monkeypatch.setattr(snapshot, name, lambda *a, name=name: calls.append(name))
    index = open_index(changed, db, stats := Stats(), "print-2")
    assert calls == [] and (stats.analysed, stats.reused) == (2, len(entries) - 2) and not stats.rebuilt
    monkeypatch.undo()
    assert shape(index) == shape(Index(changed))
    again = open_index(changed, db, stats := Stats(), "print-2")  # and the snapshot holds the edit
    assert stats.reused == len(entries) and shape(again) == shape(index)


def postings(index: Index) -> dict[str, list[int]]:
    """Feature → the positions of the entries holding it, whatever the feature ids."""
    c = index.compact
    return {
        c.names[f]: list(c.ids[c.offsets[f] : c.offsets[f + 1]])
        for f in range(len(c.names))
        if c.offsets[f + 1] > c.offsets[f]
    }


def test_a_large_base_edited_in_place_moves_only_the_edited_postings(knowledge_copy, db, monkeypatch):
    import bot.engine.index as index_module

    monkeypatch.setattr(Index, "LARGE", 0)  # the numpy paths of a large base, on the real one
    kb = load(knowledge_copy)
    open_index(kb, db, Stats(), "print-1")
    entries = list(kb.entries)
    first, other = entries[3], entries[40]
    entries[3] = first.model_copy(update={"keywords": [*first.keywords[1:], "từ khóa mới toanh"]})  # one out, one in
    entries[40] = other.model_copy(
        update={"questions": other.questions.model_copy(update={"vi": ["hỏi hoàn toàn khác"]})}
    )
    changed = KnowledgeBase(entries, kb.lexicon, kb.commune, {}, [], kb.calibration)
    from bot.engine.snapshot import StoredRows

    built, read = [], []
    monkeypatch.setattr(index_module.Compact, "build", classmethod(lambda cls, *a: built.append(a)))
    getitem = StoredRows.__getitem__
    monkeypatch.setattr(StoredRows, "__getitem__", lambda self, i: read.append(i) or getitem(self, i))
    index = open_index(changed, db, stats := Stats(), "print-2")
    assert built == [] and (stats.analysed, stats.reused) == (2, len(entries) - 2)  # nothing re-sorted
    assert isinstance(index.compact.rows, StoredRows) and set(read) <= {3, 40}  # no other row read
    monkeypatch.undo()
    monkeypatch.setattr(Index, "LARGE", 0)
    fresh = Index(changed)
    assert postings(index) == postings(fresh) and shape(index) == shape(fresh)
    assert postings(index)["toanh"] == [3]  # the new keyword's word is found, in that entry only
    again = open_index(changed, db, stats := Stats(), "print-2")  # the snapshot holds the edit
    assert stats.reused == len(entries) and postings(again) == postings(fresh)


def test_an_edit_in_place_writes_which_entries_moved_not_the_postings(knowledge_copy, db, monkeypatch):
    """A large base's stored postings (16 MB at 10,000 entries) stay as they are through a few edits:
    the snapshot notes which entries moved and what the postings hold for them, and each load moves
    them; past EDITED_IN_PLACE moved entries the postings are written whole again."""
    import bot.engine.snapshot as snapshot

    monkeypatch.setattr(Index, "LARGE", 0)
    monkeypatch.setattr(snapshot, "EDITED_IN_PLACE", 3)
    kb = load(knowledge_copy)
    open_index(kb, db, Stats(), "print-0")
    stored = lambda key: db.execute(f"select value from {snapshot.BLOBS} where key = ?", [key]).fetchone()
    postings_blob = stored("ids")[0]
    entries = list(kb.entries)

    def edit(pos: int, word: str, print_: str) -> Index:
        entries[pos] = entries[pos].model_copy(update={"keywords": [*kb.entries[pos].keywords[1:], word]})
        index = open_index(
            KnowledgeBase(list(entries), kb.lexicon, kb.commune, {}, [], kb.calibration), db, Stats(), print_
        )
        fresh = Index(KnowledgeBase(list(entries), kb.lexicon, kb.commune, {}, [], kb.calibration))
        assert postings(index) == postings(fresh) and shape(index) == shape(fresh)
        reopened = open_index(
            KnowledgeBase(list(entries), kb.lexicon, kb.commune, {}, [], kb.calibration), db, Stats(), print_
        )
        assert postings(reopened) == postings(fresh)  # a start: the stored postings, moved at load
        return index

    edit(3, "vokatu", "print-1")
    edit(40, "zimelo", "print-2")
    edit(3, "kapiro", "print-3")  # the same entry again: the postings still hold its first keywords
    assert stored("ids")[0] == postings_blob and set(json.loads(stored(snapshot.MOVED)[0])) == {"3", "40"}
    index = edit(20, "wuneta", "print-4")
    assert stored("ids")[0] == postings_blob  # three moved: still within EDITED_IN_PLACE
    assert postings(index)["kapiro"] == [3] and "vokatu" not in postings(index)
    edit(55, "solebu", "print-5")  # a fourth: the postings are written as the rows now are
    assert stored("ids")[0] != postings_blob and stored(snapshot.MOVED) is None


def test_a_large_base_with_many_entries_edited_rebuilds_its_postings_from_the_rows(knowledge_copy, db, monkeypatch):
    """Past a few edited entries, moving each one's postings costs more than sorting them all anew
    (at 10,000 entries edited: 40 s against 1 s): the rows are read from the store one by one."""
    import bot.engine.snapshot as snapshot
    from bot.engine.snapshot import StoredRows

    monkeypatch.setattr(Index, "LARGE", 0)
    monkeypatch.setattr(snapshot, "EDITED_IN_PLACE", 2)
    kb = load(knowledge_copy)
    open_index(kb, db, Stats(), "print-1")
    entries = list(kb.entries)
    for pos in (3, 20, 40):
        entries[pos] = entries[pos].model_copy(update={"keywords": [*entries[pos].keywords, f"từ khóa mới {pos}"]})
    changed = KnowledgeBase(entries, kb.lexicon, kb.commune, {}, [], kb.calibration)
    moved = []
    monkeypatch.setattr(snapshot.Compact, "edited", classmethod(lambda cls, *a: moved.append(a)))
    index = open_index(changed, db, stats := Stats(), "print-2")
    assert moved == [] and stats.analysed == 3 and isinstance(index.compact.rows, StoredRows)
    fresh = Index(changed)
    assert postings(index) == postings(fresh) and shape(index) == shape(fresh)
    again = open_index(changed, db, stats := Stats(), "print-2")
    assert stats.reused == len(entries) and postings(again) == postings(fresh)


def test_a_large_base_reads_an_entry_s_row_only_when_a_question_needs_it(kb, db, monkeypatch, caplog):
    import bot.engine.snapshot as snapshot
    from bot.engine.engine import Engine
    from bot.engine.matcher import Calibration
    from bot.engine.snapshot import StoredRows

    monkeypatch.setattr(Index, "LARGE", 0)  # the large-base path, on the real base
    open_index(kb, db, Stats(), "print-1")
    read: list[int] = []
    getitem = StoredRows.__getitem__
    monkeypatch.setattr(StoredRows, "__getitem__", lambda self, i: read.append(i) or getitem(self, i))

    def whole_table(_db):
        raise AssertionError("the feature table read whole")

    monkeypatch.setattr(snapshot, "_feature_names", whole_table)
    index = open_index(kb, db, stats := Stats(), "print-1")
    assert isinstance(index.compact.rows, StoredRows) and read == [] and stats.analysed == 0
    cal = Calibration.from_params(kb.calibration)
    lazy, eager = Engine(kb, cal, index), Engine(kb, cal, Index(kb))
    questions = ["lam cccd o dau", "Ông tôi mất tuần trước, gia đình cần làm giấy tờ gì ạ?", "homestay Binh Lu"]
    for q in [*questions, "homestay ở bản Chu Va 8", "chu va 6 co gi dep", "thủ tục đăng ky khai sihn"]:
        a, b = lazy.ask(q), eager.ask(q)
        assert (a.status, a.entry_id, a.ranked, a.confidence) == (b.status, b.entry_id, b.ranked, b.confidence), q
    assert 0 < len(set(read)) < len(kb.entries)  # the candidates' rows, not the whole base's
    # a name's number is read off the store as off the strings: "chu va 8" is not Chu Va 6
    six = next(i for i, e in enumerate(kb.entries) if e.id == "place.chu-va-6")
    for engine in (lazy, eager):
        primary = engine.index.candidate(six).primary
        assert set(engine.index.numbers_after("va")) >= {"6", "8"}
        assert engine.matcher._number_conflict(primary, [("va", "8")])
        assert not engine.matcher._number_conflict(primary, [("va", "6")])
    monkeypatch.undo()
    monkeypatch.setattr(Index, "LARGE", 0)
    ident = eager.ask("khai tu").entry_id
    opened = Engine(kb, cal, open_index(kb, db, Stats(), "print-1"))  # nothing read yet…
    junk = bytes(12) + b"\xff" * 4  # …and another process rewrites a row: ids this index lacks
    db.execute("update index_entries set hash = 'other', prim = ? where id = ?", [junk, ident])
    with caplog.at_level(logging.WARNING, logger="bot.engine.snapshot"):
        answered = opened.ask("khai tu")
    assert answered.entry_id != ident and "restart the bot" in caplog.text  # no crash, said once
    caplog.clear()
    db.execute("delete from index_entries where id = ?", [kb.entries[0].id])  # a row lost
    with caplog.at_level(logging.INFO, logger="bot.engine.snapshot"):
        again = open_index(kb, db, stats := Stats(), "print-1")
    assert stats.rebuilt == "unreadable" and len(caplog.records) == 1
    assert Engine(kb, cal, again).ask("lam cccd o dau").entry_id == eager.ask("lam cccd o dau").entry_id


def test_a_large_base_reads_its_words_and_hashes_from_their_own_indexes(kb, db, monkeypatch):
    """The vocabulary (typo repair's) of a large base opened from the store is that of the index built
    in memory, read through the feature table's partial index of words — not a scan of every pair — and
    the entries' hashes through an index of them, not the rows' pages (their arrays)."""
    monkeypatch.setattr(Index, "LARGE", 0)
    open_index(kb, db, Stats(), "print-1")
    statements: list[str] = []
    db.conn.set_trace_callback(statements.append)
    index = open_index(kb, db, Stats(), "print-1")
    db.conn.set_trace_callback(None)
    assert index.vocab == Index(kb).vocab

    def plan(query: str) -> str:
        return " ".join(str(row) for row in db.execute(f"explain query plan {query}").fetchall())

    (words,) = [q for q in statements if "instr(feature" in q]
    assert "COVERING INDEX index_features_words" in plan(words)
    (hashes,) = [q for q in statements if q.startswith("select id, hash from")]
    assert "COVERING INDEX index_entries_hashes" in plan(hashes)


def test_a_large_base_whose_snapshot_another_process_rebuilt_answers_nothing_rather_than_wrong(
    kb, db, monkeypatch, caplog
):
    """`kb build` in another process starting the feature table afresh: its ids mean other features
    now. The running bot's index finds nothing (said once in the log) until it restarts."""
    from bot.engine.engine import Engine, Status
    from bot.engine.matcher import Calibration

    monkeypatch.setattr(Index, "LARGE", 0)
    open_index(kb, db, Stats(), "print-1")
    engine = Engine(kb, Calibration.from_params(kb.calibration), open_index(kb, db, Stats(), "print-1"))
    assert engine.ask("lam cccd o dau").status is Status.ANSWER
    db.execute("update index_meta set value = 'another' where key = 'features'")
    with caplog.at_level(logging.WARNING, logger="bot.engine.snapshot"):
        results = [engine.ask(q) for q in ("thủ tục đăng ký kết hôn", "homestay ở Chu Va 6", "mien dong")]
    assert all(r.status is not Status.ANSWER for r in results)
    assert caplog.text.count("restart the bot") == 1
    again = Engine(kb, Calibration.from_params(kb.calibration), open_index(kb, db, Stats(), "print-1"))
    assert again.ask("thủ tục đăng ký kết hôn").status is Status.ANSWER  # a restart reads the table


def test_broken_whole_index_arrays_are_rebuilt_with_one_log_line(kb, db, caplog):
    open_index(kb, db, Stats(), "print-1")
    db.execute("update index_blobs set value = x'ffffff' where key = 'ids'")  # postings cut short
    with caplog.at_level(logging.INFO, logger="bot.engine.snapshot"):
        index = open_index(kb, db, stats := Stats(), "print-1")
    assert stats.rebuilt == "unreadable" and len(caplog.records) == 1
    assert shape(index) == shape(Index(kb))
    db.execute("delete from index_blobs")  # an older snapshot without them: read the rows instead…
    index = open_index(kb, db, stats := Stats(), "print-1")
    assert stats.analysed == 0 and shape(index) == shape(Index(kb))
    assert db["index_blobs"].count == 4  # …and write them for the next start
    for moved in ('{"3": [999999]}', "not json"):  # moved entries the stored postings do not hold
        db["index_blobs"].insert({"key": "moved", "value": moved.encode()}, pk="key", replace=True)
        caplog.clear()
        with caplog.at_level(logging.INFO, logger="bot.engine.snapshot"):
            index = open_index(kb, db, stats := Stats(), "print-1")
        assert stats.rebuilt == "unreadable" and len(caplog.records) == 1 and shape(index) == shape(Index(kb))
        assert db["index_blobs"].count == 4


def test_a_large_base_sums_with_numpy_and_ranks_exactly_as_the_walk(kb, monkeypatch):
    from bot.engine.engine import Engine
    from bot.engine.matcher import Calibration

    questions = [
        "lam cccd o dau",
        "Ông tôi mất tuần trước ở bản, gia đình cần làm giấy tờ gì, nộp ở đâu ạ?",
        "We are cycling from Sa Pa, is there a homestay in Binh Lu tonight?",
        "mua miến dong làm quà",
        "chỉ tiêu che phủ rừng đến 2030",
        "giấy phép câu cá ở hồ",
        "tour",
    ]
    cal = Calibration.from_params(kb.calibration)
    walked = Engine(kb, cal)
    assert walked.index.accumulator() is None  # a small base: a dict walk, and numpy never imported
    monkeypatch.setattr(Index, "LARGE", 0)
    summed = Engine(kb, cal)
    assert summed.index.accumulator() is not None
    # idf counted in numpy: the very floats the loop computes
    assert (summed.index.fid, summed.index.idf) == (walked.index.fid, walked.index.idf)
    assert summed.index.idf_by_id == walked.index.idf_by_id
    # postings sorted by numpy: the very arrays the Python build makes
    assert (summed.index.compact.offsets, summed.index.compact.ids) == (
        walked.index.compact.offsets,
        walked.index.compact.ids,
    )
    for q in questions:  # the candidates themselves, in order, at a few cut-offs
        analysis = walked.index.lexicon.analyze(q, known=walked.index.vocab)
        weights = [(f, w.weight) for f, w in walked.matcher.weights(analysis)[0].items()]
        partial: dict[int, float] = {}
        for f, w in weights:
            for i in walked.index.postings.get(f, ()):
                partial[i] = partial.get(i, 0.0) + w
        for k in (3, 10, 30):
            assert summed.index.accumulator().best(weights, k) == heapq.nlargest(k, partial, key=partial.get), q
    for q in questions:
        a, b = walked.ask(q), summed.ask(q)
        assert (a.status, a.entry_id, a.ranked, a.confidence, a.suggestions) == (
            b.status,
            b.entry_id,
            b.ranked,
            b.confidence,
            b.suggestions,
        ), q


def test_ask_imports_neither_numpy_nor_the_telegram_stack(tmp_path):
    """Cold start of `ask`: sqlite-utils is imported with numpy hidden (it would only map numpy types)
    and nothing of python-telegram-bot or matplotlib is loaded to answer one question."""
    import subprocess
    import sys

    from tests.conftest import ROOT

    code = (
        "import runpy, sys\n"
        f"sys.argv = ['bot', '--data-dir', {str(tmp_path)!r}, 'ask', 'lam cccd o dau']\n"
        "try:\n    runpy.run_module('bot', run_name='__main__')\nexcept SystemExit:\n    pass\n"
        "print(sorted(m for m in ('numpy', 'telegram', 'matplotlib', 'aiohttp') if m in sys.modules))\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT, timeout=120)
    assert "CĂN CƯỚC" in out.stdout.upper(), out.stderr
    assert out.stdout.strip().splitlines()[-1] == "[]"
    import numpy  # still importable by whoever needs it (charts)

    assert numpy.array([1]).sum() == 1
