"""The multi-turn dialogue dev set (tests/dialogues/): held out, big enough, and the bot meets
today's floor on it (`python -m bot eval --dialogues`)."""

from __future__ import annotations

from collections import Counter
from pathlib import Path

import pytest

from bot.evaluation_dialogues import KINDS, evaluate_dialogues, load_dialogues
from tests.test_dev_set import near_copies, own_texts

DIALOGUES = Path(__file__).parent / "dialogues"


@pytest.fixture(scope="module")
def dialogues():
    return load_dialogues(DIALOGUES)


def test_the_set_has_every_kind_of_turn_in_every_language(dialogues, kb):
    assert len(dialogues) >= 80
    kinds = Counter(d.kind for d in dialogues)
    assert set(kinds) == set(KINDS) and min(kinds.values()) >= 10, kinds
    assert {d.lang for d in dialogues} == {"vi", "unaccented", "en"}
    ids = {e.id for e in kb.entries}
    for d in dialogues:
        assert 2 <= len(d.turns) <= 3 or d.kind == "clarify", d
        for t in d.turns:
            assert t.status in ("answer", "clarify", "correction")
            assert t.status != "answer" or t.id in ids, t


def test_no_dialogue_message_is_a_near_copy_of_the_knowledge_base(dialogues, kb):
    copied = near_copies([t.q for d in dialogues for t in d.turns], own_texts(kb))
    assert not copied, copied


def test_the_bot_follows_the_conversation_at_least_as_well_as_today(dialogues, engine):
    f = evaluate_dialogues(engine, dialogues).figures()
    assert f["confident_without_context"] == 0  # a part asked with nothing before: never a random entry
    # floors: the figures measured when the set was written (the targets are 0.95; see the issue notes),
    # re-measured when 26 where-to-go entries joined the knowledge base (issue 13): more neighbours
    # make the first answer less often sure — switch 0.793 → 0.759 (one dialogue), follow-up 0.746 → 0.730;
    # a part asked after the one suggestion shown is a part of it: follow-up 0.762 → 0.810
    assert f["follow-up.after_right_first"] >= 0.95
    assert f["follow-up"] >= 0.80 and f["switch"] >= 0.75
    assert f["correction"] >= 0.95 and f["clarify"] >= 0.95
