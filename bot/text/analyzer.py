"""From raw text to matching features: abbreviations, Telex, typos, synonyms, stop words.

The same pipeline reads the knowledge base's own texts (without the repairs that need
a vocabulary) and the user's questions, so both sides meet in the same terms.
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Iterable
from dataclasses import dataclass, field
from functools import lru_cache

from bot.text.normalize import accent_key, clean, fold, has_diacritics, tokens
from bot.text.syllable import decode_telex, is_syllable, spelling_variant, stem

#: Picks a replacement for an unknown token: (token, previous, next) → known token or None.
Corrector = Callable[[str, str | None, str | None], str | None]


@dataclass(frozen=True)
class Term:
    """One token as the matcher sees it."""

    folded: str
    accent: str | None = None  # accent key when the user typed diacritics on it
    repaired: bool = False  # came from a Telex decode or a typo correction
    weak: bool = False  # typed without accents and maybe a stop word ("ban": bạn or bản?)
    scale: float = 1.0  # a share of one typed word: an abbreviation or phrase that expanded into several


@dataclass
class Analysis:
    text: str  # cleaned text
    raw_folded: list[str]  # folded tokens as typed, before any rewriting
    terms: list[Term]  # after abbreviations, repairs, synonyms and stop words
    accented: bool  # the user typed diacritics
    unknown: list[str] = field(default_factory=list)  # tokens the vocabulary does not know


@lru_cache(maxsize=65536)
def fold_token(raw: str) -> str:
    return stem(spelling_variant(fold(raw)))


class Lexicon:
    """Abbreviations, synonym groups and stop words, as curated in knowledge/lexicon.yaml."""

    def __init__(
        self,
        abbreviations: dict[str, str] | None = None,
        synonyms: Iterable[list[str]] = (),
        stopwords: Iterable[str] = (),
        english_stopwords: Iterable[str] = (),
    ) -> None:
        self.abbreviations: dict[str, list[Term]] = {}
        for abbr, expansion in (abbreviations or {}).items():
            self.abbreviations[fold(clean(str(abbr)))] = self._plain_terms(str(expansion))
        self.phrases: dict[tuple[str, ...], list[Term]] = {}
        for group in synonyms:
            canonical = self._plain_terms(group[0])
            for phrase in group:
                folded = tuple(t.folded for t in self._plain_terms(phrase))
                if folded:
                    self.phrases.setdefault(folded, canonical)
        self.stop: set[tuple[str, ...]] = set()  # folded stop phrases
        self.stop_accents: dict[str, set[str | None]] = {}  # folded stop word → its accent keys
        for word in stopwords:
            toks = tokens(clean(str(word)))
            stop = tuple(fold_token(t) for t in toks)
            if len(stop) == 1:
                self.stop_accents.setdefault(stop[0], set()).add(accent_key(toks[0]))
            elif stop:
                self.stop.add(stop)
        self.ambiguous: set[str] = set()
        #: the English ones: in an English sentence only these go; a Vietnamese stop word there is
        #: likely part of a name ("Chu Va": chú / và)
        self.english_stop = {fold_token(t) for word in english_stopwords for t in tokens(clean(str(word)))}
        self.max_phrase = max((len(k) for k in [*self.phrases, *self.stop]), default=1)
        #: the first words of the synonym and stop phrases: a phrase is looked for only where one starts
        self._phrase_heads = {k[0] for k in self.phrases}
        self._stop_heads = {k[0] for k in self.stop}

    def learn_content_words(self, accent_keys: dict[str, set[str | None]]) -> None:
        """Tell the lexicon which accented forms the knowledge base uses.

        A stop word typed without accents whose folded form is also a content word of
        the knowledge base ("ban": bạn / bản, "cho": cho / chợ) is then kept as a weak
        term instead of being dropped.
        """
        self.ambiguous = {word for word, stops in self.stop_accents.items() if accent_keys.get(word, set()) - stops}

    @staticmethod
    def _plain_terms(text: str) -> list[Term]:
        return [Term(fold_token(t)) for t in tokens(clean(text))]

    def words(self) -> set[str]:
        """Every folded token the lexicon itself knows."""
        out = {t.folded for terms in self.abbreviations.values() for t in terms}
        out.update(w for key in self.phrases for w in key)
        out.update(t.folded for terms in self.phrases.values() for t in terms)
        return out

    def analyze(
        self,
        text: str,
        known: Collection[str] | None = None,
        corrector: Corrector | None = None,
        telex: bool = True,
    ) -> Analysis:
        """Turn text into terms. ``known`` and ``corrector`` enable typo repair, and ``telex``
        the decoding of Telex leftovers (off for English)."""
        cleaned = clean(text)
        raw = tokens(cleaned)
        accented = has_diacritics(cleaned)
        raw_folded = [fold(t) for t in raw]
        terms: list[Term] = []
        for tok in raw:
            plain = spelling_variant(fold(tok))
            if plain in self.abbreviations:
                terms.extend(_scaled(self.abbreviations[plain], 1))
                continue
            terms.append(Term(fold_token(tok), accent_key(tok)))
        unknown: list[str] = []
        if known is not None:
            terms, unknown = self._repair(terms, known, corrector, telex)
        terms = self._rewrite(terms, english=not telex)
        return Analysis(cleaned, raw_folded, terms, accented, unknown)

    def _repair(
        self, terms: list[Term], known: Collection[str], corrector: Corrector | None, telex: bool
    ) -> tuple[list[Term], list[str]]:
        out: list[Term] = []
        unknown: list[str] = []
        for i, term in enumerate(terms):
            word = term.folded
            if word in known or word.isdigit() or word in self.stop_accents:
                out.append(term)
                continue
            if term.accent is not None and is_syllable(word):
                # a real word typed with its accents: the knowledge base does not use it, which
                # is a fact about the question ("hộ chiếu"), not a typo to repair into another word
                unknown.append(word)
                out.append(term)
                continue
            decoded = decode_telex(word) if telex else None
            if decoded and decoded in known:
                out.append(Term(decoded, None, True))
                continue
            if decoded and decoded in self.abbreviations:
                out.extend(_scaled(self.abbreviations[decoded], 1))
                continue
            prev = out[-1].folded if out else None
            nxt = terms[i + 1].folded if i + 1 < len(terms) else None
            fixed = corrector(decoded or word, prev, nxt) if corrector else None
            if fixed:
                out.append(Term(fixed, None, True))
            else:
                unknown.append(word)
                out.append(term)
        return out, unknown

    def _rewrite(self, terms: list[Term], english: bool = False) -> list[Term]:
        """Synonym phrases to their canonical form, then stop words out; longest match first.
        In an English question every English stop word goes, ambiguous or not."""
        out: list[Term] = []
        i = 0
        words = [t.folded for t in terms]
        heads, stop_heads = self._phrase_heads, self._stop_heads
        while i < len(terms):
            for n in range(min(self.max_phrase, len(terms) - i) if words[i] in heads else 0, 0, -1):
                key = tuple(words[i : i + n])
                if key in self.phrases:
                    typed = min(t.scale for t in terms[i : i + n]) * n
                    out.extend(_scaled(self.phrases[key], typed))
                    i += n
                    break
            else:
                out.append(terms[i])
                i += 1
        result: list[Term] = []
        words = [t.folded for t in out]
        i = 0
        while i < len(out):
            for n in range(min(self.max_phrase, len(out) - i) if words[i] in stop_heads else 0, 1, -1):
                if tuple(words[i : i + n]) in self.stop:
                    i += n
                    break
            else:
                term = out[i]
                i += 1
                stops = self.stop_accents.get(term.folded)
                if stops is None:
                    result.append(term)
                elif term.accent is not None:
                    if term.accent not in stops:
                        result.append(term)
                elif term.folded in self.ambiguous and not (english and term.folded in self.english_stop):
                    result.append(Term(term.folded, None, term.repaired, True, term.scale))
        return result


def _scaled(terms: list[Term], typed: float) -> list[Term]:
    """An expansion of ``typed`` typed words into ``terms`` weighs no more than they did:
    "sổ đỏ" read as "giấy chứng nhận quyền sử dụng đất" must not outweigh the rest of the question."""
    if len(terms) <= typed:
        return terms
    share = typed / len(terms)
    return [Term(t.folded, t.accent, t.repaired, t.weak, t.scale * share) for t in terms]
