"""Which part of an answer a question asks for: the fee, the time limit, the documents, where…

The words are data (knowledge/fields.yaml). Chat abbreviations are expanded with the lexicon
("bn" → "bao nhieu"), and every phrase is looked for as whole words. A word typed with accents
must match the phrase's accents ("ở đầu bản" is not "ở đâu"); a word typed without accents
matches the phrase folded ("o dau" = "ở đâu"). Exactly one part asked → that part; none, or
several ("giấy tờ gì và nộp ở đâu") → None: the whole answer.
"""

from __future__ import annotations

from bot.knowledge.schema import FieldWords
from bot.text.normalize import accent_key, clean, fold, tokens

Word = tuple[str, str | None]  # (folded, accent key or None when typed without accents)


def _words(text: str) -> list[Word]:
    return [(fold(t), accent_key(t)) for t in tokens(clean(text))]


DESCRIBING = ""  # the name of the phrases that describe a subject (knowledge/fields.yaml: describing)
_KEPT = "\x00"  # marks a word a describing phrase took: still a word of the message, no phrase's any more
PLAIN = ""  # the accent key of a word typed without accents in a sentence typed with them


def _same(typed: Word, phrase: Word) -> bool:
    """A typed word matches a phrase word: the same letters, and the same accents unless none
    were typed. In a sentence typed with accents, a word without them is meant so ("gia đình"
    is not "giá")."""
    if typed[0] != phrase[0]:
        return False
    if typed[1] == PLAIN:
        return phrase[1] is None
    return typed[1] is None or phrase[1] is None or typed[1] == phrase[1]


class FieldFinder:
    def __init__(self, words: FieldWords, abbreviations: dict[str, str] | None = None) -> None:
        self.abbreviations = {fold(k): fold(v) for k, v in (abbreviations or {}).items()}
        phrases: list[tuple[list[Word], str]] = []
        for name, texts in words.items():
            phrases += [(w, name) for p in [*texts.vi, *texts.en] if (w := _words(p))]
        # words that describe the subject though they hold a part's word ("học nghề miễn phí"): taken
        # before the shorter part phrase inside them ("phí"), after the longer questions ("có miễn phí")
        phrases += [(w, DESCRIBING) for p in [*words.describing.vi, *words.describing.en] if (w := _words(p))]
        phrases.sort(key=lambda p: -len(p[0]))  # longest first: "nộp ở đâu" before "ở đâu"
        self._phrases = [(words_, name, frozenset(w[0] for w in words_)) for words_, name in phrases]
        self.fillers = {w[0] for p in [*words.followup.vi, *words.followup.en] for w in _words(p)}
        self._corrections = sorted(
            (w for p in [*words.correction.vi, *words.correction.en] if (w := _words(p))), key=lambda w: -len(w)
        )

    def normalise(self, question: str) -> list[Word]:
        """The words of ``question``, chat abbreviations expanded (their expansion matches either way)."""
        words = _words(question)
        accented = any(key is not None for _, key in words)
        out: list[Word] = []
        for folded, key in words:
            expanded = self.abbreviations.get(folded) if key is None else None
            if expanded:
                out += [(w, None) for w in expanded.split()]
            else:
                out.append((folded, PLAIN if accented and key is None else key))
        return out

    @staticmethod
    def _take(text: list[Word | None], phrase: list[Word], keep: bool = False) -> bool:
        """Blank out every occurrence of ``phrase`` in ``text`` (``keep``: leave its words, marked so
        that no other phrase matches them); True if there was one."""
        found = False
        n = len(phrase)
        first = phrase[0][0]
        for i in range(len(text) - n + 1):
            w = text[i]
            if w is None or w[0] != first:  # cheap test first: most positions start no phrase
                continue
            window = text[i : i + n]
            if all(w is not None and _same(w, p) for w, p in zip(window, phrase, strict=True)):
                text[i : i + n] = [(w[0] + _KEPT, None) for w in window if w is not None] if keep else [None] * n
                found = True
        return found

    def scan(self, question: str, title: str = "") -> tuple[set[str], list[str]]:
        """The parts named, and the (folded) words left once their phrases are taken out. A phrase
        that is part of ``title`` names the subject, not a part ("hỗ trợ chi phí mai táng")."""
        text: list[Word | None] = list(self.normalise(question))
        present = {w[0] for w in text if w is not None}
        own: list[Word | None] = list(_words(title))
        asked = set()
        for phrase, name, needed in self._phrases:  # longest first; only phrases whose words all occur
            if not needed <= present:
                continue
            if name == DESCRIBING:
                self._take(text, phrase, keep=True)
            elif self._take(text, phrase) and not (own and self._take(own[:], phrase)):
                asked.add(name)
        return asked, [w[0].rstrip(_KEPT) for w in text if w is not None]

    @staticmethod
    def _one(asked: set[str]) -> str | None:
        if asked == {"where", "address"}:  # "địa chỉ cụ thể ở đâu": the address is the precise part
            return "address"
        return next(iter(asked)) if len(asked) == 1 else None

    def find(self, question: str, title: str = "") -> str | None:
        """The one part ``question`` asks for, or None (none, or several: the whole answer)."""
        return self._one(self.scan(question, title)[0])

    def rest(self, question: str) -> tuple[str | None, list[str]]:
        """The one part asked (or None), and the words that are neither its phrase nor fillers."""
        asked, rest = self.scan(question)
        return self._one(asked), [w for w in rest if w not in self.fillers]

    def only(self, question: str) -> str | None:
        """The part asked when the message names a part and nothing else — no subject of its own
        ("còn lệ phí?", "mất mấy ngày", "what about the fee"): a follow-up."""
        asked, rest = self.rest(question)
        return asked if asked is not None and not rest else None

    def correction(self, message: str) -> bool:
        """The message says the last answer was wrong ("không phải ạ", "sai rồi bạn ơi", "that's not
        what I asked") and says nothing else: a correction phrase, and only fillers around it."""
        text: list[Word | None] = list(self.normalise(message))
        if not any([self._take(text, phrase) for phrase in self._corrections]):  # every phrase taken out
            return False
        return all(w[0] in self.fillers for w in text if w is not None)
