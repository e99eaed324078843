"""A broadcast survives `kill -9`: after a restart every recipient gets it, and only messages that
were in flight at the kill may arrive twice."""

from __future__ import annotations

import asyncio
import signal
from collections import Counter
from pathlib import Path

from bot.app import Core
from tests.conftest import KNOWLEDGE
from tests.fakebot import TOKEN, FakeBotAPI
from tests.harness import run_bot_process

OFFICER = 4242
RECIPIENTS = list(range(20_000, 20_300))
CONCURRENCY = 8


async def start_bot(data: Path, api: FakeBotAPI) -> asyncio.subprocess.Process:
    return await run_bot_process(
        data.parent,
        TELEGRAM_BOT_TOKEN=TOKEN,
        TELEGRAM_API_BASE_URL=api.base_url,
        BOT_DATA_DIR=str(data),
        ADMIN_IDS=str(OFFICER),
        BROADCAST_RATE="60",
        BROADCAST_CONCURRENCY=str(CONCURRENCY),
        LOG_LEVEL="WARNING",
    )


def broadcast_sends(api: FakeBotAPI) -> Counter:
    wanted = {str(r) for r in RECIPIENTS}
    return Counter(str(p["chat_id"]) for p in api.sent() if str(p["chat_id"]) in wanted)


async def wait_until(check, timeout: float) -> None:
    for _ in range(int(timeout / 0.05)):
        if check():
            return
        await asyncio.sleep(0.05)
    raise AssertionError("timed out")


async def press(api: FakeBotAPI, data: str) -> None:
    n = len(api.sent("answerCallbackQuery"))
    api.press(data, user=api.user(OFFICER))
    await api.wait_for("answerCallbackQuery", count=n + 1, timeout=30)


async def test_kill_minus_nine_mid_broadcast_then_restart(tmp_path):
    data = tmp_path / "data"
    core = Core.open(KNOWLEDGE, data)
    core.db["users"].insert_all(
        ({"id": r, "language": "vi", "first_seen": "2026-01-01", "last_seen": "2026-01-01"} for r in RECIPIENTS),
        pk="id",
    )
    core.db.conn.close()

    api = FakeBotAPI()
    await api.start()
    proc = await start_bot(data, api)
    try:
        await api.wait_for("setMyCommands", count=3, timeout=60)
        officer = api.user(OFFICER)
        api.send_text("/announce", user=officer)
        await api.wait_for("sendMessage", chat_id=OFFICER, timeout=30)
        await press(api, "a:t:emergency")
        await press(api, "a:next")
        api.send_text("Cảnh báo lũ quét: sơ tán khỏi khu vực ven suối ngay", user=officer)
        await api.wait_for("sendMessage", chat_id=OFFICER, count=2, timeout=30)
        await press(api, "a:skip")
        await api.wait_for("sendMessage", chat_id=OFFICER, count=5, timeout=30)  # preview + summary
        await press(api, "a:send")

        await wait_until(lambda: sum(broadcast_sends(api).values()) >= 100, timeout=60)
        proc.send_signal(signal.SIGKILL)
        await proc.wait()
        before = sum(broadcast_sends(api).values())
        assert before < len(RECIPIENTS), "the broadcast finished before the kill; make it slower"

        proc = await start_bot(data, api)
        await wait_until(lambda: set(broadcast_sends(api)) == {str(r) for r in RECIPIENTS}, timeout=90)
        await api.wait_for_text("editMessageText", "Đã xong", chat_id=OFFICER, timeout=30)
        counts = broadcast_sends(api)
        duplicates = sum(n - 1 for n in counts.values())
        print(
            f"kill -9 after {before} sends; after restart all {len(counts)} recipients got it; "
            f"duplicates {duplicates} (in-flight window {CONCURRENCY})"
        )
        assert duplicates <= CONCURRENCY
    except AssertionError:
        if proc.returncode is None:
            proc.terminate()
        _out, err = await proc.communicate()
        print("the bot's stderr:\n" + err.decode(errors="replace")[-3000:])
        raise
    finally:
        if proc.returncode is None:
            proc.terminate()
            await proc.wait()
        await api.stop()
