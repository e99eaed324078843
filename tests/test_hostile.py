"""Whatever people type: the engine and the handlers answer or stay deliberately silent, never crash."""

from __future__ import annotations

import asyncio
import logging

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bot.engine.engine import Status
from bot.services.flood import FloodGuard, Verdict
from tests import harness
from tests.conftest import KNOWLEDGE

nasty = st.one_of(
    st.text(max_size=300),
    st.text(alphabet=st.characters(min_codepoint=0, max_codepoint=0x1F), max_size=50),  # control characters
    st.text(alphabet=st.sampled_from("đĐăâêôơưáàảãạ \u0300\u0301\u0303\u0309\u0323<>&\"'"), max_size=80),
    st.builds(lambda s, n: s * n, st.text(min_size=1, max_size=20), st.integers(100, 2000)),  # huge
)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(nasty)
def test_engine_never_crashes_and_always_decides(engine, text):
    result = engine.ask(text)
    assert result.status in Status
    assert 0.0 <= result.confidence <= 1.0
    assert result.lang in ("vi", "en")
    assert len(result.suggestions) <= 3
    if result.status is Status.ANSWER:
        assert engine.entry(result.entry_id) is not None


class ErrorCounter(logging.Handler):
    def __init__(self) -> None:
        super().__init__(logging.ERROR)
        self.records: list[logging.LogRecord] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.records.append(record)


def test_handlers_answer_arbitrary_text(tmp_path):
    """Every text message gets a reply; nothing reaches the error handler."""
    loop = asyncio.new_event_loop()
    h = loop.run_until_complete(harness.start(KNOWLEDGE, tmp_path / "data", flood_limit=10_000))
    errors = ErrorCounter()
    logging.getLogger().addHandler(errors)
    counter = iter(range(50_000, 60_000))

    async def one(text: str) -> None:
        chat = next(counter)
        h.api.send_text(text, user=h.api.user(chat, "vi"))
        (reply,) = await h.api.wait_for("sendMessage", chat_id=chat, timeout=20)
        assert reply["text"].strip()
        assert "<script" not in reply["text"].lower()

    @settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
    @given(
        st.one_of(
            st.text(min_size=1, max_size=200).filter(lambda s: s.strip() and not s.startswith("/")),
            st.just("<script>alert(1)</script><b>x</b>"),
            st.just("đăng ký khai sinh " * 400),
        )
    )
    def prop(text: str) -> None:
        loop.run_until_complete(one(text[:4096]))

    try:
        prop()
        assert errors.records == []
    finally:
        logging.getLogger().removeHandler(errors)
        loop.run_until_complete(harness.stop(h))
        loop.close()


def test_flood_guard_notices_once_then_stays_quiet_until_calm():
    guard = FloodGuard(limit=3, window=60)
    verdicts = [guard.check(1, now=t) for t in (0, 1, 2, 3, 4, 5)]
    assert verdicts == [Verdict.OK] * 3 + [Verdict.NOTICE, Verdict.SILENT, Verdict.SILENT]
    assert guard.check(2, now=5) is Verdict.OK  # others are not affected
    assert guard.check(1, now=61) is Verdict.OK  # calm again


@pytest.fixture
async def bot(tmp_path):
    h = await harness.start(KNOWLEDGE, tmp_path / "data", flood_limit=5)
    yield h
    await harness.stop(h)


async def test_a_flooding_user_gets_one_notice_then_silence(bot):
    user = bot.api.user(4444, "vi")
    for _ in range(9):
        bot.api.send_text("xin chào", user=user)
    await bot.quiet()
    replies = bot.api.sent(chat_id=4444)
    assert len(replies) == 6
    assert sum("rất nhanh" in r["text"] for r in replies) == 1
    other = await bot.reply_to("lam cccd o dau", user=bot.api.user(4445, "vi"))
    assert "căn cước" in other["text"].lower()
