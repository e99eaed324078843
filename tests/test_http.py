"""The HTTP clients the bot can talk to Telegram with (HTTP_CLIENT=aiohttp, the default, or httpx),
against the fake Bot API: answers, uploads, and PTB's error mapping for what goes wrong."""

from __future__ import annotations

import socket

import pytest
from telegram import Bot, InlineKeyboardButton, InlineKeyboardMarkup
from telegram.error import BadRequest, Forbidden, NetworkError, RetryAfter, TimedOut

from bot.channels.telegram import http
from tests.fakebot import TOKEN, Failure, FakeBotAPI

pytestmark = pytest.mark.parametrize("client", http.CLIENTS)


@pytest.fixture
async def api():
    fake = FakeBotAPI()
    await fake.start()
    yield fake
    await fake.stop()


def _bot(base_url: str, client: str, read_timeout: float = 5.0) -> Bot:
    request = http.make(client, connection_pool_size=4, read_timeout=read_timeout)
    return Bot(TOKEN, base_url=base_url, request=request)


async def test_messages_and_uploads_go_through(api, client):
    async with _bot(api.base_url, client) as bot:
        sent = await bot.send_message(1001, "<b>chào</b> bà con", parse_mode="HTML")
        assert sent.message_id and sent.chat.id == 1001
        await bot.send_document(1001, b"%PDF-1.4 tai lieu", filename="lich.pdf", caption="Lịch tiêm")
    (doc,) = api.sent("sendDocument")
    assert doc["document"] == b"%PDF-1.4 tai lieu" and doc["caption"] == "Lịch tiêm"


async def test_an_answer_with_its_buttons_arrives_as_sent(api, client):
    # aiohttp sends a JSON body, httpx a form: Telegram (and the fake) must read the same message
    keyboard = InlineKeyboardMarkup([[InlineKeyboardButton("Xem đầy đủ", callback_data="full:service.birth")]])
    text = "<b>Đăng ký khai sinh</b>\nLệ phí: miễn phí &amp; đúng hạn 60 ngày — 100%"
    async with _bot(api.base_url, client) as bot:
        sent = await bot.send_message(1001, text, parse_mode="HTML", reply_markup=keyboard)
    assert sent.chat.id == 1001 and sent.reply_markup == keyboard
    (call,) = api.sent("sendMessage")
    assert call["chat_id"] == 1001 and call["text"] == text and call["parse_mode"] == "HTML"
    button = {"text": "Xem đầy đủ", "callback_data": "full:service.birth"}
    assert call["reply_markup"] == {"inline_keyboard": [[button]]}


async def test_telegram_errors_keep_their_meaning(api, client):
    api.fail("sendMessage", Failure(400, "Bad Request: chat not found"))
    api.fail("sendMessage", Failure(403, "Forbidden: bot was blocked by the user"))
    api.fail("sendMessage", Failure(429, "Too Many Requests: retry after 3", retry_after=3))
    async with _bot(api.base_url, client) as bot:
        with pytest.raises(BadRequest, match=r"(?i)chat not found"):
            await bot.send_message(1001, "a")
        with pytest.raises(Forbidden, match="blocked"):
            await bot.send_message(1001, "b")
        with pytest.raises(RetryAfter) as late:
            await bot.send_message(1001, "c")
        assert late.value.retry_after == 3 or late.value.retry_after.total_seconds() == 3


async def test_a_slow_server_is_a_timeout_and_a_dropped_connection_a_network_error(api, client):
    api.delays["sendMessage"] = 1.5
    async with _bot(api.base_url, client, read_timeout=0.3) as bot:
        with pytest.raises(TimedOut):
            await bot.send_message(1001, "slow")
        api.delays.clear()
        api.drops.append("sendMessage")
        with pytest.raises(NetworkError) as dropped:
            await bot.send_message(1001, "dropped")
        assert not isinstance(dropped.value, TimedOut)
        assert (await bot.send_message(1001, "again")).text == "again"  # the pool recovers


async def test_nobody_listening_is_a_network_error(client):
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    bot = _bot(f"http://127.0.0.1:{port}/bot", client)
    await bot._request[1].initialize()  # not `async with bot`: that asks getMe first
    try:
        with pytest.raises(NetworkError):
            await bot.send_message(1001, "nobody")
    finally:
        await bot._request[1].shutdown()
