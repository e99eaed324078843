"""The fake Bot API is as strict as Telegram where the bot can go wrong."""

from __future__ import annotations

import pytest
from aiohttp import ClientSession

from tests.fakebot import TOKEN, FakeBotAPI
from tests.telegram_html import HTMLError, parse_html


@pytest.mark.parametrize(
    "html, plain",
    [
        ("<b>Giấy tờ</b> &amp; lệ phí", "Giấy tờ & lệ phí"),
        ('<a href="https://dichvucong.gov.vn">DVC</a> 5 &lt; 6', "DVC 5 < 6"),
        ("<i>a <b>b</b></i> &#128161; &#x1F4A1;", "a b 💡 💡"),
        ("Tom & Jerry > mèo", "Tom & Jerry > mèo"),
        ('<span class="tg-spoiler">x</span><blockquote expandable>y</blockquote>', "xy"),
    ],
)
def test_telegram_html_that_parses(html, plain):
    assert parse_html(html) == plain


@pytest.mark.parametrize(
    "html, error",
    [
        ("<br>", 'Unsupported start tag "br"'),
        ("<b>đậm", "Can't find end tag"),
        ("<b><i>x</b></i>", "Unmatched end tag"),
        ("a < b", "Unsupported start tag"),
        ("</b>", "Unexpected end tag"),
        ("<span>x</span>", 'must have class "tg-spoiler"'),
        ("<script>alert(1)</script>", 'Unsupported start tag "script"'),
    ],
)
def test_telegram_html_that_telegram_refuses(html, error):
    with pytest.raises(HTMLError, match=error):
        parse_html(html)


@pytest.fixture
async def api():
    fake = FakeBotAPI()
    await fake.start()
    yield fake
    await fake.stop()


async def _call(api: FakeBotAPI, method: str, **params) -> tuple[int, dict]:
    async with ClientSession() as s, s.post(f"{api.base_url}{TOKEN}/{method}", json=params) as r:
        return r.status, await r.json()


async def test_unknown_methods_are_404_like_telegram(api):
    status, body = await _call(api, "sendTelepathy", chat_id=1, text="x")
    assert status == 404 and body == {"ok": False, "error_code": 404, "description": "Not Found"}
    status, _ = await _call(api, "sendmessage", chat_id=1, text="x")  # names are case-insensitive
    assert status == 200


async def test_bad_html_and_lengths_are_refused(api):
    status, body = await _call(api, "sendMessage", chat_id=1, text="<b>x", parse_mode="HTML")
    assert status == 400 and "can't parse entities" in body["description"]
    assert (await _call(api, "sendMessage", chat_id=1, text="<b>x", parse_mode=""))[0] == 200  # not HTML: fine
    assert (await _call(api, "sendMessage", chat_id=1, text="x" * 4097))[0] == 400
    assert (await _call(api, "sendMessage", chat_id=1, text="&amp;" * 4096, parse_mode="HTML"))[0] == 200
    assert (await _call(api, "sendMessage", chat_id=1, text="😀" * 2049))[0] == 400  # UTF-16 units
    assert (await _call(api, "sendPhoto", chat_id=1, photo="p", caption="c" * 1025))[0] == 400
    assert (await _call(api, "sendMessage", chat_id=1, text=" "))[0] == 400
    keyboard = {"inline_keyboard": [[{"text": "a", "callback_data": "d" * 65}]]}
    assert (await _call(api, "sendMessage", chat_id=1, text="x", reply_markup=keyboard))[0] == 400
    assert (await _call(api, "answerCallbackQuery", callback_query_id="1", text="t" * 201))[0] == 400
    refused = [c for c in api.calls if c.status != 200]
    assert len(refused) == 7
