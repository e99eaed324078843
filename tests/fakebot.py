"""A fake Telegram Bot API server on 127.0.0.1, for end-to-end tests of the real Application.

The bot's real HTTP client talks to it through ``ApplicationBuilder.base_url``. It records
every call, serves scripted updates to getUpdates (long polling included), and can be
scripted to fail: 429 with retry_after, 403, 400, 5xx, or slow replies.

It is as strict as Telegram where a bot can go wrong: a method it does not know is a 404;
HTML is parsed with Telegram's rules (supported tags only, every tag closed, entities escaped)
and a text that breaks them is a 400 "can't parse entities"; texts longer than 4096 characters,
captions over 1024, callback data over 64 bytes and callback answers over 200 characters are
refused as Telegram refuses them.
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import json
import time
from dataclasses import dataclass, field
from typing import Any

from aiohttp import web

from tests.telegram_html import HTMLError, parse_html, utf16_len

TOKEN = "123456:TEST-token-abcdefghijklmnopqrstuvwxyz"
BOT_USER = {
    "id": 123456,
    "is_bot": True,
    "first_name": "Bình Lư",
    "username": "binhlu_test_bot",
    "can_join_groups": True,
    "can_read_all_group_messages": False,
    "supports_inline_queries": True,
}


@dataclass
class Call:
    method: str
    params: dict[str, Any]
    at: float = field(default_factory=time.monotonic)
    status: int = 200
    result: Any = None  # what the fake answered (the sent message, for sendMessage)


@dataclass
class Failure:
    status: int
    description: str
    retry_after: int | None = None
    migrate_to_chat_id: int | None = None


def _decode(value: str) -> Any:
    try:
        return json.loads(value)
    except (ValueError, TypeError):
        return value


class FakeBotAPI:
    def __init__(self) -> None:
        self.calls: list[Call] = []
        self.updates: list[dict[str, Any]] = []
        self.failures: dict[str, list[Failure]] = {}
        self.chat_failures: dict[str, list[Failure]] = {}  # chat id → failures for sends to it
        self.delays: dict[str, float] = {}
        self.drops: list[str] = []  # methods whose next call has its connection dropped, unanswered
        self._update_ids = itertools.count(1)
        self.acked = 0  # the highest update id the bot has confirmed (by asking for the next offset)
        self._acked = asyncio.Condition()
        self._message_ids = itertools.count(1000)
        self._new_call = asyncio.Condition()
        self._new_update = asyncio.Event()
        self.runner: web.AppRunner | None = None
        self.port = 0
        # rate limits like Telegram's, off by default: messages per second overall, and per chat
        self.global_limit: float | None = None
        self.chat_limit: int | None = None  # messages per second to one chat (short bursts happen)
        self.too_many = 0  # 429s answered because of the limits
        self._recent: list[float] = []
        self._chat_recent: dict[str, list[float]] = {}

    # --- lifecycle ---------------------------------------------------------------------
    async def start(self) -> None:
        app = web.Application()
        app.router.add_route("POST", "/bot{token}/{method}", self._handle)
        app.router.add_route("GET", "/bot{token}/{method}", self._handle)
        self.runner = web.AppRunner(app, access_log=None)
        await self.runner.setup()
        site = web.TCPSite(self.runner, "127.0.0.1", 0)
        await site.start()
        self.port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]

    async def stop(self) -> None:
        if self.runner:
            await self.runner.cleanup()

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}/bot"

    # --- scripting -----------------------------------------------------------------------
    def fail(self, method: str, *failures: Failure) -> None:
        self.failures.setdefault(method, []).extend(failures)

    def push(self, update: dict[str, Any]) -> int:
        update_id = next(self._update_ids)
        self.updates.append({"update_id": update_id, **update})
        self._new_update.set()
        return update_id

    def wake(self) -> None:
        """End any long poll now (before the bot stops, so that stopping does not wait for it)."""
        self._new_update.set()

    async def fetched(self, update_id: int, timeout: float = 10.0) -> None:
        """Wait until the bot has taken every update up to ``update_id`` into its queue."""
        async with self._acked:
            await asyncio.wait_for(self._acked.wait_for(lambda: self.acked >= update_id), timeout)

    @property
    def last_update_id(self) -> int:
        return self.updates[-1]["update_id"] if self.updates else self.acked

    @staticmethod
    def user(user_id: int = 1001, language_code: str | None = "vi", first_name: str = "An") -> dict[str, Any]:
        u = {"id": user_id, "is_bot": False, "first_name": first_name}
        if language_code:
            u["language_code"] = language_code
        return u

    def message(self, text: str | None = None, user: dict | None = None, chat: dict | None = None, **extra) -> dict:
        user = user or self.user()
        chat = chat or {"id": user["id"], "type": "private", "first_name": user["first_name"]}
        msg: dict[str, Any] = {
            "message_id": next(self._message_ids),
            "date": int(time.time()),
            "chat": chat,
            "from": user,
            **extra,
        }
        if text is not None:
            msg["text"] = text
            if text.startswith("/"):
                msg["entities"] = [{"type": "bot_command", "offset": 0, "length": len(text.split()[0])}]
        return msg

    def send_text(self, text: str, **kwargs) -> int:
        return self.push({"message": self.message(text, **kwargs)})

    def press(self, data: str, user: dict | None = None, message: dict | None = None) -> str:
        """A tap on an inline button; returns the callback query id (answerCallbackQuery names it)."""
        user = user or self.user()
        message = message or self.message("…", user=BOT_USER, chat={"id": user["id"], "type": "private"})
        query_id = str(next(self._message_ids))
        self.push(
            {
                "callback_query": {
                    "id": query_id,
                    "from": user,
                    "data": data,
                    "chat_instance": "1",
                    "message": message,
                }
            }
        )
        return query_id

    def inline(self, query: str, user: dict | None = None) -> int:
        return self.push(
            {
                "inline_query": {
                    "id": str(next(self._message_ids)),
                    "from": user or self.user(),
                    "query": query,
                    "offset": "",
                }
            }
        )

    # --- reading what the bot did --------------------------------------------------------------
    def sent(self, method: str = "sendMessage", chat_id: int | None = None) -> list[dict[str, Any]]:
        """Successful calls of ``method`` (to ``chat_id``); refused ones (429, 403…) are not counted."""
        return [
            c.params
            for c in self.calls
            if c.method == method
            and c.status == 200
            and (chat_id is None or str(c.params.get("chat_id")) == str(chat_id))
        ]

    async def wait_for(self, method: str, count: int = 1, timeout: float = 10.0, **match: Any) -> list[dict]:
        """Wait until at least ``count`` calls of ``method`` whose params include ``match``."""

        def found() -> list[dict]:
            return [
                c.params
                for c in self.calls
                if c.method == method
                and c.status == 200
                and all(str(c.params.get(k)) == str(v) for k, v in match.items())
            ]

        deadline = time.monotonic() + timeout
        async with self._new_call:
            while len(found()) < count:
                left = deadline - time.monotonic()
                if left <= 0:
                    raise AssertionError(
                        f"timed out waiting for {count} {method} {match}; calls: {[c.method for c in self.calls]}"
                    )
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(self._new_call.wait(), left)
        return found()

    async def wait_for_text(self, method: str, contains: str, timeout: float = 10.0, **match: Any) -> dict:
        """Wait for a successful ``method`` call whose text (or caption) contains ``contains``."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            for c in self.calls:
                if (
                    c.method == method
                    and c.status == 200
                    and all(str(c.params.get(k)) == str(v) for k, v in match.items())
                    and contains in str(c.params.get("text", c.params.get("caption", "")))
                ):
                    return c.params
            await asyncio.sleep(0.05)
        raise AssertionError(f"no {method} containing {contains!r} {match}")

    # --- the API -------------------------------------------------------------------------------
    async def _handle(self, request: web.Request) -> web.Response:
        arrived = time.monotonic()
        method = request.match_info["method"]
        if request.match_info["token"] != TOKEN:
            return web.json_response({"ok": False, "error_code": 401, "description": "Unauthorized"}, status=401)
        if request.content_type == "application/json":
            params = await request.json()
        else:
            form = await request.post()
            params = {k: (_decode(v) if isinstance(v, str) else v.file.read()) for k, v in form.items()}
        if self.delays.get(method):
            await asyncio.sleep(self.delays[method])
        if method in self.drops:  # the connection goes away mid-request, as a flaky network does
            self.drops.remove(method)
            if request.transport is not None:
                request.transport.abort()
            raise asyncio.CancelledError
        response = (
            self._unknown(method)
            or self._invalid(method, params)
            or self._scripted_failure(method, params)
            or self._rate_limited(method, params)
        )
        result = None
        if response is None:
            handler = getattr(self, f"api_{method}", None)
            result = await handler(params) if handler else True
            response = web.json_response({"ok": True, "result": result})
        if method != "getUpdates":
            self.calls.append(Call(method, params, at=arrived, status=response.status, result=result))
            async with self._new_call:
                self._new_call.notify_all()
        return response

    #: the methods this fake knows (a real bot may call more; add them here as the bot starts to)
    KNOWN = frozenset(
        {
            "getMe", "getUpdates", "logOut", "close", "setWebhook", "deleteWebhook", "getWebhookInfo",
            "sendMessage", "sendPhoto", "sendDocument", "sendVenue", "sendLocation", "sendChatAction",
            "editMessageText", "editMessageReplyMarkup", "editMessageCaption", "deleteMessage",
            "answerCallbackQuery", "answerInlineQuery", "setMyCommands", "getMyCommands",
            "setChatMenuButton", "getChatMenuButton", "getChat", "getFile",
        }
    )  # fmt: skip

    @staticmethod
    def _error(status: int, description: str) -> web.Response:
        return web.json_response({"ok": False, "error_code": status, "description": description}, status=status)

    def _unknown(self, method: str) -> web.Response | None:
        # Telegram matches method names case-insensitively, and answers 404 to any other
        if method.lower() in {m.lower() for m in self.KNOWN}:
            return None
        return self._error(404, "Not Found")

    def _invalid(self, method: str, params: dict) -> web.Response | None:
        """Telegram's checks of what is sent: HTML, lengths, callback data."""
        field, limit = ("caption", 1024) if "caption" in params else ("text", 4096)
        value = params.get(field)
        if method in ("sendMessage", "editMessageText") and not str(value or "").strip():
            return self._error(400, "Bad Request: message text is empty")
        if isinstance(value, str):
            plain = value
            if str(params.get("parse_mode", "")).lower() == "html":
                try:
                    plain = parse_html(value)
                except HTMLError as exc:
                    return self._error(400, f"Bad Request: can't parse entities: {exc}")
            if utf16_len(plain) > limit:
                which = "message is too long" if field == "text" else "message caption is too long"
                return self._error(400, f"Bad Request: {which}")
        if method == "answerCallbackQuery" and utf16_len(str(params.get("text") or "")) > 200:
            return self._error(400, "Bad Request: MESSAGE_TOO_LONG")
        markup = params.get("reply_markup")
        if isinstance(markup, dict):
            for row in markup.get("inline_keyboard", []):
                for button in row:
                    if len(str(button.get("callback_data", "")).encode()) > 64:
                        return self._error(400, "Bad Request: BUTTON_DATA_INVALID")
                    if not str(button.get("text", "")).strip():
                        return self._error(400, "Bad Request: text buttons are unallowed in the inline keyboard")
        return None

    def fail_chat(self, chat_id: int, *failures: Failure) -> None:
        """Script the next sends to ``chat_id`` to fail, in order."""
        self.chat_failures.setdefault(str(chat_id), []).extend(failures)

    def _scripted_failure(self, method: str, params: dict) -> web.Response | None:
        queue = self.failures.get(method)
        if method in ("sendMessage", "sendPhoto") and self.chat_failures.get(str(params.get("chat_id"))):
            queue = self.chat_failures[str(params.get("chat_id"))]
        if not queue:
            return None
        failure = queue.pop(0)
        body: dict[str, Any] = {"ok": False, "error_code": failure.status, "description": failure.description}
        extra = {}
        if failure.retry_after is not None:
            extra["retry_after"] = failure.retry_after
        if failure.migrate_to_chat_id is not None:
            extra["migrate_to_chat_id"] = failure.migrate_to_chat_id
        if extra:
            body["parameters"] = extra
        return web.json_response(body, status=failure.status)

    SENDING = ("sendMessage", "sendPhoto", "sendVenue", "editMessageText", "deleteMessage")

    def _rate_limited(self, method: str, params: dict) -> web.Response | None:
        if method not in self.SENDING:
            return None
        now = time.monotonic()
        if self.global_limit is not None:
            self._recent = [t for t in self._recent if now - t < 1.0]
            if len(self._recent) >= self.global_limit:
                return self._too_many()
        chat = str(params.get("chat_id"))
        if self.chat_limit is not None and method in ("sendMessage", "sendPhoto"):
            recent = [t for t in self._chat_recent.get(chat, []) if now - t < 1.0]
            if len(recent) >= self.chat_limit:
                return self._too_many()
            self._chat_recent[chat] = [*recent, now]
        if self.global_limit is not None:
            self._recent.append(now)
        return None

    def _too_many(self) -> web.Response:
        self.too_many += 1
        body = {
            "ok": False,
            "error_code": 429,
            "description": "Too Many Requests: retry after 1",
            "parameters": {"retry_after": 1},
        }
        return web.json_response(body, status=429)

    async def api_getMe(self, params: dict) -> dict:
        return BOT_USER

    async def api_getUpdates(self, params: dict) -> list[dict]:
        offset = int(params.get("offset") or 0)
        timeout = min(float(params.get("timeout") or 0), 1.0)
        if offset - 1 > self.acked:
            async with self._acked:
                self.acked = offset - 1
                self._acked.notify_all()
        self.updates = [u for u in self.updates if u["update_id"] >= offset]
        if not self.updates and timeout:
            self._new_update.clear()
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._new_update.wait(), timeout)
        return [u for u in self.updates if u["update_id"] >= offset]

    def _sent_message(self, params: dict, **content: Any) -> dict:
        chat_id = params.get("chat_id")
        markup = params.get("reply_markup")
        if isinstance(markup, dict) and "inline_keyboard" in markup:  # Telegram gives an inline keyboard back
            content.setdefault("reply_markup", markup)
        return {
            "message_id": next(self._message_ids),
            "date": int(time.time()),
            "chat": {"id": chat_id, "type": "private" if isinstance(chat_id, int) and chat_id > 0 else "group"},
            "from": BOT_USER,
            **content,
        }

    async def api_sendMessage(self, params: dict) -> dict:
        return self._sent_message(params, text=str(params.get("text", "")))

    async def api_sendPhoto(self, params: dict) -> dict:
        return self._sent_message(params, photo=[{"file_id": "p", "file_unique_id": "p", "width": 1, "height": 1}])

    async def api_sendDocument(self, params: dict) -> dict:
        return self._sent_message(params, document={"file_id": "d", "file_unique_id": "d"})

    async def api_sendVenue(self, params: dict) -> dict:
        loc = {"latitude": params["latitude"], "longitude": params["longitude"]}
        return self._sent_message(
            params, venue={"location": loc, "title": params["title"], "address": params["address"]}, location=loc
        )

    async def api_editMessageText(self, params: dict) -> dict:
        return self._sent_message(params, text=str(params.get("text", "")))

    async def api_deleteMessage(self, params: dict) -> bool:
        return True

    async def api_editMessageReplyMarkup(self, params: dict) -> dict:
        return self._sent_message(params, text="…")


# --- running it as a process of its own (benchmarks) ------------------------------------------------
class ControlledFake(FakeBotAPI):
    """The fake server plus /_control endpoints, so another process can script and read it."""

    async def start(self, port: int = 0) -> None:  # type: ignore[override]
        app = web.Application()
        app.router.add_route("POST", "/_control/push", self._push)
        app.router.add_route("POST", "/_control/push_many", self._push_many)
        app.router.add_route("GET", "/_control/calls", self._calls)
        app.router.add_route("POST", "/_control/config", self._config)
        app.router.add_route("POST", "/bot{token}/{method}", self._handle)
        self.runner = web.AppRunner(app, access_log=None)
        await self.runner.setup()
        site = web.TCPSite(self.runner, "127.0.0.1", port)
        await site.start()
        self.port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]

    async def _push(self, request: web.Request) -> web.Response:
        update = await request.json()
        if "text" in update:  # shorthand: {"text": ..., "user_id": ...}
            update = {"message": self.message(update["text"], user=self.user(update["user_id"]))}
        return web.json_response({"update_id": self.push(update)})

    async def _push_many(self, request: web.Request) -> web.Response:
        """[{"text", "user_id"}, ...] pushed at once; returns the server's monotonic time of the push."""
        for item in await request.json():
            self.push({"message": self.message(item["text"], user=self.user(item["user_id"]))})
        return web.json_response({"at": time.monotonic()})

    async def _calls(self, request: web.Request) -> web.Response:
        since = int(request.query.get("since", 0))
        rows = [
            {"method": c.method, "chat_id": c.params.get("chat_id"), "status": c.status, "at": c.at}
            for c in self.calls[since:]
        ]
        return web.json_response({"calls": rows, "next": since + len(rows)})

    async def _config(self, request: web.Request) -> web.Response:
        for key, value in (await request.json()).items():
            if key in ("global_limit", "chat_limit"):
                setattr(self, key, value)
        return web.json_response({"ok": True})


async def _serve_forever(port: int) -> None:
    fake = ControlledFake()
    await fake.start(port)
    print(fake.port, flush=True)
    await asyncio.Event().wait()


if __name__ == "__main__":
    import sys

    asyncio.run(_serve_forever(int(sys.argv[1]) if len(sys.argv) > 1 else 0))
