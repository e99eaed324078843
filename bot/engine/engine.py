"""The engine's one entry point: a question in, a decision out."""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import Enum

from bot.engine.fields import FieldFinder
from bot.engine.index import Index
from bot.engine.matcher import Calibration, Matcher, Scored
from bot.knowledge.loader import KnowledgeBase
from bot.knowledge.schema import Entry
from bot.text.normalize import clean, fold, has_latin, tokens

MAX_SUGGESTIONS = 3


#: parts a public-service entry holds as data; the others (hours, phone, address) are the office's
SERVICE_PARTS = ("fee", "time_limit", "documents", "where", "online", "legal_basis")


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
    def __init__(self, kb: KnowledgeBase, calibration: Calibration | None = None) -> None:
        self.kb = kb
        self.index = Index(kb)
        self.matcher = Matcher(self.index, calibration)
        self.fields = FieldFinder(kb.fields, kb.lexicon.abbreviations)

    @property
    def calibration(self) -> Calibration:
        return self.matcher.calibration

    def entry(self, ident: str) -> Entry | None:
        return self.index.entry(ident)

    def ask(self, question: str, lang: str | None = None, context: str | None = None) -> Result:
        """Answer, suggest, or admit not knowing. ``lang`` is the user's stored preference,
        used when the question itself does not tell."""
        fallback = lang if lang in ("vi", "en") else "vi"
        cleaned = clean(question)
        words = [fold(t) for t in tokens(cleaned)]
        if not words:
            return Result(question, Status.EMPTY, fallback)
        if not has_latin(words):
            return Result(question, Status.UNSUPPORTED, fallback)
        ranking = self.matcher.read(cleaned)
        reply_lang = ranking.lang or fallback
        followup = self.fields.only(cleaned)
        if followup is not None:  # a part and no subject: about the entry just answered, if any
            return self._follow_up(question, followup, context, reply_lang)
        if not ranking.scored:
            return Result(question, Status.NONE, reply_lang)
        best = ranking.scored[0]
        cal = self.calibration
        features = ranking.features()
        confidence = cal.confidence(features)
        ids = [self.index.items[s.index].entry.id for s in ranking.scored]
        near = [self.index.items[s.index].entry.id for s in ranking.scored if self._plausible(s)][:MAX_SUGGESTIONS]
        contributions = cal.contributions(features)
        if confidence >= cal.threshold:
            rest = [i for i in near if i != ids[0]][: MAX_SUGGESTIONS - 1]
            asked = self.field_of(question, ids[0])
            result = Result(
                question, Status.ANSWER, reply_lang, ids[0], confidence, rest, best.score, ids, features, contributions
            )
            result.field = asked
            return result
        status = Status.SUGGEST if near else Status.NONE
        return Result(question, status, reply_lang, None, confidence, near, best.score, ids, features, contributions)

    def _follow_up(self, question: str, asked: str, context: str | None, lang: str) -> Result:
        entry = self.entry(context) if context else None
        if entry is None:
            services = [e.id for e in self.kb.entries if e.category == "service"][:MAX_SUGGESTIONS]
            return Result(question, Status.CLARIFY, lang, suggestions=services)
        field: str | None = asked
        if (
            entry.category != "service"
            or entry.service is None
            or (asked in SERVICE_PARTS and not getattr(entry.service, asked))
        ):
            field = None
        result = Result(question, Status.ANSWER, lang, entry.id, 1.0, ranked=[entry.id])
        result.field = field
        return result

    def correct(self, previous_question: str, wrong_entry: str, lang: str | None = None) -> Result:
        """The answer to ``previous_question`` was ``wrong_entry`` and the person says it was wrong:
        the next best entries for it."""
        before = self.ask(previous_question, lang)
        offered = [i for i in [before.entry_id, *before.suggestions] if i and i != wrong_entry]
        if not offered:
            offered = [i for i in before.ranked[: MAX_SUGGESTIONS + 1] if i != wrong_entry]
        return Result(previous_question, Status.CORRECTION, before.lang, suggestions=offered[:MAX_SUGGESTIONS])

    def field_of(self, question: str, entry_id: str) -> str | None:
        """The part of ``entry_id``'s answer the question asks for. Parts are those of public
        services (with their office's details); for other entries the answer is the whole."""
        entry = self.entry(entry_id)
        if entry is None or entry.category != "service" or entry.service is None:
            return None
        asked = self.fields.find(question)
        if asked in SERVICE_PARTS and not getattr(entry.service, asked):
            return None  # the entry has no such part apart from its text: the whole answer says what it knows
        return asked

    def search(self, query: str, limit: int = 10) -> list[Entry]:
        """Entries for a browse-style search (inline mode): best first, no threshold but the floor."""
        ranking = self.matcher.rank(clean(query), limit=limit)
        floor = self.calibration.suggest_floor
        return [self.index.items[s.index].entry for s in ranking.scored if self._plausible(s, floor)]

    def _plausible(self, s: Scored, floor: float | None = None) -> bool:
        """Worth offering as a suggestion: the question holds a good part of one of the entry's
        texts, or the entry explains most of the question."""
        floor = self.calibration.suggest_floor if floor is None else floor
        return s.containment >= floor or s.coverage >= 2 * floor
