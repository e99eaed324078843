"""The engine's one entry point: a question in, a decision out."""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import Enum

from bot.engine.fields import FieldFinder
from bot.engine.index import Index
from bot.engine.matcher import Calibration, Matcher, Scored
from bot.knowledge.loader import KnowledgeBase
from bot.knowledge.schema import PROCEDURES, Entry
from bot.text.normalize import clean, fold, has_latin, tokens

MAX_SUGGESTIONS = 3


class Status(str, Enum):
    ANSWER = "answer"  # confident: answer with entry_id
    SUGGEST = "suggest"  # not sure: offer suggestions
    NONE = "none"  # nothing close enough
    EMPTY = "empty"  # nothing to read (empty, punctuation, emoji only)
    UNSUPPORTED = "unsupported"  # letters of another script (Chinese, Thai…)
    CLARIFY = "clarify"  # a follow-up ("còn lệ phí?") with nothing before it: which procedure?
    CORRECTION = "correction"  # "không phải": sorry, and the next best entries for the question before


@dataclass
class Result:
    question: str
    status: Status
    lang: str
    entry_id: str | None = None
    confidence: float = 0.0
    suggestions: list[str] = field(default_factory=list)
    score: float = 0.0
    ranked: list[str] = field(default_factory=list)  # best candidates whatever the threshold
    features: dict[str, float] = field(default_factory=dict)  # what the decision saw (see matcher.FEATURES)
    contributions: dict[str, float] = field(default_factory=dict)  # each feature's share of the decision
    field: str | None = None  # the one part of the answer asked for (fee, where…), None for all of it

    def to_dict(self) -> dict[str, object]:
        return {
            "question": self.question,
            "id": self.entry_id,
            "score": round(self.confidence, 4),
            "status": self.status.value,
            "suggestions": self.suggestions,
            "lang": self.lang,
            "field": self.field,
        }

    def explain(self, threshold: float) -> dict[str, object]:
        """Why the engine answered or not: the features, their contributions and the threshold."""
        return {
            "ranked": self.ranked[:MAX_SUGGESTIONS],
            "features": {k: round(v, 4) for k, v in self.features.items()},
            "contributions": {k: round(v, 3) for k, v in self.contributions.items()},
            "confidence": round(self.confidence, 4),
            "threshold": threshold,
            "decision": self.status.value,
        }


class Engine:
    def __init__(self, kb: KnowledgeBase, calibration: Calibration | None = None, index: Index | None = None) -> None:
        self.kb = kb
        self.index = index or Index(kb)  # given: opened from the store's snapshot (bot.engine.snapshot)
        self.matcher = Matcher(self.index, calibration)
        self.fields = FieldFinder(kb.fields, kb.lexicon.abbreviations)
        self._vocabulary: dict[str, set[str]] = {}

    @property
    def calibration(self) -> Calibration:
        return self.matcher.calibration

    def entry(self, ident: str) -> Entry | None:
        return self.index.entry(ident)

    def ask(
        self, question: str, lang: str | None = None, context: str | None = None, offered: list[str] | None = None
    ) -> Result:
        """Answer, suggest, or admit not knowing. ``lang`` is the user's stored preference,
        used when the question itself does not tell. ``context``: the entry just answered, which a
        follow-up ("còn lệ phí?") is about; ``offered``: the suggestions just shown, offered again
        when a follow-up comes before the person chose one."""
        fallback = lang if lang in ("vi", "en") else "vi"
        cleaned = clean(question)
        words = [fold(t) for t in tokens(cleaned)]
        if not words:
            return Result(question, Status.EMPTY, fallback)
        if not has_latin(words):
            return Result(question, Status.UNSUPPORTED, fallback)
        ranking = self.matcher.read(cleaned)
        reply_lang = ranking.lang or fallback
        ids = [self.index.entry_at(s.index).id for s in ranking.scored]
        near = [self.index.entry_at(s.index).id for s in ranking.scored if self._plausible(s)][:MAX_SUGGESTIONS]
        asked, rest = self.fields.rest(cleaned)
        previous = self.entry(context) if context else None
        if asked is not None and not rest:
            # a part and no subject: about the entry just answered, or "which procedure?"
            if previous is None and offered and len(offered) == 1 and self.entry(offered[0]) is not None:
                # one suggestion was shown and the person goes on asking: they took it ("hết bao nhiêu
                # tiền?" after "did you mean the ID card?"); the reply names the entry it is about
                previous = self.entry(offered[0])
            if previous is None:
                choices = offered or near or [e.id for e in self.kb.entries if e.category == "service"]
                return Result(question, Status.CLARIFY, reply_lang, suggestions=choices[:MAX_SUGGESTIONS])
            return self._follow_up(question, asked, previous, reply_lang)
        if not ranking.scored:
            return Result(question, Status.NONE, reply_lang)
        best = ranking.scored[0]
        cal = self.calibration
        features = ranking.features()
        confidence = cal.confidence(features)
        contributions = cal.contributions(features)
        if confidence >= cal.threshold:  # a subject the engine is sure of: that entry, whatever came before
            others = [i for i in near if i != ids[0]][: MAX_SUGGESTIONS - 1]
            result = Result(
                question,
                Status.ANSWER,
                reply_lang,
                ids[0],
                confidence,
                others,
                best.score,
                ids,
                features,
                contributions,
            )
            result.field = self.field_of(question, ids[0])
            return result
        if asked is not None and previous is not None and self._about(previous, rest):
            # a part, and only words of the entry just answered ("bao giờ thì có thẻ?" after the ID card)
            return self._follow_up(question, asked, previous, reply_lang)
        status = Status.SUGGEST if near else Status.NONE
        return Result(question, status, reply_lang, None, confidence, near, best.score, ids, features, contributions)

    def _follow_up(self, question: str, asked: str, entry: Entry, lang: str) -> Result:
        """``asked`` of ``entry``: for a procedure, that part (said to be unknown when it is not in the
        entry); for anything else, the whole answer, which is what there is to say about it."""
        field = asked if entry.category in PROCEDURES else None
        result = Result(question, Status.ANSWER, lang, entry.id, 1.0, ranked=[entry.id])
        result.field = field
        return result

    def _about(self, entry: Entry, words: list[str]) -> bool:
        """Every word is one of ``entry``'s own (title, keywords, questions): the message names no
        other subject ("bao giờ thì có thẻ?" after the ID-card answer)."""
        vocabulary = self._vocabulary.get(entry.id)
        if vocabulary is None:
            texts = [*entry.texts("vi"), *entry.texts("en"), *entry.keywords]
            vocabulary = self._vocabulary[entry.id] = {fold(t) for text in texts for t in tokens(clean(text))}
        return all(w in vocabulary for w in words)

    def correct(self, previous_question: str, shown: list[str], lang: str | None = None) -> Result:
        """What was shown for ``previous_question`` (the answer, or the suggestions) was not what the
        person meant: the next best entries for it, never one already shown."""
        before = self.ask(previous_question, lang)
        offered = [i for i in [before.entry_id, *before.suggestions] if i and i not in shown]
        if not offered:
            offered = [i for i in before.ranked[: MAX_SUGGESTIONS + len(shown)] if i not in shown]
        return Result(previous_question, Status.CORRECTION, before.lang, suggestions=offered[:MAX_SUGGESTIONS])

    def field_of(self, question: str, entry_id: str) -> str | None:
        """The part of ``entry_id``'s answer the question asks for. Parts are those of public
        services (with their office's details); for other entries the answer is the whole. A part
        the entry does not hold is still the part asked: the reply says it is not known."""
        entry = self.entry(entry_id)
        if entry is None or entry.category not in PROCEDURES:
            return None
        # a procedure without structured facts still gets the part asked: the reply says it is not known
        return self.fields.find(question, f"{entry.title.vi}\n{entry.title.en}")

    def search(self, query: str, limit: int = 10) -> list[Entry]:
        """Entries for a browse-style search (inline mode): best first, no threshold but the floor."""
        ranking = self.matcher.rank(clean(query), limit=limit)
        floor = self.calibration.suggest_floor
        return [self.index.entry_at(s.index) for s in ranking.scored if self._plausible(s, floor)]

    def _plausible(self, s: Scored, floor: float | None = None) -> bool:
        """Worth offering as a suggestion: the question holds a good part of one of the entry's
        texts, the entry explains most of the question, or their blend (the ranking score) reaches
        the floor — a long question spreads its weight, so no single view may reach it alone."""
        floor = self.calibration.suggest_floor if floor is None else floor
        return s.containment >= floor or s.coverage >= 2 * floor or s.score >= floor
