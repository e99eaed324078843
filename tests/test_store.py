"""The knowledge store (bot/knowledge/store.py): a start after an edit reads again only the entry
files that changed, and what it serves is what the YAML says — entries, order, search, learned
questions — or, when the edit is broken, the last good build."""

from __future__ import annotations

import gc
import logging
import weakref

import pytest
import yaml

import bot.engine.snapshot as snapshot
import bot.knowledge.loader as loader
import bot.knowledge.store as store
from bot.engine.index import Index
from bot.engine.snapshot import Stats, open_index
from bot.knowledge.loader import load
from bot.knowledge.schema import Entry
from bot.knowledge.store import open_knowledge, prefix_search, read, stored_fingerprint
from bot.storage.db import connect
from tests.test_snapshot import shape


@pytest.fixture
def parsed(monkeypatch):
    """The entry files the loader parses (not those it takes from the store)."""
    seen: list[str] = []
    read_yaml = loader._read_yaml

    def spy(path, root):
        if path.parent.name == loader.ENTRIES_DIR:
            seen.append(path.name)
        return read_yaml(path, root)

    monkeypatch.setattr(loader, "_read_yaml", spy)
    return seen


def start(knowledge, data):
    """What the bot does at a start: the store, then the index from its snapshot."""
    db = connect(data / "bot.db")
    kb = open_knowledge(knowledge, db, data / "learned.yaml")
    stats = Stats()
    open_index(kb, db, stats, stored_fingerprint(db))
    return db, kb, stats


def same_as_yaml(db, knowledge, data) -> None:
    """The store serves exactly the entries a fresh load of the YAML gives, in its order."""
    fresh = load(knowledge, data / "learned.yaml")
    served = read(db)
    assert served.ids() == [e.id for e in fresh.entries]
    assert list(served.entries) == list(fresh.entries)
    assert served.learned == fresh.learned
    # the search index (updated row by row after an edit) holds exactly the stored rows' text
    db.execute("insert into entries_fts(entries_fts, rank) values('integrity-check', 1)")


def edit(path, ident, change) -> None:
    items = yaml.safe_load(path.read_text(encoding="utf-8"))
    for item in items:
        if item["id"] == ident:
            change(item)
    path.write_text(yaml.safe_dump(items, allow_unicode=True, sort_keys=False), encoding="utf-8")


def test_an_edited_file_is_the_only_one_read_again(knowledge_copy, tmp_path, parsed, monkeypatch):
    data = tmp_path / "data"
    start(knowledge_copy, data)
    assert len(parsed) == len(list((knowledge_copy / "entries").glob("*.yaml")))
    parsed.clear()

    def retitle(item):
        item["title"]["vi"] = "Đăng ký khai sinh cho trẻ em vùng cao Tàbồng"

    service = knowledge_copy / "entries" / "service.yaml"
    edit(service, "service.birth-registration", retitle)
    hashed: list[int] = []
    hashes = snapshot._hashes
    monkeypatch.setattr(
        snapshot, "_hashes", lambda kb, only=None: hashed.append(len(only or kb.ids())) or hashes(kb, only)
    )
    db, kb, stats = start(knowledge_copy, data)
    assert parsed == ["service.yaml"]
    assert stats.analysed == 1 and not stats.rebuilt  # and the index re-analyses the one entry…
    assert hashed == [len(yaml.safe_load(service.read_text(encoding="utf-8")))]  # …hashing that file's entries only
    assert shape(open_index(kb, db, Stats(), stored_fingerprint(db))) == shape(
        Index(load(knowledge_copy, data / "learned.yaml"))
    )  # and what the snapshot now holds is the index of the edited base
    same_as_yaml(db, knowledge_copy, data)
    assert prefix_search(db, "tabong") == ["service.birth-registration"]
    parsed.clear()
    db, _kb, stats = start(knowledge_copy, data)  # nothing changed since: nothing parsed or analysed
    assert parsed == [] and stats.analysed == 0


def test_a_removed_and_an_added_file_leave_and_join(knowledge_copy, tmp_path, parsed):
    data = tmp_path / "data"
    start(knowledge_copy, data)
    ocop = knowledge_copy / "entries" / "ocop.yaml"
    text = ocop.read_text(encoding="utf-8")
    ids = [item["id"] for item in yaml.safe_load(text)]
    ocop.unlink()
    for path in knowledge_copy.rglob("*.yaml"):  # nothing else may name the removed entries
        items = yaml.safe_load(path.read_text(encoding="utf-8"))
        if isinstance(items, list) and path.parent.name == "entries":
            for item in items:
                item["related"] = [r for r in item.get("related", []) if r not in ids]
            path.write_text(yaml.safe_dump(items, allow_unicode=True, sort_keys=False), encoding="utf-8")
    parsed.clear()
    db, _kb, _stats = start(knowledge_copy, data)  # (fewer words: the index analyses anew, and starts)
    assert not set(ids) & set(read(db).ids())
    same_as_yaml(db, knowledge_copy, data)
    assert not set(prefix_search(db, "mien dong")) & set(ids)
    (knowledge_copy / "entries" / "zz-products.yaml").write_text(text, encoding="utf-8")  # back, as another file
    parsed.clear()
    db, _kb, _stats = start(knowledge_copy, data)
    assert parsed == ["zz-products.yaml"]
    same_as_yaml(db, knowledge_copy, data)
    assert set(prefix_search(db, "mien dong")) & set(ids)


def test_a_learned_question_reads_no_entry_file_and_is_found(knowledge_copy, tmp_path, parsed, monkeypatch):
    """The unanswered queue's attach path: only the learned file changed — no entry file read, and
    of the stored entries only the one the question was attached to decoded."""
    data = tmp_path / "data"
    start(knowledge_copy, data)
    parsed.clear()
    (data / "learned.yaml").write_text(
        yaml.safe_dump(
            {"service.death-registration": {"vi": ["giấy báo tử cho ông ngoại xabuzo"]}}, allow_unicode=True
        ),
        encoding="utf-8",
    )
    decoded: list[str] = []
    validate = Entry.model_validate_json
    monkeypatch.setattr(Entry, "model_validate_json", lambda raw: decoded.append(raw) or validate(raw))
    monkeypatch.setattr(store, "_unchanged", lambda *a: pytest.fail("the stored entries were all read again"))
    hashed: list[int] = []
    hashes = snapshot._hashes
    monkeypatch.setattr(
        snapshot, "_hashes", lambda kb, only=None: hashed.append(len(only or kb.ids())) or hashes(kb, only)
    )
    db, kb, stats = start(knowledge_copy, data)
    assert parsed == [] and stats.analysed == 1 and hashed == [1]  # the index re-hashed that entry alone
    assert decoded and all('"id":"service.death-registration"' in raw for raw in decoded)
    # and what the snapshot now holds is the index of the base with that question
    assert shape(open_index(kb, db, Stats(), stored_fingerprint(db))) == shape(
        Index(load(knowledge_copy, data / "learned.yaml"))
    )
    same_as_yaml(db, knowledge_copy, data)
    assert prefix_search(db, "xabuzo") == ["service.death-registration"]
    texts = [r["text"] for r in db.query("select text from questions where origin = 'learned'")]
    assert texts == ["giấy báo tử cho ông ngoại xabuzo"]
    (data / "learned.yaml").write_text(  # the question taken back, another attached
        yaml.safe_dump({"service.death-registration": {"vi": ["khai tử qivuxe"]}}, allow_unicode=True),
        encoding="utf-8",
    )
    db, _kb, _stats = start(knowledge_copy, data)
    same_as_yaml(db, knowledge_copy, data)
    assert prefix_search(db, "xabuzo") == [] and prefix_search(db, "qivuxe") == ["service.death-registration"]


def test_a_reload_after_an_attach_reuses_the_entries_the_bot_serves(knowledge_copy, tmp_path):
    data = tmp_path / "data"
    db = connect(data / "bot.db")
    served = open_knowledge(knowledge_copy, db, data / "learned.yaml")
    attached = {"service.death-registration": {"vi": ["giấy báo tử cho ông ngoại xabuzo"]}}
    (data / "learned.yaml").write_text(yaml.safe_dump(attached, allow_unicode=True), encoding="utf-8")
    reloaded = open_knowledge(knowledge_copy, db, data / "learned.yaml", previous=served)
    assert reloaded.entries is served.entries and reloaded.learned == attached and served.learned == {}
    same_as_yaml(db, knowledge_copy, data)
    # a base the store has moved on from (another process rebuilt it) is not reused
    (data / "learned.yaml").write_text("{}", encoding="utf-8")
    again = open_knowledge(knowledge_copy, db, data / "learned.yaml", previous=served)
    assert again.entries is not served.entries and again.learned == {}
    same_as_yaml(db, knowledge_copy, data)


def test_a_reloaded_bot_frees_the_index_it_served_at_once(knowledge_copy, tmp_path, monkeypatch):
    """After a reload the old index goes with its last reference, not at the next full garbage
    collection (rare in a long-running bot: at 10,000 entries each reload kept ~85 MB until then)."""
    import bot.app
    from bot.app import Core

    monkeypatch.setattr(bot.app, "_engine", getattr(bot.app._engine, "__wrapped__", bot.app._engine))  # not the
    # test run's engines built once per knowledge base (tests/conftest.py), which keep every one
    data = tmp_path / "data"
    core = Core.open(knowledge_copy, data)
    old = weakref.ref(core.engine.index)
    attached = {"service.death-registration": {"vi": ["giấy báo tử cho ông ngoại xabuzo"]}}
    assert core.learned_path is not None
    core.learned_path.write_text(yaml.safe_dump(attached, allow_unicode=True), encoding="utf-8")
    gc.disable()
    try:
        core.reload()
        assert core.engine.index is not None and old() is None
    finally:
        gc.enable()


def test_an_edit_that_breaks_the_base_serves_the_last_good_build(knowledge_copy, tmp_path, caplog):
    data = tmp_path / "data"
    _db, before, _stats = start(knowledge_copy, data)

    services = yaml.safe_load((knowledge_copy / "entries" / "service.yaml").read_text(encoding="utf-8"))
    copied = [item for item in services if item["id"] == "service.birth-registration"]  # an id a kept file holds
    (knowledge_copy / "entries" / "zz-extra.yaml").write_text(yaml.safe_dump(copied, allow_unicode=True), "utf-8")
    with caplog.at_level(logging.ERROR, logger="bot.knowledge.store"):
        _db, kb, _stats = start(knowledge_copy, data)
    assert "duplicate id" in caplog.text and "serving the last good build" in caplog.text
    assert kb.ids() == before.ids() and "service.birth-registration" in kb.ids()


def test_a_store_built_before_files_were_kept_is_read_in_its_order_and_rebuilt_whole(knowledge_copy, tmp_path, parsed):
    """A store written by the previous version (no file and line per entry, another JSON): served as
    it is while the files are unchanged, and an edit reads every file again rather than guess."""
    data = tmp_path / "data"
    db, kb, _stats = start(knowledge_copy, data)
    db["entries"].transform(drop={"file", "line"})
    db.execute("delete from kb_meta where key = 'files'")
    served = read(db)
    assert served.ids() == kb.ids() and served.entries.raw(0) is None  # (its JSON is not the index's)
    db, _kb, stats = start(knowledge_copy, data)
    assert stats.analysed == 0
    parsed.clear()
    edit(knowledge_copy / "entries" / "meta.yaml", "meta.help", lambda item: item["keywords"].append("trợ giúp"))
    db, _kb, stats = start(knowledge_copy, data)
    assert len(parsed) == len(list((knowledge_copy / "entries").glob("*.yaml"))) and stats.analysed == 1
    same_as_yaml(db, knowledge_copy, data)
