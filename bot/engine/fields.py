"""Which part of an answer a question asks for: the fee, the time limit, the documents, where…

The words are data (knowledge/fields.yaml). A question is folded (no diacritics), chat
abbreviations are expanded with the lexicon ("bn" → "bao nhieu"), and every phrase is looked for
as whole words. Exactly one part asked → that part; none, or several ("giấy tờ gì và nộp ở
đâu") → None: the whole answer.
"""

from __future__ import annotations

import re

from bot.knowledge.schema import FieldWords
from bot.text.normalize import clean, fold, tokens


class FieldFinder:
    def __init__(self, words: FieldWords, abbreviations: dict[str, str] | None = None) -> None:
        self.abbreviations = {fold(k): fold(v) for k, v in (abbreviations or {}).items()}
        phrases: list[tuple[str, str]] = []
        for name, texts in words.items():
            for phrase in [*texts.vi, *texts.en]:
                folded = " ".join(tokens(fold(clean(phrase))))
                if folded:
                    phrases.append((folded, name))
        phrases.sort(key=lambda p: -len(p[0]))  # longest first: "nop o dau" before "o dau"
        self._patterns = [(re.compile(rf"(?<!\w){re.escape(p)}(?!\w)"), name) for p, name in phrases]
        self.fillers = {w for phrase in [*words.followup.vi, *words.followup.en] for w in tokens(fold(clean(phrase)))}
        self.corrections = {" ".join(tokens(fold(clean(p)))) for p in [*words.correction.vi, *words.correction.en]}

    def normalise(self, question: str) -> str:
        words = [fold(t) for t in tokens(clean(question))]
        return " ".join(self.abbreviations.get(w, w) for w in words)

    def _scan(self, question: str) -> tuple[set[str], list[str]]:
        """The parts named, and the words left once their phrases are taken out."""
        text = self.normalise(question)
        asked: set[str] = set()
        for pattern, name in self._patterns:
            if pattern.search(text):
                asked.add(name)
                text = pattern.sub(" ", text)  # a longer phrase takes its words
        return asked, text.split()

    def find(self, question: str) -> str | None:
        asked, _rest = self._scan(question)
        return asked.pop() if len(asked) == 1 else None

    def only(self, question: str) -> str | None:
        """The part asked when the message names a part and nothing else — no subject of its own
        ("còn lệ phí?", "mất mấy ngày", "what about the fee"): a follow-up."""
        asked, rest = self._scan(question)
        if len(asked) != 1 or any(w not in self.fillers for w in rest):
            return None
        return asked.pop()

    def correction(self, message: str) -> bool:
        """The whole message says the last answer was wrong ("không phải ạ", "that's not what I asked")."""
        words = [w for w in self.normalise(message).split() if w not in ("a", "ah", "oi", "nhe", "nhi", "no", "roi")]
        return " ".join(words) in self.corrections or self.normalise(message) in self.corrections
