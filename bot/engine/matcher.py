"""Scoring a question against the index, and a calibrated confidence.

A question is read into weighted features (unigrams and bigrams of folded syllables
or English stems). Each candidate entry gets three views of the match:

* *coverage* — the share of the **question's** weight the entry explains; context
  ("con tôi mới sinh ở trạm y tế được hai tuần…") lowers it;
* *containment* — the share of the entry's own nearest text (title, keyword or
  alternate question) that the question contains: does the question say what
  defines *this* entry ("khai tử", "căn cước", "homestay")? Context does not
  lower it; a changed subject ("giấy phép **câu cá**") does, because the words
  that define the entry are missing;
* *closeness* — the cosine between the question and that nearest text.

Their blend ranks the entries. Whether to answer is a separate, explainable
decision: a logistic model over a handful of named features of the best match
(see :data:`FEATURES`), fitted by ``kb calibrate`` on questions generated from the
knowledge base itself (never on an evaluation set).
"""

from __future__ import annotations

import heapq
import math
import re
from collections import defaultdict
from collections.abc import Container, Mapping
from dataclasses import dataclass, field
from itertools import chain

from rapidfuzz import process
from rapidfuzz.distance import Levenshtein

from bot.engine.index import SECONDARY, Index
from bot.text.analyzer import Analysis
from bot.text.normalize import accent_key, tokens
from bot.text.syllable import is_syllable

WEAK = 0.3  # a maybe-stop-word typed without accents
REPAIRED = 0.85  # a token we repaired (Telex, typo)
ACCENT_MISMATCH = 0.6  # the user typed accents the entry does not have
BIGRAM = 0.7
UNKNOWN_BIGRAM = 0.8
UNKNOWN = 0.7  # an unknown word weighs this share of the rarest known word
NUMBER_CONFLICT = 0.5  # "Chu Va 8" asked, the entry is "Chu Va 6": its score counts this much
#: how the ranking score blends the three views
RANK_BLEND = (("coverage", 0.35), ("containment", 0.35), ("closeness", 0.3))

#: the decision's features, in order; each is a number computed for the best candidate
FEATURES = (
    "score",  # the ranking score of the best entry
    "containment",  # share of the entry's nearest text found in the question
    "defining",  # the same with rare words counting more (idf squared): the entry's defining words
    "known_coverage",  # share of the question's known words (the knowledge base uses them) the entry explains
    "unknown",  # share of the question's weight in words the knowledge base never uses
    "length",  # log(1 + content words)
    "part",  # share of the message's words in the part that was read (1 for the whole message)
)

#: where a long message splits into clauses: punctuation, and connectives before the question
_CLAUSE_RE = re.compile(r"[,.;:!?\n()]+|\s(?:thì|mà|nhưng|but|because)\s")
# A clause opened by contrastive "còn" / "what about" turns to a new subject: "thẻ cho con thì
# xã làm rồi, còn thẻ cho bố mẹ thì mua ở đâu?" asks about the second. Accented "còn" only —
# unaccented "con" is also "child".
_CONTRAST_RE = re.compile(r"(?:còn|but what about|what about|how about)\s", re.IGNORECASE)
MAX_READINGS = 8


@dataclass(frozen=True)
class Calibration:
    """Logistic confidence: sigmoid(bias + Σ weight·feature)."""

    bias: float = -6.0
    weights: Mapping[str, float] = field(
        default_factory=lambda: {"score": 3.0, "containment": 2.0, "defining": 1.0, "known_coverage": 6.0}
    )
    threshold: float = 0.5  # answer at or above this confidence
    suggest_floor: float = 0.25  # offer entries whose containment or coverage reaches this

    def contributions(self, features: Mapping[str, float]) -> dict[str, float]:
        return {name: self.weights.get(name, 0.0) * features.get(name, 0.0) for name in FEATURES}

    def confidence(self, features: Mapping[str, float]) -> float:
        z = self.bias + sum(self.contributions(features).values())
        return 1 / (1 + math.exp(-max(min(z, 30.0), -30.0)))

    def as_params(self) -> dict[str, object]:
        return {
            "bias": self.bias,
            "weights": {name: float(self.weights.get(name, 0.0)) for name in FEATURES},
            "threshold": self.threshold,
            "suggest_floor": self.suggest_floor,
        }

    @classmethod
    def from_params(cls, params: Mapping[str, object] | None) -> Calibration | None:
        if not params:
            return None
        weights = params.get("weights") or {}
        assert isinstance(weights, Mapping)
        return cls(
            bias=float(params.get("bias", cls.bias)),  # type: ignore[arg-type]
            weights={str(k): float(v) for k, v in weights.items()},
            threshold=float(params.get("threshold", cls.threshold)),  # type: ignore[arg-type]
            suggest_floor=float(params.get("suggest_floor", cls.suggest_floor)),  # type: ignore[arg-type]
        )


@dataclass
class Scored:
    index: int
    score: float
    coverage: float
    closeness: float
    containment: float = 0.0
    defining: float = 0.0
    known_coverage: float = 0.0
    text: int = -1  # the entry's nearest text


@dataclass
class Ranking:
    analysis: Analysis
    lang: str | None  # detected language, None when undecided
    scored: list[Scored] = field(default_factory=list)
    total_weight: float = 0.0
    unknown_weight: float = 0.0  # weight of words the knowledge base never uses
    part: float = 1.0  # share of the message's words this reading covers
    reading: str = ""  # the part of the message that was read

    def features(self) -> dict[str, float]:
        """The decision's features for the best candidate (all zero when there is none)."""
        if not self.scored:
            return dict.fromkeys(FEATURES, 0.0)
        best = self.scored[0]
        runner = self.scored[1] if len(self.scored) > 1 else None
        return {
            "margin": best.score - (runner.score if runner else 0.0),  # shown in --explain, not in the model
            "score": best.score,
            "containment": best.containment,
            "defining": best.defining,
            "known_coverage": best.known_coverage,
            "unknown": self.unknown_weight / self.total_weight if self.total_weight else 0.0,
            "length": math.log1p(len(self.analysis.terms)),
            "part": self.part,
        }


@dataclass(frozen=True)
class Weighted:
    weight: float
    accent: str | None  # accent key typed by the user
    factor: float  # how sure we are of the term itself (weak, repaired): scales containment


class Matcher:
    def __init__(self, index: Index, calibration: Calibration | None = None) -> None:
        self.index = index
        self.calibration = calibration or Calibration()

    # --- reading the question -------------------------------------------------------------
    def correct(self, word: str, prev: str | None, nxt: str | None) -> str | None:
        """A known word for an unknown one: within edit distance 1 (2 for long words),
        preferring one that forms a known bigram with a neighbour. A typed word that is a
        valid Vietnamese syllable is a real word: it is only replaced when a neighbour
        confirms the fix and the neighbour does not already make a word with it."""
        if len(word) < 3 or not word.isalpha() or not any(v in word for v in "aeiouy"):
            return None  # too short to guess, or an acronym ("thpt"): leave it unknown
        limit = 1 if len(word) <= 5 else 2
        found = process.extract(word, self.index.vocab_list, scorer=Levenshtein.distance, score_cutoff=limit, limit=12)
        if not found:
            return None
        df = self.index.df
        self.index.prefetch(
            f for cand, _d, _i in found for f in (f"{prev}_{cand}" if prev else "", f"{cand}_{nxt}" if nxt else "") if f
        )
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
        """The sentence's language, from the words only one language's texts use.

        Names (Mường Lư, Sâm Lai Châu, miến dong) appear in the English texts too, so they
        do not make an English sentence Vietnamese; English loan words the Vietnamese texts
        use (homestay, tour, online, VNeID) do not make a Vietnamese sentence English.
        Accents on a word that is not a name count for Vietnamese. Undecided → None."""
        votes = {"vi": 0.0, "en": 0.0}
        side = self.index.language_words
        for tok in tokens(text):
            if accent_key(tok) is not None:  # typed with accents
                if tok not in self.index.names:
                    votes["vi"] += 1.0
                continue
            lang = side.get(tok)
            if lang:
                votes[lang] += 1.0
            elif tok.isalpha() and len(tok) > 3 and not is_syllable(tok) and tok not in self.index.vocab:
                votes["en"] += 0.5  # an unknown word no Vietnamese syllable spells: "cycling", "tonight"
        if abs(votes["vi"] - votes["en"]) < 1.0:
            return None
        return "vi" if votes["vi"] > votes["en"] else "en"

    def correct_english(self, word: str, prev: str | None, nxt: str | None) -> str | None:
        """English typos: one edit in words of five letters or more; short words stay themselves
        ("weather" must not become "death")."""
        if len(word) < 5:
            return None
        fixed = self.correct(word, prev, nxt)
        return fixed if fixed and Levenshtein.distance(word, fixed) <= (1 if len(word) < 9 else 2) else None

    def weights(self, analysis: Analysis) -> tuple[dict[str, Weighted], float]:
        """Feature → weight, and the total weight of words the knowledge base never uses."""
        idf = self.index.idf
        out: dict[str, Weighted] = {}
        terms = analysis.terms
        # a maybe-stop-word that makes a known word with a neighbour is that word ("khai tu": khai tử)
        joined = [
            (i > 0 and f"{terms[i - 1].folded}_{t.folded}" in idf)
            or (i + 1 < len(terms) and f"{t.folded}_{terms[i + 1].folded}" in idf)
            for i, t in enumerate(terms)
        ]
        unit: list[float] = []
        factors: list[float] = []
        unknown = 0.0
        for t, bound in zip(terms, joined):
            known = t.folded in idf
            w = idf[t.folded] if known else self.index.unknown_idf * UNKNOWN
            factor = (WEAK if t.weak and not bound else 1.0) * (REPAIRED if t.repaired else 1.0)
            w *= factor * t.scale
            unit.append(w)
            factors.append(factor)
            if t.folded not in out or out[t.folded].weight < w:
                if not known:
                    unknown += w - (out[t.folded].weight if t.folded in out else 0.0)
                out[t.folded] = Weighted(w, t.accent, factor)
        for i, (a, b) in enumerate(zip(terms, terms[1:])):
            key = f"{a.folded}_{b.folded}"
            scale = min(a.scale, b.scale)
            if key in idf:
                w = idf[key] * BIGRAM * min(factors[i], factors[i + 1]) * scale
            else:
                w = UNKNOWN_BIGRAM * min(unit[i], unit[i + 1])
                unknown += w if key not in out else 0.0
            if key not in out or out[key].weight < w:
                out[key] = Weighted(w, a.accent or b.accent, min(factors[i], factors[i + 1]))
        return out, unknown

    # --- scoring ------------------------------------------------------------------------
    @staticmethod
    def readings(text: str) -> list[str]:
        """The whole message, then its clauses and pairs of neighbouring clauses, last first:
        people tell their situation first and ask at the end."""
        parts = [p.strip() for p in _CLAUSE_RE.split(text) if len(tokens(p)) >= 2]
        if len(parts) < 2:
            return [text]
        out = [text]
        for i in range(len(parts) - 1, -1, -1):
            out.append(parts[i])
            if i + 1 < len(parts):
                out.append(f"{parts[i]} {parts[i + 1]}")
        return out[:MAX_READINGS]

    @staticmethod
    def turn(text: str) -> str | None:
        """The part of the message from its last contrastive clause ("…, còn X thì sao?") on."""
        parts = [p.strip() for p in re.split(r"[,.;:!?\n()]+", text) if p.strip()]
        for i in range(len(parts) - 1, 0, -1):
            if _CONTRAST_RE.match(parts[i]) and len(tokens(parts[i])) >= 3:
                return " ".join(parts[i:])
        return None

    def read(self, text: str, limit: int = 5, whole_only: bool = False) -> Ranking:
        """Rank every reading of the message and keep the one the decision is surest of.

        A clause one entry explains well beats a whole message diluted by its context — but
        only when the whole message agrees: the clause's best entry must be among the whole
        message's best two, so a place named in passing ("ông tôi mất ở bản Chu Va 8…")
        cannot take over the question."""
        lang = self.detect_language(text)
        whole = max(len(tokens(text)), 1)
        whole_ranking = best = self.rank(text, limit, lang)
        best.reading = text
        if whole_only or not best.scored:
            return best
        best_conf = self.calibration.confidence(best.features())
        turned = self.turn(text)
        if turned is not None:  # the question after "còn …" is the subject, when it stands alone
            ranking = self.rank(turned, limit, lang)
            if ranking.scored and self.calibration.confidence(ranking.features()) >= self.calibration.threshold:
                ranking.reading = turned  # the whole question, not a part of it: the rest is set aside
                return self._backfill(ranking, whole_ranking, limit)
        agreeing = {s.index for s in best.scored[:2]}
        words = tokens(text)
        for reading in self.readings(text)[1:]:
            if tokens(reading) == words:  # two clauses joined again: the whole message, ranked already
                continue
            ranking = self.rank(reading, limit, lang, only=agreeing)
            if not ranking.scored:
                continue
            ranking.part = len(tokens(reading)) / whole
            ranking.reading = reading
            conf = self.calibration.confidence(ranking.features())
            if conf > best_conf:
                best, best_conf = ranking, conf
        return best if best is whole_ranking else self._backfill(best, whole_ranking, limit)

    @staticmethod
    def _backfill(reading: Ranking, whole: Ranking, limit: int) -> Ranking:
        """A reading's ranking, its other candidates those of the whole message as it ranked them."""
        chosen = {s.index for s in reading.scored}
        reading.scored += [s for s in whole.scored if s.index not in chosen][: limit - len(reading.scored)]
        return reading

    def rank(self, text: str, limit: int = 5, lang: str | None = None, only: set[int] | None = None) -> Ranking:
        """Score the entries (or only the ``only`` ones) against one text."""
        lang = lang or self.detect_language(text)
        corrector = self.correct if lang != "en" else self.correct_english
        analysis = self.index.lexicon.analyze(text, known=self.index.vocab, corrector=corrector, telex=lang != "en")
        ranking = Ranking(analysis, lang)
        terms = analysis.terms  # its words and pairs, as weights() reads them (generators: nothing is built
        # for a feature table in memory, where prefetch has nothing to do)
        pairs = (f"{a.folded}_{b.folded}" for a, b in zip(terms, terms[1:]))
        self.index.prefetch(chain((t.folded for t in terms), pairs))
        weights, unknown = self.weights(analysis)
        total = sum(w.weight for w in weights.values())
        ranking.total_weight = total
        ranking.unknown_weight = unknown
        if total <= 0:
            return ranking
        idf, fid = self.index.idf, self.index.fid
        partial: defaultdict[int, float] = defaultdict(float)
        postings = self.index.postings
        keep = max(limit * 6, 30)
        accumulator = self.index.accumulator() if only is None else None
        candidates: list[int] = []
        if accumulator is not None:  # a large base: sums over the postings in numpy
            candidates = accumulator.best(((f, fw.weight) for f, fw in weights.items()), keep)
        elif only is None:
            for f, fw in weights.items():
                w = fw.weight
                for i in postings.get(f, ()):
                    partial[i] += w
        elif len(only) <= 8:  # a few entries (a clause of the message): look them up, walk nothing
            few = [(i, self.index.candidate(i)) for i in sorted(only)]  # the order a walk would meet them in
            for f, fw in weights.items():
                x = fid.get(f)
                for i, item in few:
                    if x in item.primary or x in item.secondary:
                        partial[i] += fw.weight
        else:
            for f, fw in weights.items():
                for i in postings.get(f, ()):
                    if i in only:
                        partial[i] += fw.weight
        if partial:  # the best few by partial score, without sorting all the base may touch
            candidates = heapq.nlargest(keep, partial, key=partial.__getitem__)
        if not candidates:
            return ranking
        qnorm = math.sqrt(sum(w.weight * w.weight for w in weights.values()))
        known_total = total - unknown
        blend = dict(RANK_BLEND)
        typed = {t.folded: t.accent for t in analysis.terms if t.accent}
        numbered = [  # (word, the number after it): "chu va 8"
            (a.folded, b.folded)
            for a, b in zip(analysis.terms, analysis.terms[1:])
            if b.folded.isdigit() and not a.folded.isdigit()
        ]
        scored = []
        # the question's features some entry holds, with what the loop below reads of each
        # (and its idf, squared, and its weight times idf: what the texts' sums below add per hit)
        ids = []
        for f, fw in weights.items():
            x = fid.get(f)
            if x is not None:
                fi = idf[f]
                ids.append((f, fw, x, "_" in f, fi, fi * fi, fw.weight * fi))
        for i in candidates:
            item = self.index.candidate(i)
            primary, secondary = item.primary, item.secondary
            accents: Container[str] | None = None  # read when a matched feature was typed with accents
            matched = 0.0
            # each text's sums over the features it holds: the question's weight times idf, and the idf
            # (squared) times how fully the feature matches (accents, repairs)
            dots: defaultdict[int, float] = defaultdict(float)
            held: defaultdict[int, float] = defaultdict(float)
            held2: defaultdict[int, float] = defaultdict(float)
            found = item.found  # (the texts of each feature looked up before: no call)
            for f, fw, x, pair, fi, fi2, dot in ids:
                if x in primary:
                    m = 1.0
                elif x in secondary:
                    m = SECONDARY
                else:
                    continue
                if fw.accent is not None:
                    accents = item.accents if accents is None else accents
                    if not (self._accent_ok(f, fw.accent, accents, typed) if pair else fw.accent in accents):
                        m *= ACCENT_MISMATCH
                matched += fw.weight * m
                sure = m * fw.factor
                share, share2 = fi * sure, fi2 * sure
                texts = found.get(x)
                for t in item.texts_with(x) if texts is None else texts:
                    dots[t] += dot
                    held[t] += share
                    held2[t] += share2
            coverage = matched / total
            closeness = 0.0
            containment = 0.0
            defining = 0.0
            nearest = -1
            measured = item.measured  # (each text's norm and mass worked out before: no call)
            for t, dot in dots.items():
                nm = measured.get(t)
                norm, mass = item.norm_mass(t) if nm is None else nm
                cos = dot / (qnorm * norm)
                share = held[t] / mass
                if share + cos > containment + closeness:
                    containment, closeness, nearest = share, cos, t
                    defining = held2[t] / (norm * norm)
            if numbered and self._number_conflict(item.primary, numbered):
                containment *= NUMBER_CONFLICT
                defining *= NUMBER_CONFLICT
                coverage *= NUMBER_CONFLICT
            score = blend["coverage"] * coverage + blend["containment"] * containment + blend["closeness"] * closeness
            known_coverage = min(matched / known_total, 1.0) if known_total > 0 else 0.0
            scored.append(Scored(i, score, coverage, closeness, containment, defining, known_coverage, nearest))
        scored.sort(key=lambda s: s.score, reverse=True)
        ranking.scored = scored[:limit]
        return ranking

    def _number_conflict(self, primary: Container[int], numbered: list[tuple[str, str]]) -> bool:
        """The entry's own texts put another number after one of these words ("Chu Va 6", asked
        "chu va 8"); ``primary``: the entry's feature ids."""
        for word, number in numbered:
            mine = {n for n, x in self.index.numbers_after(word).items() if x in primary}
            if mine and number not in mine:
                return True
        return False

    @staticmethod
    def _accent_ok(feature: str, accent: str, entry_accents: Container[str], typed: Mapping[str, str | None]) -> bool:
        if "_" not in feature:
            return accent in entry_accents
        # a bigram: every accented part the user typed must be found in the entry
        parts = feature.split("_")
        return all(typed.get(p) is None or typed[p] in entry_accents for p in parts)
