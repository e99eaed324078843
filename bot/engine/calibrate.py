"""Fitting the decision to questions generated from the knowledge base, never to an evaluation set.

K folds. In each, one group of entries is taken out of the knowledge base entirely and,
from the others, every K-th alternate question is held out. From those held-out
questions the generator makes what people really send (``knowledge/training.yaml``):

* the question wrapped in *context* — greetings, who is asking, their situation,
  politeness particles; English trip talk — which must not change the answer;
* without accents, with chat abbreviations (the lexicon's, read backwards), with a typo.

Then the engine is asked

* the generated questions of entries still present — it should answer them (positives);
* every generated question of the removed entries — the right entry is gone, so the best
  it can do is not answer (realistic negatives);
* near misses: a held-out question with the entry's own subject (one of its keywords or
  its title) swapped for a subject the knowledge base does not cover ("giấy phép xây
  dựng" → "giấy phép câu cá") — any answer is wrong.

A logistic regression over the named features of :data:`bot.engine.matcher.FEATURES`
turns them into a probability of being right; the threshold is the lowest confidence at
which the generated answers are wrong at most ``max_wrong`` of the time and near misses
are refused at least ``min_rejection`` of the time. Everything is seeded: the same
knowledge base always gives the same calibration file.
"""

from __future__ import annotations

import math
import random
import re
from dataclasses import dataclass, field

import numpy as np

from bot.engine.index import Index
from bot.engine.matcher import FEATURES, Calibration, Matcher
from bot.knowledge.loader import KnowledgeBase
from bot.knowledge.schema import Entry, TextList
from bot.text.normalize import clean, fold, tokens

SEED = 20260
FOLDS = 5
#: the operating point: at most this share of generated questions answered wrong…
MAX_WRONG = 0.03
#: …and at least this share of generated near misses refused (a public service would rather not answer)
MIN_REJECTION = 0.97
L2 = 1.0  # ridge penalty on the weights (not the bias): keeps the model smooth and explainable


@dataclass
class Sample:
    features: dict[str, float]
    right: bool  # the top-1 entry is the correct one (never, for a negative)
    kind: str  # "positive", "removed" (entry held out) or "near-miss"
    variant: str = "plain"
    question: str = ""


@dataclass
class Generator:
    """Realistic rewrites of a question, from the training data and the lexicon."""

    kb: KnowledgeBase
    rng: random.Random
    abbreviations: list[tuple[str, str]] = field(default_factory=list)  # (folded phrase, abbreviation)
    common: dict[str, list[str]] = field(default_factory=dict)  # lang → words many entries use

    def __post_init__(self) -> None:
        shortest: dict[str, str] = {}
        for abbr, expansion in self.kb.lexicon.abbreviations.items():
            phrase = " ".join(fold(t) for t in tokens(clean(expansion)))
            key = fold(clean(str(abbr)))
            if len(phrase.split()) >= 1 and (phrase not in shortest or len(key) < len(shortest[phrase])):
                shortest[phrase] = key
        self.abbreviations = sorted(shortest.items(), key=lambda kv: -len(kv[0]))
        # words that many entries use ("xã", "năm", "commune", "year"): people use them in passing
        spread: dict[tuple[str, str], set[str]] = {}
        for e in self.kb.entries:
            for lang in ("vi", "en"):
                for text in [*e.texts(lang), e.answer.get(lang)]:
                    for tok in tokens(clean(text)):
                        if tok.isalpha() and len(tok) > 1:
                            spread.setdefault((lang, tok), set()).add(e.id)
        least = max(3, len(self.kb.entries) // 12)
        for lang in ("vi", "en"):
            self.common[lang] = sorted(t for (lg, t), ids in spread.items() if lg == lang and len(ids) >= least)

    def wrap(self, question: str, lang: str) -> str:
        templates = self.kb.training.context.get(lang)
        if not templates:
            return question
        q = question.rstrip(" ?.!")
        if lang == "vi":
            q = q[:1].lower() + q[1:]
        wrapped = self.rng.choice(templates).replace("{q}", q)
        return wrapped if lang == "vi" else wrapped.replace(q, q + "?", 1)

    @staticmethod
    def unaccented(text: str) -> str:
        return fold(text)

    def chat(self, text: str) -> str:
        """Unaccented, with the lexicon's abbreviations where their phrases occur."""
        out = " " + " ".join(fold(t) for t in tokens(clean(text))) + " "
        for phrase, abbr in self.abbreviations:
            if self.rng.random() < 0.7:
                out = out.replace(f" {phrase} ", f" {abbr} ")
        return out.strip()

    def typo(self, text: str) -> str:
        words = text.split()
        spots = [i for i, w in enumerate(words) if len(w) >= 4 and w.isalpha()]
        if not spots:
            return text
        i = self.rng.choice(spots)
        w = words[i]
        j = self.rng.randrange(1, len(w) - 1)
        edit = self.rng.choice(("drop", "double", "swap"))
        if edit == "drop":
            w = w[:j] + w[j + 1 :]
        elif edit == "double":
            w = w[:j] + w[j] + w[j:]
        else:
            w = w[: j - 1] + w[j] + w[j - 1] + w[j + 1 :]
        words[i] = w
        return " ".join(words)

    def interleave(self, text: str, lang: str) -> str:
        """Two to four words many entries use, dropped between the question's words: people ask
        in their own words, not in the entry's."""
        words = text.split()
        pool = self.common.get(lang) or []
        if not pool or len(words) < 2:
            return text
        for _ in range(self.rng.randint(2, 4)):
            words.insert(self.rng.randrange(1, len(words)), self.rng.choice(pool))
        return " ".join(words)

    def variants(self, question: str, lang: str) -> list[tuple[str, str]]:
        """A handful of ways the question is really sent."""
        out = [
            ("plain", question),
            ("context", self.wrap(question, lang)),
            ("own-words", self.wrap(self.interleave(question, lang), lang)),
        ]
        if lang == "vi":
            out.append(("unaccented", self.unaccented(self.wrap(question, lang))))
            out.append(("chat", self.chat(question if self.rng.random() < 0.5 else self.wrap(question, lang))))
        out.append(("typo", self.typo(question)))
        return out

    def swap_subject(self, question: str, entry: Entry, lang: str, subjects: list[str]) -> str | None:
        """The question with the entry's own subject replaced by one the knowledge base lacks.

        Only when one of the entry's keywords (or its title) names the subject, and no other
        one is left after the swap — otherwise the question would still be about the entry.
        ``subjects`` are those the knowledge base does not mention (see :func:`elsewhere`)."""
        if not subjects:
            return None
        cleaned = clean(question)
        folded_q = fold(cleaned)
        if len(cleaned) != len(folded_q):
            return None  # positions in the folded text must be those of the cleaned text
        names = sorted({fold(clean(n)) for n in [*entry.keywords, entry.title.get(lang)]}, key=lambda n: (-len(n), n))
        names = [n for n in names if len(n) >= 3]
        for key in names:
            match = re.search(rf"(?<!\w){re.escape(key)}(?!\w)", folded_q)
            if not match:
                continue
            rest = folded_q[: match.start()] + " " + folded_q[match.end() :]
            if any(re.search(rf"(?<!\w){re.escape(other)}(?!\w)", rest) for other in names):
                return None
            return cleaned[: match.start()] + self.rng.choice(subjects) + cleaned[match.end() :]
        return None


def elsewhere(kb: KnowledgeBase, index: Index) -> dict[str, list[str]]:
    """The training subjects the knowledge base really lacks: no entry's title, keywords or
    questions use all of the phrase's word pairs (or its one word)."""
    primary: set[str] = set().union(*(item.primary for item in index.items))
    out: dict[str, list[str]] = {}
    for lang in ("vi", "en"):
        out[lang] = []
        for subject in kb.training.elsewhere.get(lang):
            terms = [t.folded for t in index.lexicon.analyze(subject).terms]
            keys = [f"{a}_{b}" for a, b in zip(terms, terms[1:])] if len(terms) > 1 else terms
            if keys and not all(k in primary for k in keys):
                out[lang].append(subject)
    return out


def _fold_kb(kb: KnowledgeBase, k: int, folds: int) -> tuple[KnowledgeBase, list[tuple[str, str, Entry, bool]]]:
    """The knowledge base without fold k's entries and held-out questions; the probes:
    (question, lang, entry, entry still present)."""
    kept: list[Entry] = []
    probes: list[tuple[str, str, Entry, bool]] = []
    for n, entry in enumerate(sorted(kb.entries, key=lambda e: e.id)):
        if n % folds == k:
            probes += [(q, lang, entry, False) for lang in ("vi", "en") for q in entry.questions.get(lang)]
            continue
        held: dict[str, set[str]] = {}
        for lang in ("vi", "en"):
            asked = entry.questions.get(lang)
            held[lang] = {q for i, q in enumerate(asked) if i % folds == k}
            probes += [(q, lang, entry, True) for q in asked if q in held[lang]]
        qs = TextList(
            vi=[q for q in entry.questions.vi if q not in held["vi"]] or entry.questions.vi[:1],
            en=[q for q in entry.questions.en if q not in held["en"]],
        )
        kept.append(entry.model_copy(update={"questions": qs}))
    known = {e.id for e in kept}
    kept = [e.model_copy(update={"related": [r for r in e.related if r in known]}) for e in kept]
    sub = KnowledgeBase(kept, kb.lexicon, kb.commune, {}, [])
    return sub, probes


def collect(
    kb: KnowledgeBase, folds: int = FOLDS, seed: int = SEED, calibration: Calibration | None = None
) -> list[Sample]:
    """Generated samples. Without ``calibration`` each message is read whole; with it, the
    engine picks the reading (whole message or a clause) that calibration is surest of."""
    rng = random.Random(seed)
    gen = Generator(kb, rng)
    subjects = elsewhere(kb, Index(kb))
    samples: list[Sample] = []
    related = {e.id: set(e.related) for e in kb.entries}
    for e in kb.entries:
        for r in e.related:
            related.setdefault(r, set()).add(e.id)
    for k in range(folds):
        sub, probes = _fold_kb(kb, k, folds)
        matcher = Matcher(Index(sub), calibration)

        def ask(text: str, source: Entry, kind: str, variant: str, matcher: Matcher = matcher) -> None:
            ranking = matcher.read(clean(text), whole_only=calibration is None)
            if not ranking.scored:
                return
            top = matcher.index.entry_at(ranking.scored[0].index).id
            if kind != "near-miss" and top != source.id and top in related.get(source.id, ()):
                return  # an entry the source itself points to: a fair answer, neither right nor wrong
            samples.append(Sample(ranking.features(), kind == "positive" and top == source.id, kind, variant, text))

        for question, lang, entry, present in probes:
            for variant, text in gen.variants(question, lang):
                ask(text, entry, "positive" if present else "removed", variant)
            if present:
                swapped = gen.swap_subject(question, entry, lang, subjects[lang])
                if swapped:
                    ask(swapped, entry, "near-miss", "plain")
                    ask(gen.wrap(swapped, lang), entry, "near-miss", "context")
    return samples


def _matrix(samples: list[Sample]) -> tuple[np.ndarray, np.ndarray]:
    x = np.array([[s.features[f] for f in FEATURES] for s in samples], dtype=float)
    y = np.array([1.0 if s.right else 0.0 for s in samples])
    return x, y


def fit_logistic(x: np.ndarray, y: np.ndarray, l2: float = L2, iterations: int = 50) -> tuple[float, np.ndarray]:
    """Ridge-penalised logistic regression by Newton's method; returns (bias, weights)."""
    n, d = x.shape
    xb = np.hstack([np.ones((n, 1)), x])
    beta = np.zeros(d + 1)
    penalty = np.full(d + 1, l2)
    penalty[0] = 0.0
    for _ in range(iterations):
        p = 1 / (1 + np.exp(-np.clip(xb @ beta, -30, 30)))
        grad = xb.T @ (p - y) + penalty * beta
        hess = (xb * (p * (1 - p))[:, None]).T @ xb + np.diag(penalty) + 1e-9 * np.eye(d + 1)
        step = np.linalg.solve(hess, grad)
        beta -= step
        if float(np.max(np.abs(step))) < 1e-8:
            break
    return float(beta[0]), beta[1:]


def calibrate(
    kb: KnowledgeBase, max_wrong: float = MAX_WRONG, min_rejection: float = MIN_REJECTION
) -> tuple[Calibration, list[Sample]]:
    """Two passes: fit on whole messages, then let that model choose each message's reading
    (whole or a clause) as the engine does, and fit again on what it chose."""
    first = fit(collect(kb), max_wrong, min_rejection)
    samples = collect(kb, calibration=first)
    return fit(samples, max_wrong, min_rejection), samples


def fit(samples: list[Sample], max_wrong: float = MAX_WRONG, min_rejection: float = MIN_REJECTION) -> Calibration:
    x, y = _matrix(samples)
    bias, w = fit_logistic(x, y)
    cal = Calibration(bias=round(bias, 3), weights={f: round(float(v), 3) for f, v in zip(FEATURES, w)})
    threshold = choose_threshold(samples, cal, max_wrong, min_rejection)
    return Calibration(bias=cal.bias, weights=cal.weights, threshold=threshold)


def choose_threshold(samples: list[Sample], cal: Calibration, max_wrong: float, min_rejection: float) -> float:
    """The lowest threshold (on a 0.005 grid) at which the generated answers are wrong at most
    ``max_wrong`` of all samples and at least ``min_rejection`` of the near misses are refused."""
    scored = [(cal.confidence(s.features), s) for s in samples]
    near = [c for c, s in scored if s.kind == "near-miss"]
    for step in range(60, 200):
        t = step / 200
        wrong = sum(1 for c, s in scored if c >= t and not s.right)
        answered_near = sum(1 for c in near if c >= t)
        if wrong <= max_wrong * len(scored) and answered_near <= (1 - min_rejection) * max(len(near), 1):
            return t
    return 0.995


def summary(samples: list[Sample], cal: Calibration) -> dict[str, dict[str, float]]:
    """Per kind and variant: how often the generated question is answered, and answered right."""
    out: dict[str, dict[str, float]] = {}
    groups: dict[str, list[Sample]] = {}
    for s in samples:
        groups.setdefault(f"{s.kind}/{s.variant}", []).append(s)
    for key, group in sorted(groups.items()):
        answered = [s for s in group if cal.confidence(s.features) >= cal.threshold]
        out[key] = {
            "n": float(len(group)),
            "answered": len(answered) / len(group),
            "right": sum(s.right for s in answered) / len(group),
        }
    return out


def reliability(samples: list[Sample], cal: Calibration, bins: int = 5) -> list[tuple[float, float, int]]:
    """(mean confidence, share right, count) per confidence bin: a calibrated model has them close."""
    out = []
    confs = [(cal.confidence(s.features), s.right) for s in samples]
    for b in range(bins):
        lo, hi = b / bins, (b + 1) / bins
        inside = [(c, r) for c, r in confs if lo <= c < hi or (hi == 1 and c == 1)]
        if inside:
            out.append((sum(c for c, _ in inside) / len(inside), sum(r for _, r in inside) / len(inside), len(inside)))
    return out


def log_loss(samples: list[Sample], cal: Calibration) -> float:
    eps = 1e-12
    total = 0.0
    for s in samples:
        p = min(max(cal.confidence(s.features), eps), 1 - eps)
        total -= math.log(p) if s.right else math.log(1 - p)
    return total / max(len(samples), 1)
