"""The in-memory index the matcher scores against, built from the knowledge base."""

from __future__ import annotations

import math
import re
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field

from bot.knowledge.loader import KnowledgeBase
from bot.knowledge.schema import Entry
from bot.text.analyzer import Analysis, Lexicon
from bot.text.normalize import accent_key, clean, fold, tokens

SECONDARY = 0.6  # a feature found only in an entry's answer counts this much

_GLOSS_RE = re.compile(r"\(([^()]*)\)")


def features(analysis: Analysis) -> set[str]:
    """Unigrams and bigrams of an analysed text."""
    words = [t.folded for t in analysis.terms]
    out = set(words)
    out.update(f"{a}_{b}" for a, b in zip(words, words[1:]))
    return out


@dataclass
class IndexedEntry:
    entry: Entry
    primary: set[str] = field(default_factory=set)  # title, questions, keywords
    secondary: set[str] = field(default_factory=set)  # answer and service details
    accents: set[str] = field(default_factory=set)  # accent keys of every token it contains
    texts: list[tuple[frozenset[str], float, float]] = field(default_factory=list)  # features, L2 norm, idf mass
    text_postings: dict[str, list[int]] = field(default_factory=dict)  # feature → texts holding it
    numbers: dict[str, set[str]] = field(default_factory=dict)  # word → numbers after it ("va" → {"6"})


def make_lexicon(kb: KnowledgeBase) -> Lexicon:
    lx = kb.lexicon
    return Lexicon(lx.abbreviations, lx.synonyms, [*lx.stopwords.vi, *lx.stopwords.en], lx.stopwords.en)


def _primary_texts(entry: Entry, learned: dict[str, list[str]]) -> list[tuple[str, str]]:
    out = [(lang, t) for lang in ("vi", "en") for t in entry.texts(lang)]
    out += [(lang, q) for lang, qs in learned.items() for q in qs]
    out += [("", k) for k in entry.keywords]
    return out


def _secondary_texts(entry: Entry) -> list[tuple[str, str]]:
    out = [("vi", entry.answer.vi), ("en", entry.answer.en)]
    if entry.service:
        s = entry.service
        if s.documents:
            out += [("vi", d) for d in s.documents.vi] + [("en", d) for d in s.documents.en]
        if s.where:
            out += [("vi", s.where.vi), ("en", s.where.en)]
    return out


@dataclass
class EntryScan:
    """What one entry adds to the knowledge base's vocabulary: cheap, read before any analysis."""

    accents: dict[str, set[str | None]] = field(default_factory=dict)  # folded word → accent keys seen
    words: dict[str, set[str]] = field(default_factory=lambda: {"vi": set(), "en": set()})
    names: set[str] = field(default_factory=set)  # accented words of its English texts


@dataclass
class EntryAnalysis:
    """One entry's analysed features: the expensive part of an index, kept per entry so that an
    edit re-analyses only the entries that changed (see :mod:`bot.engine.snapshot`)."""

    primary: list[str]  # title, questions, keywords
    secondary: list[str]  # answer and service details, less the primary ones
    texts: list[list[str]]  # the features of each primary text, in order
    accents: list[str]  # accent keys of every token it contains


def scan(entry: Entry, learned: dict[str, list[str]]) -> EntryScan:
    out = EntryScan()
    for lang, text in [*_primary_texts(entry, learned), *_secondary_texts(entry)]:
        # a Vietnamese gloss in brackets in an English text, "(khai báo tạm trú)", names a thing:
        # its words are names, not English vocabulary
        glosses = " ".join(_GLOSS_RE.findall(text)) if lang == "en" else ""
        for gloss, part in ((False, _GLOSS_RE.sub(" ", text) if glosses else text), (True, glosses)):
            for tok in tokens(clean(part)):
                word = fold(tok)
                out.accents.setdefault(word, set()).add(accent_key(tok))
                if lang == "en" and word != tok:
                    out.names.add(tok)
                if lang and not (gloss and word != tok):
                    out.words[lang].add(word)
    return out


def analyse(entry: Entry, learned: dict[str, list[str]], lexicon: Lexicon, seen: EntryScan) -> EntryAnalysis:
    """The entry's features under ``lexicon`` (which must have learnt the knowledge base's words);
    ``seen``: the entry's scan, whose accent keys it keeps."""
    primary: set[str] = set()
    texts: list[list[str]] = []
    prim, sec = _primary_texts(entry, learned), _secondary_texts(entry)
    for _lang, text in prim:
        feats = features(lexicon.analyze(text))
        primary |= feats
        if feats:
            texts.append(sorted(feats))
    secondary: set[str] = set()
    for _lang, text in sec:
        secondary |= features(lexicon.analyze(text))
    accents = {a for keys in seen.accents.values() for a in keys if a}
    return EntryAnalysis(sorted(primary), sorted(secondary - primary), texts, sorted(accents))


def learn(kb: KnowledgeBase, scans: list[EntryScan]) -> Lexicon:
    """The lexicon, taught which words the knowledge base uses (this decides how analysis treats
    an unaccented stop word that is also a content word: "ban" is bạn or bản)."""
    lexicon = make_lexicon(kb)
    accents_by_word: dict[str, set[str | None]] = {}
    for sc in scans:
        for word, keys in sc.accents.items():
            accents_by_word.setdefault(word, set()).update(keys)
    lexicon.learn_content_words(accents_by_word)
    return lexicon


class Index:
    def __init__(
        self,
        kb: KnowledgeBase,
        scans: list[EntryScan] | None = None,
        analyses: list[EntryAnalysis] | None = None,
        lexicon: Lexicon | None = None,
    ) -> None:
        """The index of ``kb``; ``scans``, ``analyses`` and the taught ``lexicon`` are computed here
        unless given (from a snapshot), one per entry in order."""
        self.entries_by_id = kb.by_id()
        self.commune = kb.commune
        if scans is None:
            scans = [scan(e, kb.learned.get(e.id, {})) for e in kb.entries]
        self.lexicon = lexicon or learn(kb, scans)
        if analyses is None:
            analyses = [analyse(e, kb.learned.get(e.id, {}), self.lexicon, sc) for e, sc in zip(kb.entries, scans)]

        words: dict[str, set[str]] = {"vi": set(), "en": set()}  # folded raw words of each language's texts
        self.names: set[str] = set()  # accented words the English texts use too: names (Mường Lư, Sâm Lai Châu)
        for sc in scans:
            words["vi"] |= sc.words["vi"]
            words["en"] |= sc.words["en"]
            self.names |= sc.names
        for lang in ("vi", "en"):
            for stop in kb.lexicon.stopwords.vi if lang == "vi" else kb.lexicon.stopwords.en:
                words[lang].update(fold(t) for t in tokens(clean(stop)))
        #: words that tell one language from the other: those only one side's texts use
        self.language_words: dict[str, str] = {w: "vi" for w in words["vi"] - words["en"]}
        self.language_words.update({w: "en" for w in words["en"] - words["vi"]})

        self.items: list[IndexedEntry] = []
        df: Counter[str] = Counter()
        for entry, an in zip(kb.entries, analyses, strict=True):
            item = IndexedEntry(entry, set(an.primary), set(an.secondary), set(an.accents))
            item.texts = [(frozenset(t), 0.0, 0.0) for t in an.texts]
            for f in an.primary:
                word, _, number = f.partition("_")
                if number.isdigit() and not word.isdigit():  # a name's number ("chu va 6"), not "6 tuổi"
                    item.numbers.setdefault(word, set()).add(number)
            df.update(an.primary)
            df.update(an.secondary)
            self.items.append(item)

        n = max(len(self.items), 1)
        self.idf: dict[str, float] = {f: math.log(1 + n / c) for f, c in df.items()}
        self.unknown_idf = math.log(1 + n)
        for item in self.items:
            item.texts = [
                (f, math.sqrt(math.fsum(self.idf[x] ** 2 for x in f)), math.fsum(self.idf[x] for x in f))
                for f, _, _ in item.texts
            ]
            for t, (text_feats, _norm, _mass) in enumerate(item.texts):
                for f in text_feats:
                    item.text_postings.setdefault(f, []).append(t)

        self.postings: dict[str, list[int]] = {}
        for i, item in enumerate(self.items):
            for f in item.primary | item.secondary:
                self.postings.setdefault(f, []).append(i)
        self.vocab: set[str] = {f for f in self.idf if "_" not in f} | self.lexicon.words()
        self.vocab_list = sorted(self.vocab)
        self.bigrams: set[str] = {f for f in self.idf if "_" in f}
        self.df = df

    def entry(self, ident: str) -> Entry | None:
        return self.entries_by_id.get(ident)

    def ids(self) -> Iterable[str]:
        return self.entries_by_id.keys()
