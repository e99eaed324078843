"""Reading knowledge/ from YAML, with errors that name the file, the line and the entry."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TypeVar

import yaml
from pydantic import BaseModel, ValidationError

from bot.knowledge.lazy import LazySequence
from bot.knowledge.schema import Commune, Entry, FieldWords, Indicator, Lexicon, Topic, Training

M = TypeVar("M", bound=BaseModel)
_Loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)  # libyaml when the wheel has it

ENTRIES_DIR = "entries"
LEXICON_FILE = "lexicon.yaml"
COMMUNE_FILE = "commune.yaml"
LEARNED_FILE = "learned.yaml"
CALIBRATION_FILE = "calibration.yaml"
TOPICS_FILE = "topics.yaml"
INDICATORS_FILE = "indicators.yaml"
TRAINING_FILE = "training.yaml"
FIELDS_FILE = "fields.yaml"


@dataclass(frozen=True)
class Problem:
    path: str
    line: int | None
    entry: str | None
    message: str

    def __str__(self) -> str:
        where = self.path + (f":{self.line}" if self.line else "")
        who = f" [{self.entry}]" if self.entry else ""
        return f"{where}{who}: {self.message}"


class LazyEntries(LazySequence[Entry]):
    """Entries as the store keeps them (JSON), each validated into an :class:`Entry` when first
    read and kept: a start on a base of 10,000 entries validates the few its first questions need,
    not all (1 s). Their ids are at hand without validating anything (:meth:`ids`), and so is the
    JSON each was read from (:meth:`raw`: the index hashes it as it would the validated entry)."""

    def __init__(self, ids: list[str], items: Sequence[Entry | str], dumped: bool = True) -> None:
        """``dumped``: the JSON is ``Entry.model_dump_json``'s (a store built before it was wrote
        another JSON: :meth:`raw` then gives none, and the index hashes the validated entry)."""
        if len(ids) != len(items):
            raise ValueError("one id per entry")
        self._ids = ids
        self._items: list[Entry | str] = list(items)
        self._raw: dict[int, str] = {i: x for i, x in enumerate(items) if isinstance(x, str)} if dumped else {}

    def ids(self) -> list[str]:
        return list(self._ids)

    def raw(self, i: int) -> str | None:
        """The JSON entry i was read from (``Entry.model_dump_json``), None for one given validated."""
        return self._raw.get(i)

    def __len__(self) -> int:
        return len(self._items)

    def _at(self, i: int) -> Entry:
        item = self._items[i]
        if isinstance(item, str):
            item = self._items[i] = Entry.model_validate_json(item)
        return item


#: one entry as the store keeps it, for a start that need not parse its file again: id, line, JSON
StoredEntry = tuple[str, int, str]


@dataclass
class KnowledgeBase:
    entries: Sequence[Entry] = field(default_factory=list)
    lexicon: Lexicon = field(default_factory=Lexicon)
    commune: Commune = field(default_factory=Commune)
    learned: dict[str, dict[str, list[str]]] = field(default_factory=dict)  # id → lang → questions
    problems: list[Problem] = field(default_factory=list)
    calibration: dict[str, object] | None = None  # written by `kb calibrate`
    topics: list[Topic] = field(default_factory=list)  # announcement topics
    indicators: list[Indicator] = field(default_factory=list)  # the plan's targets
    training: Training = field(default_factory=Training)  # what `kb calibrate` wraps questions in
    fields: FieldWords = field(default_factory=FieldWords)  # words asking for one part of an answer
    #: where each entry was read: its file (relative to the knowledge folder: "entries/x.yaml"), line
    sources: dict[str, tuple[str, int]] = field(default_factory=dict)
    #: (the store's fingerprint this base was derived from, the ids changed since), when the store
    #: knows what changed (an officer's attach; the entries of edited files): the index re-hashes
    #: those entries only
    changed_since: tuple[str, frozenset[str]] | None = None
    #: the store's fingerprint when this base was read from it or built into it ("" for a base loaded
    #: only from the files): a reload may reuse the entries of a base that is the store's current one
    store_print: str = ""

    def by_id(self) -> dict[str, Entry]:
        return {e.id: e for e in self.entries}

    def ids(self) -> list[str]:
        """The entries' ids, in order (without validating entries read lazily from the store)."""
        return self.entries.ids() if isinstance(self.entries, LazyEntries) else [e.id for e in self.entries]


class KnowledgeError(Exception):
    """The knowledge base has problems; ``problems`` lists them all."""

    def __init__(self, problems: list[Problem]) -> None:
        self.problems = problems
        super().__init__("\n".join(str(p) for p in problems))


def source_files(root: Path, learned: Path | None = None) -> list[Path]:
    """Every file the knowledge base is read from, in a stable order."""
    files = sorted((root / ENTRIES_DIR).glob("*.yaml"))
    files += [
        root / name
        for name in (
            LEXICON_FILE,
            COMMUNE_FILE,
            LEARNED_FILE,
            CALIBRATION_FILE,
            TOPICS_FILE,
            INDICATORS_FILE,
            FIELDS_FILE,
        )
    ]
    if learned is not None:
        files.append(learned)
    return [f for f in files if f.is_file()]


def entry_digests(root: Path) -> dict[str, str]:
    """Each entry file's digest, by its path relative to ``root`` ("entries/x.yaml"): a start after an
    edit parses again only the files whose digest changed."""
    return {
        path.relative_to(root).as_posix(): hashlib.sha256(path.read_bytes()).hexdigest()
        for path in sorted((Path(root) / ENTRIES_DIR).glob("*.yaml"))
    }


def fingerprint(root: Path, learned: Path | None = None) -> str:
    """A hash of every knowledge file's name and bytes: the store rebuilds when it changes."""
    return fingerprints(root, learned)[0]


def fingerprints(root: Path, learned: Path | None = None) -> tuple[str, str]:
    """The :func:`fingerprint` with the bot's ``learned`` file, and the same without it (the knowledge
    folder alone: when only this one changed, an officer attached a question), in one read."""
    digest = hashlib.sha256()
    folder = None  # the digest before the learned file (source_files puts it last)
    for path in source_files(root, learned):
        if path == learned:
            folder = digest.copy()
        digest.update(path.name.encode() if path == learned else path.relative_to(root).as_posix().encode())
        digest.update(b"\0")
        digest.update(path.read_bytes())
    return digest.hexdigest(), (folder or digest).hexdigest()


def _format_validation(err: ValidationError) -> str:
    parts = []
    for e in err.errors():
        loc = ".".join(str(x) for x in e["loc"]) or "entry"
        parts.append(f"{loc}: {e['msg']}")
    return "; ".join(parts)


def _parse(text: str) -> tuple[yaml.Node | None, object]:
    """The document's node tree (for line numbers) and its data, built from that tree: parsed once.
    (yaml.compose then yaml.load parsed and resolved every scalar twice: at 10,000 entries the
    second pass was 10 of 20 s.)"""
    loader = _Loader(text)
    try:
        node = loader.get_single_node()
        return node, (loader.construct_document(node) if node is not None else None)
    finally:
        loader.dispose()


def _read_yaml(path: Path, root: Path) -> tuple[object, yaml.Node | None, Problem | None]:
    rel = path.relative_to(root.parent).as_posix() if path.is_relative_to(root.parent) else str(path)
    try:
        text = path.read_text(encoding="utf-8")
        node, data = _parse(text)
    except UnicodeDecodeError as exc:
        return None, None, Problem(rel, None, None, f"not UTF-8 text ({exc.reason})")
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        line = mark.line + 1 if mark is not None else None
        reason = getattr(exc, "problem", None) or str(exc)
        return None, None, Problem(rel, line, None, f"YAML syntax error: {reason}")
    return data, node, None


def _entry_items(data: object, node: yaml.Node | None) -> Iterator[tuple[int | None, object]]:
    lines: list[int | None] = []
    if isinstance(node, yaml.SequenceNode):
        lines = [child.start_mark.line + 1 for child in node.value]
    if isinstance(data, list):
        for i, item in enumerate(data):
            yield (lines[i] if i < len(lines) else None), item


def load(
    root: Path, learned: Path | None = None, stored: Mapping[str, list[StoredEntry]] | None = None
) -> KnowledgeBase:
    """Load and check the knowledge base. Problems are collected, not raised.

    ``learned`` is the learned-questions file the bot writes in its data folder (officers
    attach failed questions to entries); it is read after knowledge/learned.yaml. ``stored``: the
    entries of files unchanged since the store was built (by path relative to ``root``), taken as
    the store holds them — neither parsed nor validated again, but checked with the others (ids
    unique, related ids known)."""
    root = Path(root)
    entries: list[Entry | str] = []
    ids_in_order: list[str] = []
    related: dict[str, list[str]] = {}
    kb = KnowledgeBase()
    if not (root / ENTRIES_DIR).is_dir():
        kb.problems.append(Problem(str(root), None, None, f"no {ENTRIES_DIR}/ folder of entries"))
        return kb
    rel = lambda p: p.relative_to(root.parent).as_posix()
    seen: dict[str, str] = {}
    for path in sorted((root / ENTRIES_DIR).glob("*.yaml")):
        key = path.relative_to(root).as_posix()
        if stored is not None and key in stored:
            where = rel(path)
            for kept_id, kept_line, raw in stored[key]:
                if kept_id in seen:
                    kb.problems.append(
                        Problem(where, kept_line, kept_id, f"duplicate id (first defined in {seen[kept_id]})")
                    )
                    continue
                seen[kept_id] = f"{where}:{kept_line}"
                entries.append(raw)
                ids_in_order.append(kept_id)
                related[kept_id] = list(json.loads(raw).get("related", []))
                kb.sources[kept_id] = (key, kept_line)
            continue
        data, node, problem = _read_yaml(path, root)
        if problem:
            kb.problems.append(problem)
            continue
        if data is None:
            continue
        if not isinstance(data, list):
            kb.problems.append(Problem(rel(path), 1, None, "expected a YAML list of entries"))
            continue
        for line, item in _entry_items(data, node):
            ident = item.get("id") if isinstance(item, dict) else None
            ident = str(ident) if ident is not None else None
            try:
                entry = Entry.model_validate(item)
            except ValidationError as exc:
                kb.problems.append(Problem(rel(path), line, ident, _format_validation(exc)))
                continue
            if entry.id in seen:
                kb.problems.append(
                    Problem(rel(path), line, entry.id, f"duplicate id (first defined in {seen[entry.id]})")
                )
                continue
            seen[entry.id] = f"{rel(path)}:{line}"
            entries.append(entry)
            ids_in_order.append(entry.id)
            related[entry.id] = entry.related
            kb.sources[entry.id] = (key, line or 0)
    if all(isinstance(e, Entry) for e in entries):
        kb.entries = [e for e in entries if isinstance(e, Entry)]
    else:
        kb.entries = LazyEntries(ids_in_order, entries)
    ids = set(seen)
    for ident in ids_in_order:
        for other in related[ident]:
            if other not in ids:
                where = seen[ident].rsplit(":", 1)
                kb.problems.append(Problem(where[0], int(where[1]), ident, f"unknown related id {other!r}"))
    kb.lexicon = _load_model(root / LEXICON_FILE, root, Lexicon, kb.problems) or Lexicon()
    kb.commune = _load_model(root / COMMUNE_FILE, root, Commune, kb.problems) or Commune()
    kb.learned = load_learned(root, learned, ids, kb.problems)
    kb.calibration = _load_calibration(root / CALIBRATION_FILE, root, kb.problems)
    kb.training = _load_model(root / TRAINING_FILE, root, Training, kb.problems) or Training()
    kb.fields = _load_model(root / FIELDS_FILE, root, FieldWords, kb.problems) or FieldWords()
    kb.topics = _load_list(root / TOPICS_FILE, root, Topic, kb.problems)
    if kb.topics and not any(t.emergency and t.default for t in kb.topics):
        kb.problems.append(
            Problem(f"{root.name}/{TOPICS_FILE}", None, None, "one topic must be the emergency topic, on by default")
        )
    kb.indicators = _load_list(root / INDICATORS_FILE, root, Indicator, kb.problems)
    for ind in kb.indicators:
        if ind.goal not in ids:
            kb.problems.append(
                Problem(f"{root.name}/{INDICATORS_FILE}", None, ind.id, f"unknown goal entry {ind.goal!r}")
            )
    return kb


def _load_list(path: Path, root: Path, model: type[BaseModel], problems: list[Problem]) -> list:
    """A YAML list of ``model`` items with unique ids (topics, indicators)."""
    if not path.is_file():
        return []
    data, node, problem = _read_yaml(path, root)
    rel = path.relative_to(root.parent).as_posix()
    if problem:
        problems.append(problem)
        return []
    if not isinstance(data, list):
        problems.append(Problem(rel, 1, None, "expected a YAML list"))
        return []
    items: list = []
    for line, item in _entry_items(data, node):
        try:
            parsed = model.model_validate(item)
        except ValidationError as exc:
            ident = str(item.get("id")) if isinstance(item, dict) else None
            problems.append(Problem(rel, line, ident, _format_validation(exc)))
            continue
        if any(x.id == parsed.id for x in items):  # type: ignore[attr-defined]
            problems.append(Problem(rel, line, parsed.id, "duplicate id"))  # type: ignore[attr-defined]
            continue
        items.append(parsed)
    return items


_CALIBRATION_KEYS = {"bias", "weights", "threshold", "suggest_floor"}


def _load_calibration(path: Path, root: Path, problems: list[Problem]) -> dict[str, object] | None:
    """calibration.yaml, written by ``kb calibrate``:
    ``params: {bias, weights: {feature: w}, threshold, suggest_floor}``."""
    if not path.is_file():
        return None
    data, _node, problem = _read_yaml(path, root)
    rel = path.relative_to(root.parent).as_posix()
    if problem:
        problems.append(problem)
        return None
    params = (data or {}).get("params") if isinstance(data, dict) else None
    numbers = lambda d: all(isinstance(v, int | float) and not isinstance(v, bool) for v in d.values())
    if (
        not isinstance(params, dict)
        or not set(params) <= _CALIBRATION_KEYS
        or not isinstance(params.get("weights", {}), dict)
        or not numbers({k: v for k, v in params.items() if k != "weights"})
        or not numbers(params.get("weights", {}))
    ):
        problems.append(
            Problem(rel, None, None, f"expected params: with {sorted(_CALIBRATION_KEYS)} (weights: feature → number)")
        )
        return None
    out: dict[str, object] = {k: float(v) for k, v in params.items() if k != "weights"}
    out["weights"] = {str(k): float(v) for k, v in params.get("weights", {}).items()}
    return out


def _load_model(path: Path, root: Path, model: type[M], problems: list[Problem]) -> M | None:
    if not path.is_file():
        return None
    data, node, problem = _read_yaml(path, root)
    if problem:
        problems.append(problem)
        return None
    try:
        return model.model_validate(data or {})
    except ValidationError as exc:
        rel = path.relative_to(root.parent).as_posix()
        for e in exc.errors():
            loc = ".".join(str(x) for x in e["loc"]) or "file"
            message = f"{loc}: {e['msg']}"
            if e["type"] == "string_type" and isinstance(e.get("input"), bool):
                message += " (quote words such as yes, no, on, off: unquoted, YAML reads them as true or false)"
            elif e["type"] in ("string_type", "int_type") and isinstance(e.get("input"), int | float):
                message += (
                    ' (write numbers such as phones in quotes, e.g. phone: "0213 3876 543"; '
                    "unquoted, YAML may read a number and lose its leading 0 or +)"
                )
            problems.append(Problem(rel, _line_of(node, e["loc"]), None, message))
        return None


def _line_of(node: yaml.Node | None, loc: tuple[int | str, ...]) -> int | None:
    """The line of the YAML value at ``loc`` (keys and list indexes), or of the nearest parent found."""
    line = node.start_mark.line + 1 if node is not None else None
    for key in loc:
        if isinstance(node, yaml.MappingNode):
            node = next((v for k, v in node.value if getattr(k, "value", None) == str(key)), None)
        elif isinstance(node, yaml.SequenceNode) and isinstance(key, int) and key < len(node.value):
            node = node.value[key]
        else:
            node = None
        if node is None:
            break
        line = node.start_mark.line + 1
    return line


def load_learned(
    root: Path, learned: Path | None, ids: set[str], problems: list[Problem]
) -> dict[str, dict[str, list[str]]]:
    """The questions learnt for the entries ``ids``: knowledge/learned.yaml, then the bot's own
    ``learned`` file (officers attach failed questions to entries) merged into it."""
    out = _load_learned(root / LEARNED_FILE, root, ids, problems)
    if learned is not None:
        for ident, langs in _load_learned(learned, learned.parent, ids, problems).items():
            mine = out.setdefault(ident, {})
            for lang, questions in langs.items():
                mine.setdefault(lang, []).extend(q for q in questions if q not in mine.get(lang, []))
    return out


def _load_learned(path: Path, root: Path, ids: set[str], problems: list[Problem]) -> dict[str, dict[str, list[str]]]:
    """learned.yaml: ``{entry id: {vi: [...], en: [...]}}`` written by officers through the bot."""
    if not path.is_file():
        return {}
    data, _node, problem = _read_yaml(path, root)
    rel = path.relative_to(root.parent).as_posix()
    if problem:
        problems.append(problem)
        return {}
    out: dict[str, dict[str, list[str]]] = {}
    if data is None:
        return out
    if not isinstance(data, dict):
        problems.append(Problem(rel, 1, None, "expected a mapping of entry id → {vi: [...], en: [...]}"))
        return out
    for ident, langs in data.items():
        if ident not in ids:
            problems.append(Problem(rel, None, str(ident), "learned questions for an unknown entry id"))
            continue
        if not isinstance(langs, dict) or not all(k in ("vi", "en") for k in langs):
            problems.append(Problem(rel, None, str(ident), "expected {vi: [...], en: [...]}"))
            continue
        out[ident] = {k: [str(q) for q in (v or [])] for k, v in langs.items()}
    return out


def load_or_raise(root: Path, learned: Path | None = None) -> KnowledgeBase:
    kb = load(root, learned)
    if kb.problems:
        raise KnowledgeError(kb.problems)
    return kb
