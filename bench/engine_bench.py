"""Engine benchmark: latency, start-up and memory, side by side with a plain BM25 baseline.

    python bench/engine_bench.py            # real knowledge base + a generated one of 10,000 entries
    python bench/engine_bench.py --quick    # smaller generated base, fewer repeats

Figures are printed, never asserted: machines here are noisy, so compare the ratios
(engine / BM25 in the same run) rather than absolute times.
"""

from __future__ import annotations

import argparse
import gc
import resource
import statistics
import subprocess
import sys
import time
import tracemalloc
from pathlib import Path

from rank_bm25 import BM25Okapi

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.index_bench import generated  # noqa: E402
from bot.app import settle  # noqa: E402
from bot.engine.engine import Engine, Status  # noqa: E402
from bot.engine.matcher import Calibration  # noqa: E402
from bot.evaluation import load_questions  # noqa: E402
from bot.knowledge.loader import KnowledgeBase, load_or_raise  # noqa: E402
from bot.text.normalize import clean, fold, tokens  # noqa: E402


class BM25Baseline:
    """rank_bm25 over diacritic-folded titles, questions and keywords; always answers its top hit."""

    def __init__(self, kb: KnowledgeBase) -> None:
        self.ids = [e.id for e in kb.entries]
        docs = []
        for e in kb.entries:
            text = " ".join([*e.texts("vi"), *e.texts("en"), *e.keywords])
            docs.append(self.tok(text))
        self.bm25 = BM25Okapi(docs)

    @staticmethod
    def tok(text: str) -> list[str]:
        return [fold(t) for t in tokens(clean(text))]

    def ranked(self, question: str, k: int = 3) -> list[str]:
        scores = self.bm25.get_scores(self.tok(question))
        order = sorted(range(len(scores)), key=scores.__getitem__, reverse=True)[:k]
        return [self.ids[i] for i in order if scores[i] > 0]


def percentile(values: list[float], p: float) -> float:
    s = sorted(values)
    return s[min(len(s) - 1, int(round(p / 100 * (len(s) - 1))))]


def time_calls(fn, questions: list[str], repeats: int) -> list[float]:
    out = []
    for _ in range(repeats):
        for q in questions:
            t = time.perf_counter()
            fn(q)
            out.append((time.perf_counter() - t) * 1000)
    return out


def _build(factory, trace: bool):
    gc.collect()
    if trace:
        tracemalloc.start()
    t = time.perf_counter()
    obj = factory()
    took = time.perf_counter() - t
    peak = tracemalloc.get_traced_memory()[1] / 2**20 if trace else float("nan")
    if trace:
        tracemalloc.stop()
    return obj, took, peak


def measure(label: str, kb: KnowledgeBase, questions, repeats: int, trace: bool = True) -> None:
    cal = Calibration.from_params(kb.calibration)
    rss0 = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    engine, build, engine_peak = _build(lambda: Engine(kb, cal), trace)
    rss1 = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    bm25, bm25_build, bm25_peak = _build(lambda: BM25Baseline(kb), trace)
    settle()  # both loaded: out of the garbage collector's way, as the bot does (bot.app.settle)

    texts = [q.q for q in questions]
    # interleave the two so drift hits both alike
    ours, theirs = [], []
    for _ in range(repeats):
        ours += time_calls(engine.ask, texts, 1)
        theirs += time_calls(bm25.ranked, texts, 1)
    print(f"\n== {label}: {len(kb.entries)} entries, {len(texts)} questions x {repeats}")
    print(f"index build: engine {build:.2f}s, BM25 {bm25_build:.2f}s" + (" (under tracemalloc)" if trace else ""))
    if trace:
        print(f"peak Python memory while building: engine {engine_peak:.1f} MiB, BM25 {bm25_peak:.1f} MiB")
    print(f"process peak RSS grew {rss1 - rss0:.0f} MiB while the engine index was built")
    for name, values in (("engine", ours), ("BM25", theirs)):
        print(f"latency {name:6}: p50 {percentile(values, 50):.2f} ms  p99 {percentile(values, 99):.2f} ms")
    print(
        f"ratio engine/BM25: p50 {percentile(ours, 50) / percentile(theirs, 50):.2f}  "
        f"p99 {percentile(ours, 99) / percentile(theirs, 99):.2f}"
    )

    in_scope = [q for q in questions if q.id and engine.index.entry(q.id) is not None]
    if not in_scope:
        return
    top1 = sum(engine.ask(q.q).entry_id == q.id for q in in_scope) / len(in_scope)
    ranked = [bm25.ranked(q.q) for q in in_scope]
    b1 = sum(r[:1] == [q.id] for r, q in zip(ranked, in_scope)) / len(in_scope)
    b3 = sum(q.id in r for r, q in zip(ranked, in_scope)) / len(in_scope)
    oos = [q for q in questions if q.id is None]
    rejected = sum(engine.ask(q.q).status is not Status.ANSWER for q in oos) / max(len(oos), 1)
    print(f"accuracy: engine top-1 {top1:.3f} (answers only when confident; rejects {rejected:.3f} of out-of-scope)")
    print(f"          BM25   top-1 {b1:.3f}, top-3 {b3:.3f} (always answers; rejects 0.000 of out-of-scope)")


def startup() -> None:
    """Start-up of a fresh process to a ready engine: with the store up to date, and rebuilding it."""
    code = (
        "import time,sys;t=time.perf_counter();from pathlib import Path;from bot.app import Core;"
        "Core.open(Path('knowledge'),Path(sys.argv[1]).parent);print(time.perf_counter()-t)"
    )
    import tempfile

    with tempfile.TemporaryDirectory() as tmp:
        db = str(Path(tmp) / "bot.db")
        cold = float(subprocess.check_output([sys.executable, "-c", code, db], cwd=ROOT, text=True))
        warm = [float(subprocess.check_output([sys.executable, "-c", code, db], cwd=ROOT, text=True)) for _ in range(3)]
        base = [
            float(
                subprocess.check_output(
                    [
                        sys.executable,
                        "-c",
                        "import time;t=time.perf_counter();import telegram;print(time.perf_counter()-t)",
                    ],
                    cwd=ROOT,
                    text=True,
                )
            )
            for _ in range(3)
        ]
    print(
        f"\nstart-up to a ready engine: first run (builds the store) {cold:.2f}s, "
        f"later runs median {statistics.median(warm):.2f}s "
        f"(for scale: importing python-telegram-bot alone takes {statistics.median(base):.2f}s)"
    )


def main() -> None:
    p = argparse.ArgumentParser()
    p.add_argument("--quick", action="store_true")
    args = p.parse_args()
    kb = load_or_raise(ROOT / "knowledge")
    questions = load_questions(ROOT / "tests" / "dev")  # short and long questions, as people write them
    startup()
    measure("real knowledge base", kb, questions, repeats=2 if args.quick else 5)
    n = 2000 if args.quick else 10_000
    measure("generated knowledge base", generated(kb, n), questions, repeats=1, trace=False)


if __name__ == "__main__":
    main()
