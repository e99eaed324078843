"""The near-miss procedure set (tests/referrals/): questions about procedures another office
handles, worded like a commune procedure. Written from the id list only; `python -m bot eval
--questions tests/referrals` scores it."""

from __future__ import annotations

from collections import Counter
from pathlib import Path

from bot.evaluation import load_questions
from tests.test_dev_set import near_copies, own_texts

NEAR_MISS = Path(__file__).parent / "referrals"


def test_the_set_is_big_varied_and_held_out(kb):
    questions = load_questions(NEAR_MISS)
    assert len(questions) == 60
    ids = Counter(q.id for q in questions)
    assert all(i and i.startswith("referral.") for i in ids) and len(ids) >= 20
    assert sum(q.lang == "en" for q in questions) >= 12
    assert not near_copies([q.q for q in questions], own_texts(kb))
