"""`python -m bot run` as a deployer meets it: clear one-line errors, polling, webhook, no token in logs."""

from __future__ import annotations

import asyncio
import json
import socket
from pathlib import Path

import aiohttp
import pytest

from tests.fakebot import TOKEN, Failure, FakeBotAPI
from tests.harness import run_bot_process

ROOT = Path(__file__).resolve().parent.parent


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


async def start_bot(tmp_path: Path, **env: str) -> asyncio.subprocess.Process:
    defaults = {"BOT_DATA_DIR": str(tmp_path / "data"), "LOG_LEVEL": "INFO"}
    return await run_bot_process(tmp_path, asyncio.subprocess.PIPE, **{**defaults, **env})


async def finish(proc: asyncio.subprocess.Process, timeout: float = 30) -> tuple[int, str]:
    _out, err = await asyncio.wait_for(proc.communicate(), timeout)
    return proc.returncode, err.decode()


async def test_missing_token_is_one_clear_line(tmp_path):
    code, err = await finish(await start_bot(tmp_path))
    assert code == 2
    assert err.strip().count("\n") == 0 and "TELEGRAM_BOT_TOKEN is not set" in err


async def test_malformed_setting_names_it(tmp_path):
    code, err = await finish(await start_bot(tmp_path, TELEGRAM_BOT_TOKEN=TOKEN, WEBHOOK_PORT="eighty"))
    assert code == 2 and "WEBHOOK_PORT" in err and "Traceback" not in err


async def test_token_from_dotenv_and_rejected_token_is_explained(tmp_path):
    api = FakeBotAPI()
    await api.start()
    try:
        wrong = "999999:WRONG-token-abcdefghijklmnopqrstuv"
        (tmp_path / ".env").write_text(f"TELEGRAM_BOT_TOKEN={wrong}\nTELEGRAM_API_BASE_URL={api.base_url}\n")
        code, err = await finish(await start_bot(tmp_path))
        assert code == 2
        assert "rejected TELEGRAM_BOT_TOKEN" in err and "Traceback" not in err
        assert wrong not in err and wrong.split(":")[1] not in err
    finally:
        await api.stop()


@pytest.mark.parametrize("level", ["DEBUG", "INFO"])
async def test_polling_answers_and_the_token_never_reaches_the_log(tmp_path, level):
    api = FakeBotAPI()
    await api.start()
    proc = await start_bot(tmp_path, TELEGRAM_BOT_TOKEN=TOKEN, TELEGRAM_API_BASE_URL=api.base_url, LOG_LEVEL=level)
    try:
        await api.wait_for("setMyCommands", count=3, timeout=30)
        api.send_text("lam cccd o dau")
        (reply,) = await api.wait_for("sendMessage", timeout=30)
        assert "căn cước" in reply["text"].lower()
    finally:
        proc.terminate()
        code, err = await finish(proc)
        await api.stop()
    assert code == 0, err
    assert TOKEN not in err and TOKEN.split(":")[1] not in err
    assert "<redacted>" in err or level == "INFO"  # at DEBUG httpx logs URLs: redacted
    if level == "INFO":
        assert "lam cccd" not in err and "1001" not in err  # no message text, no user id at INFO


async def test_a_second_poller_is_explained_not_looped_on(tmp_path):
    api = FakeBotAPI()
    await api.start()
    api.fail("getUpdates", *[Failure(409, "Conflict: terminated by other getUpdates request")] * 50)
    try:
        code, err = await finish(
            await start_bot(tmp_path, TELEGRAM_BOT_TOKEN=TOKEN, TELEGRAM_API_BASE_URL=api.base_url)
        )
    finally:
        await api.stop()
    assert code == 3
    assert "already polling" in err and "Traceback" not in err


async def test_webhook_mode_checks_the_secret_and_answers(tmp_path):
    api = FakeBotAPI()
    await api.start()
    port = free_port()
    secret = "s3cret-for-tests"
    proc = await start_bot(
        tmp_path,
        TELEGRAM_BOT_TOKEN=TOKEN,
        TELEGRAM_API_BASE_URL=api.base_url,
        WEBHOOK_URL="https://bot.example.org/hook",
        WEBHOOK_SECRET=secret,
        WEBHOOK_LISTEN="127.0.0.1",
        WEBHOOK_PORT=str(port),
    )
    try:
        (hook,) = await api.wait_for("setWebhook", timeout=30)
        assert hook["url"] == "https://bot.example.org/hook/telegram" and hook["secret_token"] == secret
        update = {"update_id": 1, "message": api.message("xin chào")}
        url = f"http://127.0.0.1:{port}/telegram"
        async with aiohttp.ClientSession() as http:
            for _ in range(50):
                try:
                    async with http.post(url, json=update, headers={"X-Telegram-Bot-Api-Secret-Token": "no"}) as r:
                        assert r.status == 403
                    break
                except aiohttp.ClientConnectorError:
                    await asyncio.sleep(0.2)
            async with http.post(
                url,
                data=json.dumps(update),
                headers={"X-Telegram-Bot-Api-Secret-Token": secret, "Content-Type": "application/json"},
            ) as r:
                assert r.status == 200
        (reply,) = await api.wait_for("sendMessage", timeout=30)
        assert reply["text"]
    finally:
        proc.terminate()
        await finish(proc)
        await api.stop()
