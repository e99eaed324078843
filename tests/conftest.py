"""Shared fixtures: the bundled knowledge base, loaded once per session."""

from __future__ import annotations

import hashlib
import pickle
import shutil
from pathlib import Path

import pytest

import bot.app
from bot.app import Core
from bot.engine.engine import Engine
from bot.engine.matcher import Calibration
from bot.knowledge.loader import KnowledgeBase, load_or_raise

ROOT = Path(__file__).resolve().parent.parent
KNOWLEDGE = ROOT / "knowledge"


@pytest.fixture(scope="session")
def kb() -> KnowledgeBase:
    return load_or_raise(KNOWLEDGE)


@pytest.fixture(scope="session")
def engine(kb: KnowledgeBase) -> Engine:
    return Engine(kb, Calibration.from_params(kb.calibration))


@pytest.fixture
def knowledge_copy(tmp_path: Path) -> Path:
    """A writable copy of the bundled knowledge folder."""
    dest = tmp_path / "knowledge"
    shutil.copytree(KNOWLEDGE, dest)
    return dest


@pytest.fixture
def core(tmp_path: Path) -> Core:
    return Core.open(KNOWLEDGE, tmp_path / "data")


@pytest.fixture(scope="session", autouse=True)
def engines_built_once_per_knowledge():
    """Every test opens its own Core, database and all; the engine's index, which depends only on
    the knowledge, is built once per distinct knowledge base in the run (a copy whose YAML was
    changed gets its own)."""
    build = bot.app._engine
    built: dict[str, Engine] = {}

    def cached(kb: KnowledgeBase, db: object = None) -> Engine:  # the store's snapshot: tests/test_snapshot.py
        key = hashlib.sha256(pickle.dumps(kb)).hexdigest()
        if key not in built:
            built[key] = build(kb)
        return built[key]

    cached.__wrapped__ = build  # type: ignore[attr-defined]  # (for a test that needs an engine of its own)

    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(bot.app, "_engine", cached)
        yield
