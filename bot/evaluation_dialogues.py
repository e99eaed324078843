"""`python -m bot eval --dialogues`: how well the bot follows a conversation.

A dialogue is two or three messages from one person, played in order through the same
conversation state the channels use (:class:`bot.services.dialogue.Dialogues`), each in a chat
of its own. Every turn says what it expects: an entry and the part of it (``field``, null for the
whole answer), or ``status: clarify`` (a part asked with nothing before it: "which procedure?"),
or ``status: correction`` ("không phải"). Turns are scored as they happen: when the first
answer is wrong, a follow-up about it is wrong too, as it would be for the person asking.

Figures, per kind of turn:
- first: the opening message of a dialogue (a single question, as in ``eval``);
- follow-up: a later message that names only a part ("còn lệ phí?") — right entry and right part;
- switch: a later message that names a new subject — the new entry;
- correction: a message saying the answer was wrong — recognised as such;
- clarify: a part-only message with no answer before it — the bot asks, and never answers it
  confidently with some entry (``confident_without_context`` counts those)."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path

import yaml

from bot.engine.engine import Engine, Result, Status
from bot.services.dialogue import Dialogues

KINDS = ("followup", "switch", "correction", "clarify")
TURNS = ("first", "follow-up", "switch", "correction", "clarify")
LANGS = ("vi", "unaccented", "en")


@dataclass
class Turn:
    q: str
    id: str | None = None
    field: str | None = None
    status: str = "answer"  # answer | clarify | correction


@dataclass
class Dialogue:
    kind: str
    lang: str
    turns: list[Turn]

    def role(self, position: int, turn: Turn) -> str:
        """What the turn at ``position`` tests."""
        if turn.status in ("clarify", "correction"):
            return turn.status
        if position == 0:
            return "first"
        if self.kind == "followup":
            return "follow-up"
        return "first" if self.kind == "clarify" else "switch"  # after a correction, a new question


@dataclass
class Score:
    n: int = 0
    right: int = 0
    entry_right: int = 0  # right entry, whatever the part

    def rate(self) -> float:
        return self.right / self.n if self.n else 0.0


@dataclass
class DialogueReport:
    by_role: dict[str, Score] = field(default_factory=lambda: defaultdict(Score))
    by_lang: dict[tuple[str, str], Score] = field(default_factory=lambda: defaultdict(Score))
    dialogues: int = 0
    confident_without_context: int = 0
    follow_ups_after_right_first: Score = field(default_factory=Score)
    misses: list[tuple[Dialogue, int, Result]] = field(default_factory=list)

    def figures(self) -> dict[str, float]:
        out: dict[str, float] = {"dialogues": float(self.dialogues)}
        for role in TURNS:
            s = self.by_role.get(role)
            if s and s.n:
                out[f"{role}.n"] = float(s.n)
                out[role] = s.rate()
        if self.follow_ups_after_right_first.n:
            out["follow-up.after_right_first"] = self.follow_ups_after_right_first.rate()
        out["confident_without_context"] = float(self.confident_without_context)
        for (role, lang), s in self.by_lang.items():
            if s.n:
                out[f"{role}.{lang}"] = s.rate()
        return out


def load_dialogues(path: Path) -> list[Dialogue]:
    """One YAML file, or every YAML file of a folder (see tests/dialogues/)."""
    path = Path(path)
    files = sorted(path.glob("*.yaml")) if path.is_dir() else [path]
    out = []
    for f in files:
        for d in yaml.safe_load(f.read_text(encoding="utf-8")) or []:
            turns = [
                Turn(str(t["q"]), t.get("id"), t.get("field"), str(t.get("status") or "answer")) for t in d["turns"]
            ]
            out.append(Dialogue(str(d["kind"]), str(d.get("lang") or "vi"), turns))
    return out


def _right(turn: Turn, r: Result) -> tuple[bool, bool]:
    """(all right, right entry)."""
    if turn.status == "clarify":
        return r.status is Status.CLARIFY, r.status is Status.CLARIFY
    if turn.status == "correction":
        return r.status is Status.CORRECTION, r.status is Status.CORRECTION
    entry = r.status is Status.ANSWER and r.entry_id == turn.id
    return entry and r.field == turn.field, entry


def evaluate_dialogues(engine: Engine, dialogues: list[Dialogue]) -> DialogueReport:
    report = DialogueReport()
    state = Dialogues()
    for chat, d in enumerate(dialogues, start=1):
        report.dialogues += 1
        first_right = False
        for position, turn in enumerate(d.turns):
            result, _before = state.reply(engine, chat, chat, turn.q, None)
            right, entry = _right(turn, result)
            role = d.role(position, turn)
            for score in (report.by_role[role], report.by_lang[(role, d.lang)]):
                score.n += 1
                score.right += right
                score.entry_right += entry
            if position == 0:
                first_right = right
            elif role == "follow-up" and first_right:
                report.follow_ups_after_right_first.n += 1
                report.follow_ups_after_right_first.right += right
            if turn.status == "clarify" and result.status is Status.ANSWER:
                report.confident_without_context += 1
            if not right:
                report.misses.append((d, position, result))
    return report


def render_dialogues(report: DialogueReport, show_failures: bool = False) -> str:
    f = report.figures()
    lines = [f"dialogues: {report.dialogues}", "", f"{'turn':<11} {'n':>4} {'right':>6} {'entry':>6}  by language"]
    for role in TURNS:
        s = report.by_role.get(role)
        if not s or not s.n:
            continue
        langs = "  ".join(
            f"{lang} {report.by_lang[(role, lang)].rate():.3f}" for lang in LANGS if report.by_lang[(role, lang)].n
        )
        lines.append(f"{role:<11} {s.n:>4} {s.rate():>6.3f} {s.entry_right / s.n:>6.3f}  {langs}")
    if "follow-up.after_right_first" in f:
        s = report.follow_ups_after_right_first
        lines.append(f"follow-ups whose first answer was right: {s.rate():.3f} ({s.right}/{s.n})")
    lines.append(f"confident answers to a part asked with nothing before: {report.confident_without_context}")
    if show_failures:
        lines += ["", "misses:"]
        for d, position, r in report.misses:
            turn = d.turns[position]
            want = turn.status if turn.status != "answer" else f"{turn.id} [{turn.field}]"
            got = f"{r.entry_id} [{r.field}]" if r.status is Status.ANSWER else f"{r.status.value}: {r.suggestions}"
            lines.append(f"  [{d.kind}/{d.lang} turn {position + 1}] {turn.q!r}: expected {want}, got {got}")
    return "\n".join(lines)
