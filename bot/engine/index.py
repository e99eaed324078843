"""The in-memory index the matcher scores against, built from the knowledge base."""

from __future__ import annotations

import json
import math
import re
import sys
from array import array
from bisect import bisect_right
from collections import OrderedDict
from collections.abc import Collection, Container, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from itertools import accumulate, repeat

from bot.knowledge.lazy import LazySequence
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


#: one entry's features as ids: primary, secondary, its texts (each length-prefixed), accents (JSON)
Row = tuple[array, array, array, str]


class StoredNames(LazySequence[str]):
    """Feature strings by id kept outside memory (the store's feature table, see
    bot.engine.snapshot.StoredFeatures): a large base opens without reading hundreds of thousands
    of strings, and looks up only the features a question uses. What the index reads of them:"""

    def ids_of(self, features: Collection[str]) -> dict[str, int]:
        """The ids of those of ``features`` the table holds."""
        raise NotImplementedError

    def unigrams(self) -> list[tuple[str, int]]:
        """Every single-word feature with its id (the vocabulary typo repair reads)."""
        raise NotImplementedError

    def numbered(self, word: str) -> list[tuple[str, int]]:
        """Every feature "word_<digits>" with its id."""
        raise NotImplementedError

    def strings(self, ids: Iterable[int]) -> list[str]:
        """The features of ``ids``, in order, at once."""
        return self._many(ids)


def strings(names: Sequence[str], ids: Iterable[int]) -> list[str]:
    """Feature ids as strings, from a list or a stored table (one query for them all)."""
    return names.strings(ids) if isinstance(names, StoredNames) else [names[i] for i in ids]


class FeatureIds(Mapping[str, int]):
    """Feature → its id, for the features some entry holds, looked up in a :class:`StoredNames`
    when first asked and remembered (misses too). :meth:`prefetch` asks for many in one query."""

    CACHED = 200_000

    def __init__(self, names: StoredNames, offsets: array) -> None:
        self._names, self._offsets = names, offsets
        self._known = len(offsets) - 1  # ids beyond the postings: features added since this index opened
        self._cache: dict[str, int | None] = {}

    def prefetch(self, features: Iterable[str]) -> None:
        missing = {f for f in features if f not in self._cache}
        if not missing:
            return
        if len(self._cache) + len(missing) > self.CACHED:
            self._cache.clear()
        found = self._names.ids_of(missing)
        offsets, known = self._offsets, self._known
        for f in missing:
            i = found.get(f)
            self._cache[f] = i if i is not None and i < known and offsets[i + 1] > offsets[i] else None

    def get(self, feature: str, default: int | None = None) -> int | None:  # type: ignore[override]
        try:
            f = self._cache[feature]
        except KeyError:
            self.prefetch((feature,))
            f = self._cache[feature]
        return default if f is None else f

    def __getitem__(self, feature: str) -> int:
        f = self.get(feature)
        if f is None:
            raise KeyError(feature)
        return f

    def __contains__(self, feature: object) -> bool:
        return isinstance(feature, str) and self.get(feature) is not None

    def _used(self) -> list[int]:
        offsets = self._offsets
        return [f for f in range(self._known) if offsets[f + 1] > offsets[f]]

    def __iter__(self) -> Iterator[str]:  # every feature read from the store: for tests and tools
        return iter(strings(self._names, self._used()))

    def __len__(self) -> int:
        return len(self._used())


@dataclass
class Compact:
    """An index's bulk, as integer arrays: features by id, postings in CSR form, and per entry
    its features as ids. Entries are decoded into :class:`IndexedEntry` only when a question
    needs them, so a base of thousands opens without building thousands of sets."""

    names: Sequence[str]  # feature strings by id, a list or StoredNames (ids no entry uses any more stay, unused)
    offsets: array  # 'I': the postings of feature f are ids[offsets[f]:offsets[f + 1]]
    ids: array  # 'I': entry positions, ascending within each feature
    rows: Sequence[Row]  # per entry: primary, secondary, texts, accents (JSON)

    @classmethod
    def build(cls, names: Sequence[str], rows: Sequence[Row]) -> Compact:
        if len(rows) >= Index.LARGE:  # a large base: the same arrays, sorted by numpy
            return cls._build_numpy(names, rows)
        counts = [0] * (len(names) + 1)
        for prim, sec, _t, _a in rows:
            for f in prim:
                counts[f + 1] += 1
            for f in sec:
                counts[f + 1] += 1
        offsets = array("I", accumulate(counts))
        ids = array("I", bytes(4 * offsets[-1]))
        fill = list(offsets[:-1])
        for i, (prim, sec, _t, _a) in enumerate(rows):
            for f in (*prim, *sec):
                ids[fill[f]] = i
                fill[f] += 1
        return cls(names, offsets, ids, rows)

    @classmethod
    def _build_numpy(cls, names: Sequence[str], rows: Sequence[Row]) -> Compact:
        import numpy as np

        parts = [np.frombuffer(x, dtype=np.uint32) for prim, sec, _t, _a in rows for x in (prim, sec)]
        sizes = np.array([len(p) for p in parts], dtype=np.int64).reshape(-1, 2).sum(axis=1)
        features = np.concatenate(parts) if parts else np.zeros(0, dtype=np.uint32)
        entries = np.repeat(np.arange(len(rows), dtype=np.uint32), sizes)
        order = np.argsort(features, kind="stable")  # entries stay ascending within each feature
        offsets = np.zeros(len(names) + 1, dtype=np.uint32)
        np.cumsum(np.bincount(features, minlength=len(names)), out=offsets[1:])
        out_offsets, out_ids = array("I"), array("I")
        out_offsets.frombytes(offsets.tobytes())
        out_ids.frombytes(entries[order].astype(np.uint32).tobytes())
        return cls(names, out_offsets, out_ids, rows)

    @classmethod
    def edited(cls, old: Compact, names: Sequence[str], rows: Sequence[Row], before: dict[int, array]) -> Compact:
        """``old``'s postings with the edited entries' moved: ``before`` maps each edited entry's
        position (unchanged, as is the number of entries) to its old feature ids; ``rows`` hold the
        new ones. Only the postings of the features an edited entry lost or gained are worked out
        again; the others are copied as they are, once, in slices between those — the very
        arrays :meth:`build` makes. For a large base, where re-sorting every posting would be most
        of an edit."""
        import numpy as np

        if len(rows) != len(old.rows):
            raise ValueError("an edit in place keeps the number of entries")
        stored = np.frombuffer(old.offsets, dtype=np.uint32)
        ids = np.frombuffer(old.ids, dtype=np.uint32)
        known = len(stored) - 1  # features new to the base since the postings were written have none
        changes: dict[int, tuple[list[int], list[int]]] = {}  # feature → (entries leaving it, entries joining)
        for i, features in before.items():
            was, now = set(features), {*rows[i][0], *rows[i][1]}
            for f in was - now:
                changes.setdefault(f, ([], []))[0].append(i)
            for f in now - was:
                changes.setdefault(f, ([], []))[1].append(i)
        offsets = np.empty(len(names) + 1, dtype=np.int64)
        offsets[: known + 1] = stored
        offsets[known + 1 :] = stored[-1]
        postings: dict[int, np.ndarray] = {}
        grown = np.zeros(len(names) + 1, dtype=np.int64)
        for f, (leaving, joining) in sorted(changes.items()):
            lo, hi = int(offsets[f]), int(offsets[f + 1])
            new = ids[lo:hi]
            for i in leaving:
                at = int(np.searchsorted(new, i))
                if at >= len(new) or new[at] != i:
                    raise ValueError("the stored postings do not hold an edited entry")
                new = np.delete(new, at)
            for i in joining:
                new = np.insert(new, int(np.searchsorted(new, i)), i)
            postings[f] = new
            grown[f + 1] = len(new) - (hi - lo)
        moved = offsets + np.cumsum(grown)
        out = np.empty(int(moved[-1]), dtype=np.uint32)
        at = 0  # the first feature not copied yet
        for f, new in postings.items():  # (in feature order) the unchanged stretch before f, then f's own
            out[moved[at] : moved[f]] = ids[offsets[at] : offsets[f]]
            out[moved[f] : moved[f + 1]] = new
            at = f + 1
        out[moved[at] :] = ids[offsets[at] :]
        out_offsets, out_ids = array("I"), array("I")
        out_offsets.frombytes(moved.astype(np.uint32).data.cast("B"))
        out_ids.frombytes(out.data.cast("B"))
        return cls(names, out_offsets, out_ids, rows)

    @classmethod
    def of(cls, analyses: list[EntryAnalysis]) -> Compact:
        """From analyses (strings): feature ids in order of first use."""
        table: dict[str, int] = {}

        def ids(values: Iterable[str]) -> array:
            return array("I", (table.setdefault(v, len(table)) for v in values))

        rows = []
        for an in analyses:
            texts = array("I")
            for t in an.texts:
                texts.append(len(t))
                texts.extend(ids(t))
            rows.append((ids(an.primary), ids(an.secondary), texts, json.dumps(an.accents, ensure_ascii=False)))
        return cls.build(list(table), rows)


class Postings:
    """Feature → the positions of the entries holding it (a read-only mapping's ``get``)."""

    def __init__(self, fid: Mapping[str, int], compact: Compact) -> None:
        self._fid, self._offsets, self._ids = fid, compact.offsets, compact.ids

    def get(self, feature: str, default: Sequence[int] = ()) -> Sequence[int]:
        f = self._fid.get(feature)
        if f is None:
            return default
        return self._ids[self._offsets[f] : self._offsets[f + 1]]


class Accumulator:
    """Partial scores over a large base summed with numpy over the CSR postings (imported only for
    bases of :data:`Index.LARGE` entries or more). The same sums in the same order as a walk in
    Python, and the same candidates: by partial score, ties in the order a walk first meets them."""

    def __init__(self, fid: Mapping[str, int], compact: Compact, size: int) -> None:
        import numpy as np

        self._np, self._fid, self._size = np, fid, size
        self._offsets = np.frombuffer(compact.offsets, dtype=np.uint32)
        self._ids = np.frombuffer(compact.ids, dtype=np.uint32)

    def best(self, weights: Iterable[tuple[str, float]], k: int) -> list[int]:
        np = self._np
        acc = np.zeros(self._size)
        first = np.full(self._size, np.iinfo(np.int64).max, dtype=np.int64)
        for n, (feature, w) in enumerate(weights):
            f = self._fid.get(feature)
            if f is None:
                continue
            hit = self._ids[self._offsets[f] : self._offsets[f + 1]]
            acc[hit] += w  # one posting per entry and feature: no repeated index
            first[hit] = np.minimum(first[hit], n * self._size + hit.astype(np.int64))
        touched = np.flatnonzero(first != np.iinfo(np.int64).max)
        if len(touched) > k:
            # everything scoring at least the k-th best, then ordered exactly
            kth = np.partition(acc[touched], len(touched) - k)[len(touched) - k]
            touched = touched[acc[touched] >= kth]
        order = np.lexsort((first[touched], -acc[touched]))
        return [int(i) for i in touched[order][:k]]


class Items(LazySequence[IndexedEntry]):
    """The index's entries, decoded from the compact rows when first read; the last
    :data:`CACHED` decoded are kept. (It holds the index's ``idf``, not the index: no reference
    cycle, so a reloaded bot's old index is freed at once, not at the next full garbage collection —
    at 10,000 entries each reload otherwise kept ~85 MB until then.)"""

    CACHED = 4096

    def __init__(self, idf: Mapping[str, float], entries: Sequence[Entry], compact: Compact) -> None:
        self._idf, self._entries, self._compact = idf, entries, compact
        self._cache: OrderedDict[int, IndexedEntry] = OrderedDict()

    def __len__(self) -> int:
        return len(self._entries)

    def _at(self, i: int) -> IndexedEntry:
        item = self._cache.get(i)
        if item is None:
            item = self._decode(i)
            if len(self._cache) >= self.CACHED:
                self._cache.popitem(last=False)
            self._cache[i] = item
        return item

    def _decode(self, i: int) -> IndexedEntry:
        names, idf = self._compact.names, self._idf
        prim, sec, texts, accents = self._compact.rows[i]
        item = IndexedEntry(
            self._entries[i], set(strings(names, prim)), set(strings(names, sec)), set(json.loads(accents))
        )
        item.numbers = _numbers(item.primary)
        at = 0
        while at < len(texts):
            n = texts[at]
            feats = frozenset(strings(names, texts[at + 1 : at + 1 + n]))
            at += 1 + n
            norm = math.sqrt(math.fsum(idf[x] ** 2 for x in feats))
            item.texts.append((feats, norm, math.fsum(idf[x] for x in feats)))
        for t, (text_feats, _norm, _mass) in enumerate(item.texts):
            for f in text_feats:
                item.text_postings.setdefault(f, []).append(t)
        return item


class Candidate:
    """What the matcher reads of one entry while scoring it, straight from its compact row, with
    features as ids: membership, the texts holding a feature, a text's norm and idf mass (worked out
    for the texts a question touches only), accents. (The numbers of its names: Index.numbers_after.)

    Thousands are kept (:data:`Items.CACHED`), so what they hold is what the garbage collector does
    not track: dicts of ints, floats and None, and one array for all their texts — not sets, tuples
    or an array per text (at 10,000 entries those made each young-generation pass 50 ms) — and no
    map of every feature to its texts (at 10,000 entries, 60 MB of the 4,096 kept)."""

    __slots__ = ("_accents", "_idf", "_raw", "_starts", "_texts", "found", "measured", "primary", "secondary")

    def __init__(self, row: Row, idf: array) -> None:
        prim, sec, texts, accents = row
        self.primary: dict[int, None] = dict.fromkeys(prim)  # membership: `x in primary`
        self.secondary: dict[int, None] = dict.fromkeys(sec)
        self._accents: str | dict[str, None] = accents  # JSON until a question typed with accents reads it
        self._texts = texts  # each text's length, then its feature ids
        starts = array("I")  # where each text's ids begin in it
        at = 0
        while at < len(texts):
            starts.append(at + 1)
            at += 1 + texts[at]
        self._starts = starts
        #: text → its norm and idf mass, for the texts a question touched (norm_mass)
        self.measured: dict[int, tuple[float, float]] = {}
        self._raw: bytes | None = None  # the texts' ids as bytes, once a feature's texts are looked for
        #: feature → the texts holding it, for the features a question looked up (texts_with)
        self.found: dict[int, tuple[int, ...]] = {}
        self._idf = idf

    def text(self, t: int) -> array:
        """Text t's feature ids (sorted)."""
        at = self._starts[t]
        return self._texts[at : at + self._texts[at - 1]]

    @property
    def accents(self) -> Container[str]:
        """The accent keys of every token the entry holds."""
        if isinstance(self._accents, str):
            self._accents = dict.fromkeys(json.loads(self._accents))
        return self._accents

    def texts_with(self, feature: int) -> tuple[int, ...]:
        """The texts holding ``feature``, in order, found once and kept (tuples of ints, which the
        garbage collector stops tracking after its first pass over them). Found by searching the
        texts' bytes for the feature's id (in C), not by mapping every feature of every text: a
        question reads the texts of a handful of features per candidate."""
        out = self.found.get(feature)
        if out is None:
            texts, starts = self._texts, self._starts
            if self._raw is None:
                self._raw = texts.tobytes()
            raw, size = self._raw, texts.itemsize
            needle = feature.to_bytes(size, sys.byteorder)
            hits = []
            at = raw.find(needle)
            while at != -1:
                if at % size == 0:  # a whole value, not bytes straddling two
                    i = at // size
                    t = bisect_right(starts, i) - 1
                    if t >= 0 and i < starts[t] + texts[starts[t] - 1]:  # an id of text t, not a length
                        hits.append(t)
                at = raw.find(needle, at + 1)
            out = self.found[feature] = tuple(hits)
        return out

    def norm_mass(self, t: int) -> tuple[float, float]:
        """Text t's L2 norm and idf mass (as :class:`IndexedEntry` keeps them)."""
        found = self.measured.get(t)
        if found is None:
            values = list(map(self._idf.__getitem__, self.text(t)))  # (map: no generator frame per value)
            found = self.measured[t] = (math.sqrt(math.fsum(map(pow, values, repeat(2)))), math.fsum(values))
        return found


def _numbers(primary: Iterable[str]) -> dict[str, set[str]]:
    """Word → the numbers after it in the entry's own texts ("va" → {"6"}): a name's number
    ("chu va 6"), not "6 tuổi"."""
    out: dict[str, set[str]] = {}
    for f in primary:
        word, _, number = f.partition("_")
        if number.isdigit() and not word.isdigit():
            out.setdefault(word, set()).add(number)
    return out


class DocumentFrequency:
    """Feature → how many entries hold it, read off the postings (a read-only mapping's ``get``)."""

    def __init__(self, fid: Mapping[str, int], offsets: array) -> None:
        self._fid, self._offsets = fid, offsets

    def get(self, feature: str, default: int = 0) -> int:
        f = self._fid.get(feature)
        n = self._offsets[f + 1] - self._offsets[f] if f is not None else 0
        return n if n else default


class Idf(Mapping[str, float]):
    """Feature → its idf, read off the array by the feature's id: one table (``fid``) serves both,
    rather than a second dict of hundreds of thousands of floats."""

    __slots__ = ("_by_id", "_fid")

    def __init__(self, fid: Mapping[str, int], by_id: array) -> None:
        self._fid, self._by_id = fid, by_id

    def __getitem__(self, feature: str) -> float:
        return self._by_id[self._fid[feature]]

    def __contains__(self, feature: object) -> bool:
        return feature in self._fid

    def get(self, feature: str, default: float | None = None) -> float | None:  # type: ignore[override]
        f = self._fid.get(feature)
        return default if f is None else self._by_id[f]

    def __iter__(self) -> Iterator[str]:
        return iter(self._fid)

    def __len__(self) -> int:
        return len(self._fid)


def _idf_large(compact: Compact, n: int) -> tuple[Mapping[str, int], array]:
    """Feature ids and idf of a large base, as the loop in :class:`Index` computes them: each
    distinct document frequency's idf worked out once with ``math.log`` (the same float), then
    spread over the features in numpy. Names kept in the store stay there (:class:`FeatureIds`)."""
    import numpy as np

    counts = np.diff(np.frombuffer(compact.offsets, dtype=np.uint32).astype(np.int64))
    distinct, at = np.unique(counts, return_inverse=True)
    table = np.array([math.log(1 + n / int(c)) if c else 0.0 for c in distinct], dtype=np.float64)
    values = table[at]
    by_id = array("d")
    by_id.frombytes(values.tobytes())
    names = compact.names
    if isinstance(names, StoredNames):
        return FeatureIds(names, compact.offsets), by_id
    used = np.flatnonzero(counts).tolist()
    return dict(zip([names[f] for f in used], used, strict=True)), by_id


class Index:
    LARGE = 2000  # from this many entries, partial scores are summed with numpy (see Accumulator)

    def __init__(
        self,
        kb: KnowledgeBase,
        scans: list[EntryScan] | None = None,
        analyses: list[EntryAnalysis] | None = None,
        lexicon: Lexicon | None = None,
        compact: Compact | None = None,
    ) -> None:
        """The index of ``kb``. Computed here unless given (from a snapshot): the entries' ``scans``
        (or one merged scan), the taught ``lexicon``, and either their ``analyses`` or the
        ``compact`` arrays of them, one row per entry in order."""
        self._positions = {ident: i for i, ident in enumerate(kb.ids())}  # (no entry validated for it)
        self.commune = kb.commune
        if scans is None:
            scans = [scan(e, kb.learned.get(e.id, {})) for e in kb.entries]
        self.lexicon = lexicon or learn(kb, scans)
        if compact is None:
            if analyses is None:
                analyses = [analyse(e, kb.learned.get(e.id, {}), self.lexicon, sc) for e, sc in zip(kb.entries, scans)]
            compact = Compact.of(analyses)
        if len(compact.rows) != len(kb.entries):
            raise ValueError("the compact index does not hold one row per entry")
        self.compact = compact

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

        n = max(len(kb.entries), 1)
        offsets = compact.offsets
        fid: Mapping[str, int] = {}
        idf: dict[str, float] = {}
        self.idf_by_id = array("d", bytes(8 * len(compact.names)))
        large = len(kb.entries) >= self.LARGE
        if large:  # hundreds of thousands of features: counted in numpy
            fid, self.idf_by_id = _idf_large(compact, n)
        for f, name in enumerate(() if large else compact.names):
            count = offsets[f + 1] - offsets[f]
            if count:
                fid[name] = f  # type: ignore[index]  # a dict, for a small base
                idf[name] = self.idf_by_id[f] = math.log(1 + n / count)
        self.fid = fid  # feature → its id in the compact arrays (features some entry holds)
        #: feature → idf: a dict for a small base (the fastest lookups); read off the array for a
        #: large one, where a second dict of its hundreds of thousands of features would cost ~15 MB
        self.idf: Mapping[str, float] = Idf(fid, self.idf_by_id) if large else idf
        self.unknown_idf = math.log(1 + n)
        self.postings = Postings(fid, compact)
        self.df = DocumentFrequency(fid, offsets)
        self.entries: Sequence[Entry] = kb.entries  # (read from the store: each validated when first read)
        self.items: Items = Items(self.idf, self.entries, compact)
        self._candidates: OrderedDict[int, Candidate] = OrderedDict()
        self._numbers_after: dict[str, dict[str, int]] = {}
        self._numbered: dict[str, dict[str, int]] | None = None  # a small base's, all at once
        self._accumulator: Accumulator | None = None
        if len(self.entries) >= self.LARGE:  # numpy imported now, with the index, not at the first question
            self._accumulator = Accumulator(fid, compact, len(self.entries))
        if isinstance(compact.names, StoredNames):  # the words alone, not every feature, read from the store
            known = len(offsets) - 1
            used = {w for w, f in compact.names.unigrams() if f < known and offsets[f + 1] > offsets[f]}
            self.vocab: set[str] = used | self.lexicon.words()
        else:
            self.vocab = {f for f in self.idf if "_" not in f} | self.lexicon.words()
        self.vocab_list = sorted(self.vocab)

    def entry(self, ident: str) -> Entry | None:
        i = self._positions.get(ident)
        return None if i is None else self.entries[i]

    def numbers_after(self, word: str) -> dict[str, int]:
        """Number → the id of the feature "word_number" (a name's number: "va_6"), for every such
        feature some entry holds."""
        found = self._numbers_after.get(word)
        if found is None:
            if isinstance(self.compact.names, StoredNames):
                # (ids no entry holds any more are in no entry's features either)
                found = {f.partition("_")[2]: i for f, i in self.compact.names.numbered(word)}
            else:
                if self._numbered is None:
                    self._numbered = {}
                    for f, i in self.fid.items():
                        head, _, number = f.partition("_")
                        if number.isdigit() and not head.isdigit():
                            self._numbered.setdefault(head, {})[number] = i
                found = self._numbered.get(word, {})
            if len(self._numbers_after) > 10_000:
                self._numbers_after.clear()
            self._numbers_after[word] = found
        return found

    def prefetch(self, features: Iterable[str]) -> None:
        """Look up these features at once where the feature table is in the store (one query, not
        one per feature); nothing to do for one in memory."""
        if isinstance(self.fid, FeatureIds):
            self.fid.prefetch(features)

    def entry_at(self, i: int) -> Entry:
        return self.entries[i]

    def accumulator(self) -> Accumulator | None:
        """The numpy accumulator for a large base; None for a small one (a dict walk is faster)."""
        if len(self.entries) < self.LARGE:
            return None
        if self._accumulator is None:
            self._accumulator = Accumulator(self.fid, self.compact, len(self.entries))
        return self._accumulator

    def candidate(self, i: int) -> Candidate:
        """Entry i as the matcher scores it; the last :data:`Items.CACHED` are kept."""
        cached = self._candidates.get(i)
        if cached is None:
            cached = Candidate(self.compact.rows[i], self.idf_by_id)
            if len(self._candidates) >= Items.CACHED:
                self._candidates.popitem(last=False)
            self._candidates[i] = cached
        return cached

    def ids(self) -> Iterable[str]:
        return self._positions.keys()
