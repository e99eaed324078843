"""The in-memory index the matcher scores against, built from the knowledge base."""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field

from bot.knowledge.loader import KnowledgeBase
from bot.knowledge.schema import Entry
from bot.text.analyzer import Analysis, Lexicon
from bot.text.normalize import accent_key, clean, fold, tokens

SECONDARY = 0.6  # a feature found only in an entry's answer counts this much


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


class Index:
    def __init__(self, kb: KnowledgeBase) -> None:
        self.lexicon = make_lexicon(kb)
        self.commune = kb.commune
        self.entries_by_id = kb.by_id()
        per_entry = [(e, _primary_texts(e, kb.learned.get(e.id, {})), _secondary_texts(e)) for e in kb.entries]

        accents_by_word: dict[str, set[str | None]] = {}
        words: dict[str, set[str]] = {"vi": set(), "en": set()}  # folded raw words of each language's texts
        self.names: set[str] = set()  # accented words the English texts use too: names (Mường Lư, Sâm Lai Châu)
        for _e, prim, sec in per_entry:
            for lang, text in [*prim, *sec]:
                for tok in tokens(clean(text)):
                    word = fold(tok)
                    accents_by_word.setdefault(word, set()).add(accent_key(tok))
                    if lang:
                        words[lang].add(word)
                    if lang == "en" and word != tok:
                        self.names.add(tok)
        self.lexicon.learn_content_words(accents_by_word)
        for lang in ("vi", "en"):
            for stop in kb.lexicon.stopwords.vi if lang == "vi" else kb.lexicon.stopwords.en:
                words[lang].update(fold(t) for t in tokens(clean(stop)))
        #: words that tell one language from the other: those only one side's texts use
        self.language_words: dict[str, str] = {w: "vi" for w in words["vi"] - words["en"]}
        self.language_words.update({w: "en" for w in words["en"] - words["vi"]})

        self.items: list[IndexedEntry] = []
        df: Counter[str] = Counter()
        for entry, prim, sec in per_entry:
            item = IndexedEntry(entry)
            for _lang, text in prim:
                feats = features(self.lexicon.analyze(text))
                item.primary |= feats
                if feats:
                    item.texts.append((frozenset(feats), 0.0, 0.0))
            for _lang, text in sec:
                item.secondary |= features(self.lexicon.analyze(text))
            item.secondary -= item.primary
            for f in item.primary:
                word, _, number = f.partition("_")
                if number.isdigit() and not word.isdigit():  # a name's number ("chu va 6"), not "6 tuổi"
                    item.numbers.setdefault(word, set()).add(number)
            item.accents = {a for _l, t in [*prim, *sec] for tok in tokens(clean(t)) if (a := accent_key(tok))}
            df.update(item.primary | item.secondary)
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
