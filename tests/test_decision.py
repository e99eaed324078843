"""The decision to answer: context does not sink it, a changed subject does, and it is explainable."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from bot.engine.calibrate import calibrate
from bot.engine.engine import Status
from bot.engine.matcher import FEATURES
from bot.knowledge.loader import load_or_raise
from bot.text.normalize import MAX_INPUT_CHARS, clean

ROOT = Path(__file__).resolve().parent.parent


@pytest.mark.parametrize(
    ("question", "expected"),
    [
        (
            "Con tôi mới sinh ở trạm y tế được hai tuần, giờ đi làm khai sinh thì cần mang những gì ạ?",
            "service.birth-registration",
        ),
        ("em chào anh chị ạ, nhà em ở bản xa, cho em hỏi làm giấy khai sinh cho con ở đâu ạ", None),
    ],
)
def test_context_around_a_question_does_not_stop_the_answer(engine, question, expected):
    result = engine.ask(question)
    assert result.status is Status.ANSWER, result.explain(engine.calibration.threshold)
    assert result.entry_id == (expected or "service.birth-registration")


@pytest.mark.parametrize(
    "question",
    [
        "giấy phép câu cá",
        "đăng ký tàu cá ở đâu",
        "giấy phép lái tàu thủy",
    ],
)
def test_a_changed_subject_is_not_answered_with_a_neighbouring_entry(engine, question):
    result = engine.ask(question)
    assert result.status is not Status.ANSWER, result.explain(engine.calibration.threshold)


@pytest.mark.parametrize(
    ("question", "expected"),
    [
        ("thủ tục ly hôn", "referral.divorce"),  # was the marital-status certificate, confidently
        ("làm hộ chiếu ở đâu", "referral.passport"),  # was the Ô Quy Hồ pass ("hộ chiếu" → "Quy Hồ")
        ("lam ho chieu o dau", "referral.passport"),
    ],
)
def test_a_procedure_another_office_handles_gets_its_where_to_go_answer(engine, question, expected):
    result = engine.ask(question)
    assert result.status is Status.ANSWER and result.entry_id == expected, result


def test_a_real_word_typed_with_accents_is_never_repaired_into_another(engine):
    analysis = engine.matcher.rank("làm hộ chiếu ở đâu").analysis
    assert "chieu" in [t.folded for t in analysis.terms]
    assert not any(t.repaired for t in analysis.terms)


def test_a_long_in_scope_question_always_gets_suggestions_at_least(engine):
    for question in [
        "Bà năm nay 78 tuổi, mắt kém, căn cước bị mất lúc đi chợ, có phải lên tận công an xã không?",
        "chau chao co, nha chau o ban xa, bo chau moi mat thang truoc, gio chau muon hoi lam giay khai tu o dau a",
        "My wife's grandmother died last week in Binh Lu, what paperwork does the family need to do?",
    ]:
        result = engine.ask(question)
        assert result.status in (Status.ANSWER, Status.SUGGEST), question
        assert result.entry_id or result.suggestions


def test_a_message_cut_to_the_limit_keeps_the_question_at_its_end():
    story = "Chào cán bộ ạ, " + "nhà em ở bản xa lắm, đường đi lại khó khăn, " * 30 + "thì cần giấy tờ gì ạ?"
    cut = clean(story)
    assert len(cut) <= MAX_INPUT_CHARS
    assert cut.startswith("chào cán bộ ạ")
    assert cut.endswith("thì cần giấy tờ gì ạ?")


def test_explain_shows_the_features_and_why(engine):
    result = engine.ask("lam cccd o dau")
    why = result.explain(engine.calibration.threshold)
    assert why["decision"] == result.status.value
    assert set(why["contributions"]) == set(FEATURES) <= set(why["features"])
    assert (why["confidence"] >= why["threshold"]) == (result.status is Status.ANSWER)


def test_ask_json_explain_from_the_command_line():
    out = subprocess.run(
        [sys.executable, "-m", "bot", "ask", "--json", "--explain"],
        input="giấy phép câu cá\n",
        capture_output=True,
        text=True,
        cwd=ROOT,
        timeout=120,
    )
    assert out.returncode == 0, out.stderr
    row = json.loads(out.stdout)
    assert row["id"] is None
    assert row["explain"]["decision"] in ("suggest", "none")
    assert "containment" in row["explain"]["features"]


def test_the_committed_calibration_is_what_kb_calibrate_writes():
    """knowledge/calibration.yaml must be reproducible by the documented command, never set by hand."""
    kb = load_or_raise(ROOT / "knowledge")
    fitted, _samples = calibrate(kb)
    committed = yaml.safe_load((ROOT / "knowledge" / "calibration.yaml").read_text(encoding="utf-8"))["params"]
    assert committed == yaml.safe_load(yaml.safe_dump(fitted.as_params())), (
        "run `python -m bot kb calibrate` and commit knowledge/calibration.yaml"
    )
