"""Running the real Application against the fake Bot API inside a test's event loop."""

from __future__ import annotations

import asyncio
import os
import sys
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

    @staticmethod
    def _chat_of(kwargs: dict) -> int:
        chat = kwargs.get("chat") or kwargs.get("user") or FakeBotAPI.user()
        return int(chat["id"])

    async def reply_to(self, text: str, method: str = "sendMessage", **kwargs) -> dict:
        """Send ``text`` and return the bot's next ``method`` call in that same chat."""
        chat = self._chat_of(kwargs)
        before = len(self.api.sent(method, chat_id=chat))
        self.api.send_text(text, **kwargs)
        calls = await self.api.wait_for(method, count=before + 1, chat_id=chat)
        return calls[before]

    async def press(self, data: str, method: str = "sendMessage", **kwargs) -> dict:
        """Tap a button and return the bot's next ``method`` call for that tap: its answer
        (answerCallbackQuery), or its next message or edit in the presser's chat."""
        if method == "answerCallbackQuery":
            query_id = self.api.press(data, **kwargs)
            (call,) = await self.api.wait_for(method, callback_query_id=query_id)
            return call
        chat = self._chat_of({"user": kwargs.get("user")} if kwargs.get("user") else {})
        if kwargs.get("message"):
            chat = int(kwargs["message"]["chat"]["id"])
        before = len(self.api.sent(method, chat_id=chat))
        self.api.press(data, **kwargs)
        calls = await self.api.wait_for(method, count=before + 1, chat_id=chat)
        return calls[before]

    async def quiet(self) -> None:
        """Return once every update pushed so far has been taken and fully handled: proof, not a
        pause, that whatever the bot was going to send for them has been sent."""
        await quiet(self.api, self.app)

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
    settings = Settings.model_validate(
        {"token": TOKEN, "api_base_url": api.base_url, "data_dir": data, "admin_ids": (ADMIN,), **overrides}
    )
    app = build_application(core, settings)
    await app.initialize()
    await post_init(app)
    await app.updater.start_polling(poll_interval=0, timeout=1)
    await app.start()
    return Harness(api, core, app)


async def quiet(api: FakeBotAPI, app: Application) -> None:
    """Every update pushed to ``api`` so far fetched by ``app`` and handled to the end."""
    await api.fetched(api.last_update_id)
    await asyncio.wait_for(app.update_queue.join(), 10)


async def stop(h: Harness, keep_api: bool = False) -> None:
    h.api.wake()  # the long poll in progress ends now, not at its timeout
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
