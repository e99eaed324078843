"""The dev question set is held out, big enough, and the engine meets its floor on it."""

from __future__ import annotations

from collections import Counter, defaultdict
from pathlib import Path

import pytest

from bot.evaluation import evaluate, load_questions
from bot.text.normalize import clean, fold, tokens

DEV = Path(__file__).parent / "dev" / "questions.yaml"


@pytest.fixture(scope="module")
def questions():
    return load_questions(DEV)


def _key(text: str) -> str:
    """Compare questions as the engine would see them: no accents, case or punctuation."""
    return " ".join(fold(t) for t in tokens(clean(text)))


def test_no_dev_question_is_copied_from_the_knowledge_base(kb, questions):
    own = set()
    for e in kb.entries:
        own.update(_key(q) for q in [*e.questions.vi, *e.questions.en, e.title.vi, e.title.en])
    for langs in kb.learned.values():
        own.update(_key(q) for qs in langs.values() for q in qs)
    copied = [q.q for q in questions if _key(q.q) in own]
    assert not copied, f"dev questions found among the entries' own questions: {copied}"


def test_dev_set_covers_every_entry_in_every_variant(kb, questions):
    assert len(questions) >= 250
    assert sum(q.id is None for q in questions) >= 25
    by_id: dict[str, set[str]] = defaultdict(set)
    for q in questions:
        if q.id:
            by_id[q.id].add(q.variant)
    required = {e.id for e in kb.entries if e.id.split(".")[0] != "goal" or e.id in by_id}
    missing = sorted(i for i in required if i not in by_id)
    assert not missing, f"entries with no dev question: {missing}"
    for ident, variants in by_id.items():
        assert {"accented", "unaccented", "english"} <= variants, ident
        assert variants & {"abbreviated", "misspelled"}, ident
    assert {q.id for q in questions if q.id} <= {e.id for e in kb.entries}


def test_dev_questions_are_not_repeated(questions):
    counts = Counter(_key(q.q) for q in questions)
    assert [q for q, n in counts.items() if n > 1] == []


def test_engine_meets_its_floor_on_the_dev_set(engine, questions):
    """A regression guard at the level measured when this was written (see README: Quality)."""
    figures = evaluate(engine, questions).figures()
    assert figures["wrong_rate"] <= 0.02
    assert figures["oos_rejection"] >= 0.95
    assert figures["top1"] >= TOP1_FLOOR
    assert abs(figures["top1.accented"] - figures["top1.unaccented"]) <= 0.05


TOP1_FLOOR = 0.88
