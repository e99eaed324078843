"""Scoring a question against the index, and a calibrated confidence.

A question is read into weighted features (unigrams and bigrams of folded syllables
or English stems). Each entry gets

* *coverage* — the share of the question's weight the entry explains; words the
  knowledge base has never seen weigh as much as its rarest words, so a question
  about something else ("giấy phép câu cá") cannot borrow confidence from the
  words it happens to share ("giấy phép");
* *closeness* — the cosine between the question and the entry's nearest
  alternate question.

The confidence is a logistic function of the best score and of its margin over the
runner-up; below the threshold the engine answers with suggestions, not an answer.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

from rapidfuzz import process
from rapidfuzz.distance import Levenshtein

from bot.engine.index import SECONDARY, Index
from bot.text.analyzer import Analysis
from bot.text.normalize import has_diacritics, tokens
from bot.text.syllable import is_syllable

WEAK = 0.3  # a maybe-stop-word typed without accents
REPAIRED = 0.85  # a token we repaired (Telex, typo)
ACCENT_MISMATCH = 0.6  # the user typed accents the entry does not have
BIGRAM = 0.7
UNKNOWN_BIGRAM = 0.8
COVERAGE_SHARE = 0.5
UNKNOWN = 0.7  # an unknown word weighs this share of the rarest known word


@dataclass(frozen=True)
class Calibration:
    """Logistic confidence: sigmoid(bias + w_score * score + w_margin * margin)."""

    bias: float = -9.0
    w_score: float = 13.0
    w_margin: float = 6.0
    threshold: float = 0.5  # answer at or above this confidence
    suggest_floor: float = 0.35  # offer entries scoring at least this as suggestions

    def confidence(self, score: float, margin: float) -> float:
        z = self.bias + self.w_score * score + self.w_margin * margin
        return 1 / (1 + math.exp(-max(min(z, 30.0), -30.0)))


@dataclass
class Scored:
    index: int
    score: float
    coverage: float
    closeness: float


@dataclass
class Ranking:
    analysis: Analysis
    lang: str | None  # detected language, None when undecided
    scored: list[Scored] = field(default_factory=list)
    total_weight: float = 0.0


class Matcher:
    def __init__(self, index: Index, calibration: Calibration | None = None) -> None:
        self.index = index
        self.calibration = calibration or Calibration()

    # --- reading the question -------------------------------------------------------------
    def correct(self, word: str, prev: str | None, nxt: str | None) -> str | None:
        """A known word for an unknown one: within edit distance 1 (2 for long words),
        preferring one that forms a known bigram with a neighbour. A typed word that is a
        valid Vietnamese syllable is only replaced when a neighbour confirms the fix."""
        if len(word) < 3 or not word.isalpha() or not any(v in word for v in "aeiouy"):
            return None  # too short to guess, or an acronym ("thpt"): leave it unknown
        limit = 1 if len(word) <= 5 else 2
        found = process.extract(word, self.index.vocab_list, scorer=Levenshtein.distance, score_cutoff=limit, limit=12)
        if not found:
            return None
        df = self.index.df
        supported = [
            (dist, cand)
            for cand, dist, _ in found
            if (prev and df.get(f"{prev}_{cand}", 99) <= 3) or (nxt and df.get(f"{cand}_{nxt}", 99) <= 3)
        ]
        if supported:
            return min(supported)[1]
        if is_syllable(word):
            return None
        best = min(found, key=lambda c: (c[1], -self.index.df.get(c[0], 0)))
        return str(best[0])

    def detect_language(self, text: str) -> str | None:
        """vi when accents were typed; otherwise the side whose vocabulary knows more words."""
        if has_diacritics(text):
            return "vi"
        vi = en = 0
        for word in tokens(text):
            vi += word in self.index.words["vi"]
            en += word in self.index.words["en"]
        if vi == en:
            return None
        return "vi" if vi > en else "en"

    def correct_english(self, word: str, prev: str | None, nxt: str | None) -> str | None:
        """English typos: one edit in words of five letters or more; short words stay themselves
        ("weather" must not become "death")."""
        if len(word) < 5:
            return None
        fixed = self.correct(word, prev, nxt)
        return fixed if fixed and Levenshtein.distance(word, fixed) <= (1 if len(word) < 9 else 2) else None

    def weights(self, analysis: Analysis) -> dict[str, tuple[float, str | None]]:
        """Feature → (weight, accent key typed by the user)."""
        idf = self.index.idf
        out: dict[str, tuple[float, str | None]] = {}
        unit: list[float] = []
        for t in analysis.terms:
            w = idf.get(t.folded, self.index.unknown_idf * UNKNOWN)
            if t.weak:
                w *= WEAK
            if t.repaired:
                w *= REPAIRED
            unit.append(w)
            if t.folded not in out or out[t.folded][0] < w:
                out[t.folded] = (w, t.accent)
        for i, (a, b) in enumerate(zip(analysis.terms, analysis.terms[1:])):
            key = f"{a.folded}_{b.folded}"
            if key in idf:
                w = idf[key] * BIGRAM
            else:
                w = UNKNOWN_BIGRAM * min(unit[i], unit[i + 1])
            accent = a.accent or b.accent
            if key not in out or out[key][0] < w:
                out[key] = (w, accent)
        return out

    # --- scoring ------------------------------------------------------------------------
    def rank(self, text: str, limit: int = 5) -> Ranking:
        lang = self.detect_language(text)
        corrector = self.correct if lang != "en" else self.correct_english
        analysis = self.index.lexicon.analyze(text, known=self.index.vocab, corrector=corrector, telex=lang != "en")
        ranking = Ranking(analysis, lang)
        weights = self.weights(analysis)
        total = sum(w for w, _ in weights.values())
        ranking.total_weight = total
        if total <= 0:
            return ranking
        partial: dict[int, float] = {}
        for f, (w, _a) in weights.items():
            for i in self.index.postings.get(f, ()):
                partial[i] = partial.get(i, 0.0) + w
        if not partial:
            return ranking
        candidates = sorted(partial, key=partial.__getitem__, reverse=True)[: max(limit * 6, 30)]
        qnorm = math.sqrt(sum(w * w for w, _ in weights.values()))
        scored = []
        for i in candidates:
            item = self.index.items[i]
            matched = 0.0
            for f, (w, accent) in weights.items():
                if f in item.primary:
                    m = w
                elif f in item.secondary:
                    m = w * SECONDARY
                else:
                    continue
                if accent is not None and not self._accent_ok(f, accent, item.accents, analysis):
                    m *= ACCENT_MISMATCH
                matched += m
            coverage = matched / total
            dots: dict[int, float] = {}
            for f, (w, _a) in weights.items():
                for t in item.text_postings.get(f, ()):
                    dots[t] = dots.get(t, 0.0) + w * self.index.idf[f]
            closeness = max((dot / (qnorm * item.texts[t][1]) for t, dot in dots.items()), default=0.0)
            score = COVERAGE_SHARE * coverage + (1 - COVERAGE_SHARE) * closeness
            scored.append(Scored(i, score, coverage, closeness))
        scored.sort(key=lambda s: s.score, reverse=True)
        ranking.scored = scored[:limit]
        return ranking

    @staticmethod
    def _accent_ok(feature: str, accent: str, entry_accents: set[str], analysis: Analysis) -> bool:
        if "_" not in feature:
            return accent in entry_accents
        # a bigram: every accented part the user typed must be found in the entry
        parts = feature.split("_")
        typed = {t.folded: t.accent for t in analysis.terms if t.accent}
        return all(typed.get(p) is None or typed[p] in entry_accents for p in parts)
