"""`python -m bot eval`: how well the engine answers a held-out question set.

Two sets live in tests/: ``dev/`` for tuning, and ``sealed/``, written by someone who saw
neither the entries nor the dev set, which nothing is ever tuned on. Figures are given by
variant, and by language × length (words as typed: ≤ 6, 7–14, ≥ 15)."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path

import yaml

from bot.engine.engine import Engine, Result, Status

VARIANTS = ("accented", "unaccented", "abbreviated", "misspelled", "english", "oos")


LENGTHS = ("≤6", "7-14", "≥15")


@dataclass
class Question:
    q: str
    id: str | None
    variant: str
    lang: str = "vi"
    near_miss: bool = False

    @property
    def length(self) -> str:
        n = len(self.q.split())
        return LENGTHS[0] if n <= 6 else LENGTHS[1] if n <= 14 else LENGTHS[2]


@dataclass
class Tally:
    n: int = 0
    top1: int = 0
    top3: int = 0
    wrong: int = 0  # confident answer with the wrong id (or any answer to an out-of-scope question)
    rejected: int = 0  # out of scope and not answered
    shown: int = 0  # the right entry was the answer or among the suggestions shown
    first: int = 0  # the right entry ranked first, answered or not

    def add(self, q: Question, r: Result) -> None:
        self.n += 1
        answered = r.status is Status.ANSWER
        if q.id is None:
            self.rejected += not answered
            self.wrong += answered
            return
        self.top1 += answered and r.entry_id == q.id
        self.top3 += q.id in r.ranked[:3]
        self.wrong += answered and r.entry_id != q.id
        self.shown += r.entry_id == q.id or q.id in r.suggestions
        self.first += r.ranked[:1] == [q.id]


@dataclass
class Report:
    by_variant: dict[str, Tally] = field(default_factory=lambda: defaultdict(Tally))
    by_cell: dict[tuple[str, str], Tally] = field(default_factory=lambda: defaultdict(Tally))  # (lang, length)
    near_miss: Tally = field(default_factory=Tally)
    failures: list[tuple[Question, Result]] = field(default_factory=list)

    def in_scope(self) -> Tally:
        t = Tally()
        for v, x in self.by_variant.items():
            if v != "oos":
                t.n += x.n
                t.top1 += x.top1
                t.top3 += x.top3
                t.wrong += x.wrong
                t.shown += x.shown
                t.first += x.first
        return t

    def figures(self) -> dict[str, float]:
        ins = self.in_scope()
        oos = self.by_variant.get("oos", Tally())
        total = ins.n + oos.n
        out = {
            "questions": float(total),
            "top1": ins.top1 / ins.n if ins.n else 0.0,
            "top3": ins.top3 / ins.n if ins.n else 0.0,
            "shown": ins.shown / ins.n if ins.n else 0.0,
            "ranked_first": ins.first / ins.n if ins.n else 0.0,
            "wrong_rate": (ins.wrong + oos.wrong) / total if total else 0.0,
            "oos_rejection": oos.rejected / oos.n if oos.n else 0.0,
        }
        if self.near_miss.n:
            out["near_miss_rejection"] = self.near_miss.rejected / self.near_miss.n
        for v, x in self.by_variant.items():
            if v != "oos" and x.n:
                out[f"top1.{v}"] = x.top1 / x.n
        for (lang, length), x in self.by_cell.items():
            if x.n:
                out[f"top1.{lang}.{length}"] = x.top1 / x.n
        return out


def load_questions(path: Path) -> list[Question]:
    """One YAML file, or every YAML file of a folder. Items: ``{q, id, variant}`` (dev) or
    ``{q, id, lang, style}`` (sealed); ``id: null`` is out of scope."""
    path = Path(path)
    files = sorted(path.glob("*.yaml")) if path.is_dir() else [path]
    out = []
    for f in files:
        for d in yaml.safe_load(f.read_text(encoding="utf-8")) or []:
            ident = d.get("id")
            style = str(d.get("variant") or d.get("style") or "accented")
            lang = str(d.get("lang") or ("en" if style == "english" else "vi"))
            variant = "oos" if ident is None else ("english" if lang == "en" else style)
            out.append(Question(str(d["q"]), ident, variant, lang, ident is None and style == "near-miss"))
    return out


def evaluate(engine: Engine, questions: list[Question]) -> Report:
    report = Report()
    for q in questions:
        r = engine.ask(q.q)
        report.by_variant[q.variant].add(q, r)
        if q.id is not None:
            report.by_cell[(q.lang, q.length)].add(q, r)
        elif q.near_miss:
            report.near_miss.add(q, r)
        if (q.id is None and r.status is Status.ANSWER) or (q.id is not None and r.entry_id != q.id):
            report.failures.append((q, r))
    return report


def render(report: Report, show_failures: bool = False) -> str:
    f = report.figures()
    lines = [
        f"questions: {int(f['questions'])} ({report.in_scope().n} in scope, "
        f"{report.by_variant.get('oos', Tally()).n} out of scope)",
        f"top-1 accuracy (in scope):      {f['top1']:.3f}",
        f"ranked first (in scope):        {f['ranked_first']:.3f}",
        f"top-3 recall (in scope):        {f['top3']:.3f}",
        f"answer or suggestion right:     {f['shown']:.3f}",
        f"wrong confident answers (all):  {f['wrong_rate']:.3f}",
        f"out-of-scope rejection:         {f['oos_rejection']:.3f}",
    ]
    if report.near_miss.n:
        lines.append(f"  near misses ({report.near_miss.n}):              {f['near_miss_rejection']:.3f}")
    lines += [
        "",
        f"{'language':<9} {'words':<6} {'n':>4} {'top-1':>6} {'shown':>6} {'wrong':>6}",
    ]
    for lang in ("vi", "en"):
        for length in LENGTHS:
            x = report.by_cell.get((lang, length))
            if x and x.n:
                lines.append(
                    f"{lang:<9} {length:<6} {x.n:>4} {x.top1 / x.n:>6.3f} {x.shown / x.n:>6.3f} {x.wrong / x.n:>6.3f}"
                )
    lines += [
        "",
        f"{'variant':<12} {'n':>4} {'top-1':>6} {'top-3':>6} {'wrong':>6} {'rejected':>8}",
    ]
    for v in sorted(report.by_variant, key=lambda v: VARIANTS.index(v) if v in VARIANTS else 99):
        x = report.by_variant[v]
        if v == "oos":
            lines.append(f"{v:<12} {x.n:>4} {'':>6} {'':>6} {x.wrong / x.n:>6.3f} {x.rejected / x.n:>8.3f}")
        else:
            lines.append(f"{v:<12} {x.n:>4} {x.top1 / x.n:>6.3f} {x.top3 / x.n:>6.3f} {x.wrong / x.n:>6.3f} {'':>8}")
    if show_failures:
        lines += ["", "misses:"]
        for q, r in report.failures:
            got = r.entry_id or f"({r.status.value}: {', '.join(r.ranked[:3])})"
            lines.append(f"  [{q.variant}] {q.q!r}: expected {q.id}, got {got} conf={r.confidence:.2f}")
    return "\n".join(lines)
