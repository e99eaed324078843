"""Running the real Application against the fake Bot API inside a test's event loop."""

from __future__ import annotations

import asyncio
import os
import sys
from dataclasses import replace
from pathlib import Path

from telegram.ext import Application

from bot.app import Core
from bot.channels.telegram.main import build_application, post_init, post_stop
from bot.settings import Settings
from tests.fakebot import TOKEN, FakeBotAPI

ADMIN = 9001
OFFICER = 9002


class Harness:
    def __init__(self, api: FakeBotAPI, core: Core, app: Application) -> None:
        self.api = api
        self.core = core
        self.app = app

    async def reply_to(self, text: str, method: str = "sendMessage", **kwargs) -> dict:
        before = len(self.api.sent(method))
        self.api.send_text(text, **kwargs)
        calls = await self.api.wait_for(method, count=before + 1)
        return calls[before]

    async def press(self, data: str, method: str = "sendMessage", **kwargs) -> dict:
        before = len(self.api.sent(method))
        self.api.press(data, **kwargs)
        calls = await self.api.wait_for(method, count=before + 1)
        return calls[before]

    def seed_users(self, ids, language: str = "vi") -> None:
        self.core.db["users"].insert_all(
            ({"id": i, "language": language, "first_seen": "2026-01-01", "last_seen": "2026-01-01"} for i in ids),
            pk="id",
            replace=True,
        )


async def start(knowledge: Path, data: Path, api: FakeBotAPI | None = None, **overrides) -> Harness:
    if api is None:
        api = FakeBotAPI()
        await api.start()
    core = Core.open(knowledge, data)
    settings = replace(Settings(token=TOKEN, api_base_url=api.base_url, data_dir=data, admin_ids=(ADMIN,)), **overrides)
    app = build_application(core, settings)
    await app.initialize()
    await post_init(app)
    await app.updater.start_polling(poll_interval=0, timeout=1)
    await app.start()
    return Harness(api, core, app)


async def stop(h: Harness, keep_api: bool = False) -> None:
    await h.app.updater.stop()
    await post_stop(h.app)
    await h.app.stop()
    await h.app.shutdown()
    if not keep_api:
        await h.api.stop()


def buttons(call: dict) -> list[tuple[str, str]]:
    markup = call.get("reply_markup") or {}
    return [(b["text"], b.get("callback_data", "")) for row in markup.get("inline_keyboard", []) for b in row]


async def run_bot_process(cwd: Path, stdout: int = asyncio.subprocess.DEVNULL, **env: str):
    """`python -m bot run` as its own process, with this environment minus any Telegram/webhook
    settings of the machine, plus ``env``. stderr is piped, for the tests to read."""
    full = {k: v for k, v in os.environ.items() if not k.startswith(("TELEGRAM_", "WEBHOOK_"))}
    full.update(env)
    return await asyncio.create_subprocess_exec(
        sys.executable, "-m", "bot", "run", cwd=cwd, env=full, stdout=stdout, stderr=asyncio.subprocess.PIPE
    )
