"""The benchmarks in bench/ still run against today's code (their figures are printed, never asserted
here: machines are noisy). A small base and a few questions each, so that a refactoring that breaks a
benchmark shows up in the suite rather than the next time someone measures."""

from __future__ import annotations

import importlib
from pathlib import Path

import pytest

from bench import engine_bench, index_bench
from bot.evaluation import load_questions
from bot.knowledge.loader import load_or_raise
from tests.conftest import KNOWLEDGE

ROOT = Path(__file__).resolve().parent.parent


def test_the_engine_benchmark_measures_latency_and_accuracy(capsys):
    kb = load_or_raise(KNOWLEDGE)
    questions = load_questions(ROOT / "tests" / "dev")
    sample = [q for q in questions if q.id][:20] + [q for q in questions if q.id is None][:5]
    engine_bench.measure("real", kb, sample, repeats=1, trace=False)
    out = capsys.readouterr().out
    assert "latency engine: p50" in out and "ratio engine/BM25" in out
    assert "accuracy: engine top-1" in out and "BM25   top-1" in out


def test_the_generated_base_varies_its_entries():
    kb = index_bench.generated(load_or_raise(KNOWLEDGE), 150)
    assert len(kb.entries) == 150 and len({e.id for e in kb.entries}) == 150
    assert len({e.title.vi for e in kb.entries}) == 150  # each its own name, not the real ones cloned


@pytest.mark.parametrize("name", ["bench.telegram_bench", "bench.broadcast_bench"])
def test_the_other_benchmarks_import(name):
    assert hasattr(importlib.import_module(name), "main")
