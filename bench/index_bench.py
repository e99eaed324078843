"""Index benchmark: building the index, loading it from the store's snapshot, re-analysing one
edited entry, and query latency — at the real knowledge base's size, 1,000 and 10,000 entries; and, for
scale, reading the knowledge files themselves (the base written out as 20 YAML files, read back by the
loader), which a start after an edit does before any of the index work; the bot's whole start from
those files (store and index; first, unchanged, and after one entry of one file was edited); and a running
bot's reload after an officer attached a failed question to an entry, and after a curator edited one entry
of one file (store, then index).

    python bench/index_bench.py            # real, 1k, 10k
    python bench/index_bench.py --quick    # real and 1k only
    python bench/index_bench.py --sizes 0 10000   # chosen sizes (0 = the real knowledge base)

Each figure comes from a fresh process (so the memory growth is the index's own). The generated
bases vary their vocabulary (words of the real answers swapped in at random), so the postings of
common words grow as in a real base rather than as 74 entries cloned. Printed, never asserted.
"""

from __future__ import annotations

import argparse
import json
import random
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

CHILD = r"""
import gc, json, resource, sys, tempfile, time
from pathlib import Path
sys.path.insert(0, sys.argv[1])
from bench.index_bench import generated
from bot.app import settle
from bot.engine.engine import Engine
from bot.engine.index import Index
from bot.engine.matcher import Calibration
from bot.engine.snapshot import Stats, open_index
from bot.evaluation import load_questions
from bot.knowledge.loader import load_or_raise
from bot.storage.db import connect

root, n, what, db_path = Path(sys.argv[1]), int(sys.argv[2]), sys.argv[3], sys.argv[4]
kb = load_or_raise(root / "knowledge")
# The steps that start from the files the "yaml" step wrote (start, attach, reload-edited) do not hold the
# generated base in memory, as the bot does not: it would slow their garbage collector's passes.
if n and what in ("yaml", "memory", "build", "load", "edit"):
    kb = generated(kb, n)
gc.collect()
rss = lambda: resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
before = rss()
t = time.perf_counter()
stats = Stats()
if what.startswith("start"):  # the bot's start on the files the "yaml" step wrote: store, then index
    import yaml
    from bot.knowledge.store import open_knowledge, stored_fingerprint
    folder, data = Path(db_path).parent / "knowledge", Path(db_path).parent / "data"
    if what == "start-edited":  # one entry of one file retitled, as a curator's edit
        path = sorted((folder / "entries").glob("*.yaml"))[10]
        items = yaml.safe_load(path.read_text(encoding="utf-8"))
        items[len(items) // 2]["title"]["vi"] += " mới"
        path.write_text(yaml.safe_dump(items, allow_unicode=True, sort_keys=False), encoding="utf-8")
    t = time.perf_counter()
    store = connect(data / "bot.db")
    started = open_knowledge(folder, store, data / "learned.yaml")
    read = time.perf_counter()
    open_index(started, store, stats, stored_fingerprint(store))
    done = time.perf_counter()
    print(json.dumps({"seconds": done - t, "store": read - t, "index": done - read, "analysed": stats.analysed}))
    sys.exit(0)
if what == "attach":  # a running bot (started on the files the "start" steps left): an officer attaches a
    # failed question to an entry (the unanswered queue), and the bot reloads; median of 3
    from bot.app import Core
    from bot.services import learned
    core = Core.open(Path(db_path).parent / "knowledge", Path(db_path).parent / "data")
    settle()
    ids = list(core.kb.ids())
    took = []
    for k in range(3):
        learned.add(core.learned_path, ids[len(ids) // 2 + k], "vi", f"câu hỏi đính kèm số {k}")
        t = time.perf_counter()
        core.reload()
        took.append(time.perf_counter() - t)
    print(json.dumps({"seconds": sorted(took)[1]}))
    sys.exit(0)
if what == "reload-edited":  # a running bot: a curator edits one entry of one file, the bot reloads
    # (store, then index); median of 3, each time another file
    import yaml
    import bot.app
    from bot.app import Core
    core = Core.open(Path(db_path).parent / "knowledge", Path(db_path).parent / "data")
    settle()
    took, index_part = [], []
    opened = bot.app.open_index

    def timed(*args, **kwargs):  # the index's part of the reload
        s = time.perf_counter()
        try:
            return opened(*args, **kwargs)
        finally:
            index_part.append(time.perf_counter() - s)

    bot.app.open_index = timed
    for k in range(3):
        path = sorted((Path(db_path).parent / "knowledge" / "entries").glob("*.yaml"))[k]
        items = yaml.safe_load(path.read_text(encoding="utf-8"))
        items[len(items) // 2]["title"]["vi"] += " sửa"
        path.write_text(yaml.safe_dump(items, allow_unicode=True, sort_keys=False), encoding="utf-8")
        t = time.perf_counter()
        core.reload()
        took.append(time.perf_counter() - t)
    print(json.dumps({"seconds": sorted(took)[1], "index": sorted(index_part)[1]}))
    sys.exit(0)
if what == "yaml":  # the knowledge files read back: the generated base written as 20 YAML files first
    import shutil, yaml
    from bot.knowledge.loader import load
    folder = Path(db_path).parent / "knowledge"
    shutil.copytree(root / "knowledge", folder)
    for f in (folder / "entries").glob("*.yaml"):
        f.unlink()
    if n:  # the plan's targets name the real goal entries, which a generated base renames
        (folder / "indicators.yaml").unlink()
    size = -(-len(kb.entries) // 20)
    for k in range(0, len(kb.entries), size):
        dumped = [e.model_dump(mode="json", exclude_defaults=True) for e in kb.entries[k : k + size]]
        text = yaml.safe_dump(dumped, allow_unicode=True, sort_keys=False)
        (folder / "entries" / f"part{k // size:02d}.yaml").write_text(text, encoding="utf-8")
    before = rss()
    t = time.perf_counter()
    loaded = load(folder)
    assert len(loaded.entries) == len(kb.entries)
elif what == "memory":
    index = Index(kb)
elif what == "edit":
    entries = list(kb.entries)
    e = entries[len(entries) // 2]
    entries[len(entries) // 2] = e.model_copy(update={"title": e.title.model_copy(update={"vi": e.title.vi + " mới"})})
    kb = kb.__class__(entries, kb.lexicon, kb.commune, {}, [], kb.calibration)
    before = rss()
    t = time.perf_counter()
    index = open_index(kb, connect(Path(db_path)), stats, fingerprint="edited files")
else:  # the bot's start: the knowledge files are those the snapshot was written for
    index = open_index(kb, connect(Path(db_path)), stats, fingerprint="the same files")
took = time.perf_counter() - t
out = {"seconds": took, "rss_growth_mib": rss() - before, "analysed": stats.analysed, "reused": stats.reused}
if what == "yaml":
    print(json.dumps(out))
    sys.exit(0)
if what == "load":
    settle()  # as the bot does once it has loaded (bot.app.Core.open)
    engine = Engine(kb, Calibration.from_params(kb.calibration), index)
    qs = [q.q for q in load_questions(root / "tests" / "dev")]
    times = []
    for q in qs:
        s = time.perf_counter(); engine.ask(q); times.append((time.perf_counter() - s) * 1000)
    times.sort()
    out["p50_ms"] = times[len(times) // 2]
    out["p99_ms"] = times[min(len(times) - 1, round(0.99 * (len(times) - 1)))]
print(json.dumps(out))
"""


def generated(kb, n: int, seed: int = 7):
    """n entries shaped like the real ones, each with its own name and about a third of its words
    swapped for words of the real answers, so the vocabulary grows with the base."""
    from bot.knowledge.loader import KnowledgeBase
    from bot.knowledge.schema import Text, TextList
    from bot.text.normalize import clean, tokens

    rng = random.Random(seed)
    words = sorted({t for e in kb.entries for t in tokens(clean(e.answer.vi)) if t.isalpha() and len(t) > 1})

    def vary(text: str) -> str:
        return " ".join(rng.choice(words) if rng.random() < 0.33 else w for w in text.split())

    entries = []
    for i in range(n):
        base = kb.entries[i % len(kb.entries)]
        name = " ".join(rng.sample(words, 3))
        entries.append(
            base.model_copy(
                update={
                    "id": f"{base.category}.gen-{i}",
                    "title": Text(vi=f"{base.title.vi} {name}", en=f"{base.title.en} {name}"),
                    "questions": TextList(
                        vi=[vary(f"{q} {name}") for q in base.questions.vi[:8]],
                        en=[vary(f"{q} {name}") for q in base.questions.en[:4]],
                    ),
                    "answer": Text(vi=vary(base.answer.vi), en=base.answer.en),
                    "related": [],
                }
            )
        )
    return KnowledgeBase(entries, kb.lexicon, kb.commune, {}, [], kb.calibration)


def child(n: int, what: str, db: Path) -> dict[str, float]:
    out = subprocess.check_output([sys.executable, "-c", CHILD, str(ROOT), str(n), what, str(db)], text=True)
    return json.loads(out.strip().splitlines()[-1])


def main() -> None:
    p = argparse.ArgumentParser()
    p.add_argument("--quick", action="store_true")
    p.add_argument("--sizes", type=int, nargs="*")
    args = p.parse_args()
    import tempfile

    sizes = args.sizes if args.sizes else [0, 1000] if args.quick else [0, 1000, 10_000]
    print(
        "size: entries | YAML read s | in memory: build s, RSS MiB | snapshot: first build s | load s, RSS MiB | "
        "one edited entry s (analysed) | query p50 / p99 ms"
    )
    for n in sizes:
        with tempfile.TemporaryDirectory() as tmp:
            db = Path(tmp) / "bot.db"
            yml = child(n, "yaml", db)
            mem = child(n, "memory", db)
            first = child(n, "build", db)
            load = child(n, "load", db)
            edit = child(n, "edit", db)
            starts = [child(n, what, db) for what in ("start", "start", "start-edited")]
            attach = child(n, "attach", db)
            reload_edited = child(n, "reload-edited", db)
        label = "real" if n == 0 else f"{n:,}"
        print(
            f"{label:>6}: {first['analysed'] + first['reused']:>6}"
            f" | {yml['seconds']:.2f} s"
            f" | {mem['seconds']:.2f} s, {mem['rss_growth_mib']:.0f} MiB"
            f" | {first['seconds']:.2f} s | {load['seconds']:.3f} s, {load['rss_growth_mib']:.0f} MiB"
            f" | {edit['seconds']:.3f} s ({edit['analysed']:.0f})"
            f" | {load['p50_ms']:.2f} / {load['p99_ms']:.2f}"
        )
        print(f"        load/in-memory build time ratio {load['seconds'] / mem['seconds']:.2f}")
        first_start, same, edited = starts
        print(
            f"        start from the YAML files (store and index): first {first_start['seconds']:.2f} s,"
            f" files unchanged {same['seconds']:.2f} s, one entry of one file edited {edited['seconds']:.2f} s"
            f" ({edited['analysed']} analysed; store {edited['store']:.2f} s, index {edited['index']:.3f} s)",
            flush=True,
        )
        reload = attach["seconds"]
        print(f"        a running bot's reload after an officer attached a question: {reload:.3f} s", flush=True)
        print(
            f"        a running bot's reload after one entry of one file was edited: {reload_edited['seconds']:.3f} s"
            f" (index {reload_edited['index']:.3f} s)",
            flush=True,
        )


if __name__ == "__main__":
    main()
