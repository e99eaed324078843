"""`python -m bot eval`: how well the engine answers the held-out dev question set."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path

import yaml

from bot.engine.engine import Engine, Result, Status

VARIANTS = ("accented", "unaccented", "abbreviated", "misspelled", "english", "oos")


@dataclass
class Question:
    q: str
    id: str | None
    variant: str


@dataclass
class Tally:
    n: int = 0
    top1: int = 0
    top3: int = 0
    wrong: int = 0  # confident answer with the wrong id (or any answer to an out-of-scope question)
    rejected: int = 0  # out of scope and not answered

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


@dataclass
class Report:
    by_variant: dict[str, Tally] = field(default_factory=lambda: defaultdict(Tally))
    failures: list[tuple[Question, Result]] = field(default_factory=list)

    def in_scope(self) -> Tally:
        t = Tally()
        for v, x in self.by_variant.items():
            if v != "oos":
                t.n += x.n
                t.top1 += x.top1
                t.top3 += x.top3
                t.wrong += x.wrong
        return t

    def figures(self) -> dict[str, float]:
        ins = self.in_scope()
        oos = self.by_variant.get("oos", Tally())
        total = ins.n + oos.n
        out = {
            "questions": float(total),
            "top1": ins.top1 / ins.n if ins.n else 0.0,
            "top3": ins.top3 / ins.n if ins.n else 0.0,
            "wrong_rate": (ins.wrong + oos.wrong) / total if total else 0.0,
            "oos_rejection": oos.rejected / oos.n if oos.n else 0.0,
        }
        for v, x in self.by_variant.items():
            if v != "oos" and x.n:
                out[f"top1.{v}"] = x.top1 / x.n
        return out


def load_questions(path: Path) -> list[Question]:
    data = yaml.safe_load(Path(path).read_text(encoding="utf-8")) or []
    return [Question(str(d["q"]), d.get("id"), str(d.get("variant", "accented"))) for d in data]


def evaluate(engine: Engine, questions: list[Question]) -> Report:
    report = Report()
    for q in questions:
        r = engine.ask(q.q)
        report.by_variant[q.variant].add(q, r)
        if (q.id is None and r.status is Status.ANSWER) or (q.id is not None and r.entry_id != q.id):
            report.failures.append((q, r))
    return report


def render(report: Report, show_failures: bool = False) -> str:
    f = report.figures()
    lines = [
        f"questions: {int(f['questions'])} ({report.in_scope().n} in scope, "
        f"{report.by_variant.get('oos', Tally()).n} out of scope)",
        f"top-1 accuracy (in scope):      {f['top1']:.3f}",
        f"top-3 recall (in scope):        {f['top3']:.3f}",
        f"wrong confident answers (all):  {f['wrong_rate']:.3f}",
        f"out-of-scope rejection:         {f['oos_rejection']:.3f}",
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
