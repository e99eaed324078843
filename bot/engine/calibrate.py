"""Fitting the confidence to the knowledge base itself, without touching the dev set.

K folds. In each, one group of entries is taken out of the knowledge base entirely and,
from the others, every K-th alternate question is held out. Then the engine is asked

* the held-out questions of entries still present — it should answer them (positives);
* every question of the removed entries — the right answer is no longer there, so the
  best it can do is say it does not know (realistic near-miss negatives).

A logistic regression on (score, margin) fitted to these outcomes turns the raw score
into a probability of being right; the threshold is the lowest confidence at which the
answers given would still be wrong at most ``max_wrong`` of the time.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass, replace

from bot.engine.matcher import Calibration, Matcher
from bot.knowledge.loader import KnowledgeBase
from bot.knowledge.schema import Entry, TextList


@dataclass
class Sample:
    score: float
    margin: float
    right: bool  # the top-1 entry is the correct one (never, for a removed entry)


def _fold_kb(kb: KnowledgeBase, k: int, folds: int) -> tuple[KnowledgeBase, list[tuple[str, str | None]]]:
    kept: list[Entry] = []
    probes: list[tuple[str, str | None]] = []
    for n, entry in enumerate(sorted(kb.entries, key=lambda e: e.id)):
        questions = [*entry.questions.vi, *entry.questions.en]
        if n % folds == k:
            probes += [(q, None) for q in questions]
            continue
        held = {q for i, q in enumerate(questions) if i % folds == k}
        probes += [(q, entry.id) for q in held]
        qs = TextList(
            vi=[q for q in entry.questions.vi if q not in held] or entry.questions.vi[:1],
            en=[q for q in entry.questions.en if q not in held],
        )
        kept.append(entry.model_copy(update={"questions": qs}))
    known = {e.id for e in kept}
    kept = [e.model_copy(update={"related": [r for r in e.related if r in known]}) for e in kept]
    sub = KnowledgeBase(kept, kb.lexicon, kb.commune, {}, [])
    return sub, probes


def collect(kb: KnowledgeBase, folds: int = 5) -> list[Sample]:
    from bot.engine.index import Index  # here, not at module level: only calibration needs it

    samples = []
    for k in range(folds):
        sub, probes = _fold_kb(kb, k, folds)
        matcher = Matcher(Index(sub))
        for question, expected in probes:
            ranking = matcher.rank(question)
            if not ranking.scored:
                continue
            best = ranking.scored[0]
            runner = ranking.scored[1].score if len(ranking.scored) > 1 else 0.0
            top = matcher.index.items[best.index].entry.id
            samples.append(Sample(best.score, best.score - runner, expected is not None and top == expected))
    return samples


def fit(samples: list[Sample], max_wrong: float = 0.03, iterations: int = 3000) -> Calibration:
    """Logistic regression by gradient descent (two features, a few hundred samples)."""
    b, ws, wm = 0.0, 0.0, 0.0
    rate = 0.5
    n = len(samples)
    for _ in range(iterations):
        gb = gs = gm = 0.0
        for s in samples:
            p = 1 / (1 + math.exp(-(b + ws * s.score + wm * s.margin)))
            err = p - s.right
            gb += err
            gs += err * s.score
            gm += err * s.margin
        b -= rate * gb / n * 4
        ws -= rate * gs / n * 8
        wm -= rate * gm / n * 8
    cal = Calibration(bias=round(b, 3), w_score=round(ws, 3), w_margin=round(wm, 3))
    return replace(cal, threshold=choose_threshold(samples, cal.confidence, max_wrong))


def choose_threshold(samples: list[Sample], confidence: Callable[[float, float], float], max_wrong: float) -> float:
    """The lowest threshold whose answers are wrong at most ``max_wrong`` of all samples."""
    scored = sorted(((confidence(s.score, s.margin), s.right) for s in samples), reverse=True)
    wrong = 0
    best = 0.95
    for i, (conf, right) in enumerate(scored, 1):
        wrong += not right
        if wrong / len(scored) <= max_wrong and i < len(scored):
            best = conf
    return round(max(best, 0.5), 3)


def reliability(samples: list[Sample], cal: Calibration, bins: int = 5) -> list[tuple[float, float, int]]:
    """(mean confidence, share right, count) per confidence bin: a calibrated model has them close."""
    out = []
    for b in range(bins):
        lo, hi = b / bins, (b + 1) / bins
        inside = [
            s
            for s in samples
            if lo <= cal.confidence(s.score, s.margin) < hi or (hi == 1 and cal.confidence(s.score, s.margin) == 1)
        ]
        if inside:
            mean = sum(cal.confidence(s.score, s.margin) for s in inside) / len(inside)
            out.append((mean, sum(s.right for s in inside) / len(inside), len(inside)))
    return out
