"""Shared fixtures: the bundled knowledge base, loaded once per session."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

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
