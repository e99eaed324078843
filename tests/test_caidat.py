"""/caidat end to end: officers set the commune's local details from Telegram, through the fake
Bot API and the real Application; the answers use them at once and after a restart."""

from __future__ import annotations

import html

import pytest

from tests import harness
from tests.conftest import KNOWLEDGE
from tests.harness import ADMIN, buttons

CITIZEN = 5501


@pytest.fixture
async def bot(tmp_path):
    h = await harness.start(KNOWLEDGE, tmp_path / "data")
    yield h
    await harness.stop(h)


def _data(call: dict, prefix: str) -> str:
    return next(d for _, d in buttons(call) if d.startswith(prefix))


async def _choose(bot, officer: dict, section: str, field: str) -> dict:
    menu = await bot.reply_to("/caidat", user=officer)
    assert f"o:s:{section}" in [d for _, d in buttons(menu)]
    fields = await bot.press(f"o:s:{section}", user=officer)
    assert f"o:f:{field}" in [d for _, d in buttons(fields)]
    return await bot.press(f"o:f:{field}", user=officer)


async def test_an_officer_sets_the_desk_phone_and_the_next_answer_shows_it(bot):
    officer = bot.api.user(ADMIN, "vi")
    prompt = await _choose(bot, officer, "os", "one_stop_office.phone")
    assert "Hiện tại: (chưa đặt)" in prompt["text"]
    refused = await bot.reply_to("gọi anh Sơn", user=officer)
    assert refused["text"].startswith("Chưa lưu:") and "not a phone number" in refused["text"]
    check = await bot.reply_to("0213 3876 543", user=officer)
    assert "Trước: (chưa đặt)" in check["text"] and "Sau: 0213 3876 543" in check["text"]
    saved = await bot.press("o:ok", user=officer)
    assert saved["text"].startswith("✅ Đã lưu")
    answer = await bot.reply_to("đăng ký khai sinh ở đâu", user=bot.api.user(CITIZEN, "vi"))
    assert "0213 3876 543" in answer["text"]  # no restart


async def test_a_pin_sets_a_place_with_directions_and_one_outside_the_area_is_refused(bot):
    officer = bot.api.user(ADMIN, "vi")
    prompt = await _choose(bot, officer, "pl", "locations.place.muong-lu-lake")
    assert "📎" in prompt["text"]
    chat = officer["id"]
    before = len(bot.api.sent("sendMessage", chat_id=chat))
    bot.api.push({"message": bot.api.message(user=officer, location={"latitude": 48.8566, "longitude": 2.3522})})
    (refusal,) = (await bot.api.wait_for("sendMessage", count=before + 1, chat_id=chat))[before:]
    assert "outside the commune's area" in html.unescape(refusal["text"])
    bot.api.push(
        {
            "message": bot.api.message(
                user=officer,
                location={"latitude": 22.35, "longitude": 103.62},
                venue={"location": {"latitude": 22.35, "longitude": 103.62}, "title": "Hồ", "address": "Bình Lư"},
            )
        }
    )
    check = (await bot.api.wait_for("sendMessage", count=before + 2, chat_id=chat))[before + 1]
    assert "Sau: 22.35000, 103.62000" in check["text"]
    await bot.press(_data(check, "o:ok"), user=officer)
    citizen = bot.api.user(CITIZEN, "en")
    await bot.reply_to("Where is Muong Lu lake?", user=citizen)
    (venue,) = await bot.api.wait_for("sendVenue", chat_id=CITIZEN)
    assert (venue["latitude"], venue["longitude"]) == (22.35, 103.62)
    (link,) = buttons(venue) or [("", "")]
    url = venue["reply_markup"]["inline_keyboard"][0][0]["url"]
    assert "destination=22.350000,103.620000" in url and "Directions" in link[0]


async def test_a_typed_pin_works_too_and_a_citizen_cannot_use_caidat(bot):
    citizen = bot.api.user(CITIZEN, "vi")
    refused = await bot.reply_to("/caidat", user=citizen)
    assert "cán bộ" in refused["text"]
    forged = await bot.press("o:ok", method="answerCallbackQuery", user=citizen)
    assert forged.get("show_alert") and "cán bộ" in forged["text"]
    officer = bot.api.user(ADMIN, "vi")
    await _choose(bot, officer, "pl", "locations.place.o-quy-ho-pass")
    check = await bot.reply_to("22,36, 103,70", user=officer)
    assert "Sau: 22.36000, 103.70000" in check["text"]
    assert bot.core.commune.locations == {}  # nothing until confirmed


async def test_villages_an_undo_and_a_restart_keep_everything(tmp_path):
    data = tmp_path / "data"
    h = await harness.start(KNOWLEDGE, data)
    officer = h.api.user(ADMIN, "vi")
    await _choose(h, officer, "vl", "villages")
    check = await h.reply_to("Chu Va 6, Chu Va 8, Nà Phát", user=officer)
    await h.press(_data(check, "o:ok"), user=officer)
    await _choose(h, officer, "os", "one_stop_office.hours")  # left half-way: the value comes after a restart
    api = h.api
    await harness.stop(h, keep_api=True)

    h2 = await harness.start(KNOWLEDGE, data, api=api)
    try:
        assert h2.core.commune.villages == ["Chu Va 6", "Chu Va 8", "Nà Phát"]
        check = await h2.reply_to("Sáng 7:30–11:30, chiều 13:30–17:00", user=officer)
        assert "Sau: Sáng 7:30–11:30, chiều 13:30–17:00" in check["text"]
        await h2.press(_data(check, "o:ok"), user=officer)
        history = await h2.reply_to("/caidat lichsu", user=officer)
        assert "#2" in history["text"] and "#1" in history["text"]
        undone = await h2.press("o:u:1", user=officer)
        assert undone["text"].startswith("↩ Đã hoàn tác #1")
        assert h2.core.commune.villages == []
        assert h2.core.commune.one_stop_office.hours.vi.startswith("Sáng 7:30")
        picker = await h2.reply_to("/thongbao", user=h2.api.user(CITIZEN, "vi"))
        assert "vm" not in [d for _, d in buttons(picker)]  # no villages left to subscribe to
    finally:
        await harness.stop(h2)
