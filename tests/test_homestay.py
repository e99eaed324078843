"""/dangkyhomestay end to end: an owner lists a homestay, an officer approves it in the officers'
group, and tourists' answers list it — nothing shown before approval; forged decisions refused."""

from __future__ import annotations

import pytest

from tests import harness
from tests.conftest import KNOWLEDGE
from tests.fakebot import BOT_USER
from tests.harness import ADMIN, buttons

GROUP = -1009990001
OWNER = 6601
TOURIST = 6602


@pytest.fixture
async def bot(tmp_path):
    h = await harness.start(KNOWLEDGE, tmp_path / "data", officers_chat_id=GROUP)
    yield h
    await harness.stop(h)


def _in_group(bot) -> dict:
    """The officers' group message a button is under."""
    return bot.api.message("…", user=BOT_USER, chat={"id": GROUP, "type": "supergroup", "title": "Cán bộ xã"})


async def _list(bot, owner: dict, name: str = "Nhà Lò Văn Ún") -> dict:
    """An owner's whole listing, skipping the optional steps; returns the officers' group message."""
    first = await bot.reply_to("/dangkyhomestay", user=owner)
    assert "Tên homestay" in first["text"]
    await bot.reply_to(name, user=owner)
    refused = await bot.reply_to("gọi em nhé", user=owner)  # typed as the village: villages are free text here
    assert "số điện thoại" in refused["text"].lower()
    bad = await bot.reply_to("không có số", user=owner)
    assert bad["text"].startswith("Chưa nhận:") and "not a phone number" in bad["text"]
    pin = await bot.reply_to("0912 345 678", user=owner)
    assert "Bỏ qua" in [t for t, _ in buttons(pin)]
    await bot.press("hs:skip", user=owner)  # no pin
    photo = bot.api.sent("sendMessage", chat_id=owner["id"])[-1]
    assert "ảnh" in photo["text"]
    bot.api.push(
        {
            "message": bot.api.message(
                user=owner, document={"file_id": "F1", "file_unique_id": "u1", "mime_type": "application/pdf"}
            )
        }
    )
    not_photo = await bot.api.wait_for_text("sendMessage", "not a photo", chat_id=owner["id"])
    assert not_photo["text"].startswith("Chưa nhận:")
    await bot.press("hs:skip", user=owner)
    await bot.reply_to("Nhà sàn của người Lự, có bữa tối gia đình", user=owner)
    await bot.press("hs:skip", user=owner)  # no English
    preview = await bot.press("hs:skip", user=owner)  # no price
    assert "hs:send" in [d for _, d in buttons(preview)] and name in preview["text"]
    before = len(bot.api.sent("sendMessage", chat_id=GROUP))
    await bot.press("hs:send", user=owner)
    return (await bot.api.wait_for("sendMessage", count=before + 1, chat_id=GROUP))[before]


async def test_a_listing_reaches_answers_after_one_approval_tap(bot):
    owner = bot.api.user(OWNER, "vi")
    request = await _list(bot, owner)
    approve = next(d for _, d in buttons(request) if d.startswith("hs:a:"))
    tourist = bot.api.user(TOURIST, "en")
    before = await bot.reply_to("Is there a homestay in Binh Lu?", user=tourist)
    assert "Lò Văn Ún" not in before["text"]  # nothing shown before approval
    assert "hs:new" in [d for _, d in buttons(before)]  # "Do you run a homestay?"
    bot.api.inline("Lò Văn Ún", user=tourist)
    (hidden,) = await bot.api.wait_for("answerInlineQuery")
    assert not [r for r in hidden["results"] if "Lò Văn Ún" in r["title"]]  # not in inline search either
    forged = await bot.press(approve, method="answerCallbackQuery", user=tourist)
    assert forged.get("show_alert")  # only officers decide
    await bot.press(approve, user=bot.api.user(ADMIN, "vi"), message=_in_group(bot))
    told = await bot.api.wait_for_text("sendMessage", "đã được duyệt", chat_id=OWNER)
    assert "Nhà Lò Văn Ún" in told["text"]
    after = await bot.reply_to("Is there a homestay in Binh Lu?", user=tourist)
    assert "Nhà Lò Văn Ún" in after["text"] and "0912 345 678" in after["text"]
    assert "listed since" in after["text"] and "contact them directly" in after["text"]
    bot.api.inline("homestay Lo Van Un", user=tourist)
    found = (await bot.api.wait_for("answerInlineQuery", count=2))[1]
    assert [r["title"] for r in found["results"] if r["id"].startswith("stay-")] == ["🏡 Nhà Lò Văn Ún"]
    again = await bot.press(
        approve, method="answerCallbackQuery", user=bot.api.user(ADMIN, "vi"), message=_in_group(bot)
    )
    assert again["text"] == "Việc này đã được xử lý rồi."  # a second tap changes nothing


async def test_an_owner_withdraws_and_an_officer_hides(bot):
    owner = bot.api.user(OWNER, "vi")
    request = await _list(bot, owner, "Homestay Suối Mơ")
    ident = next(d for _, d in buttons(request) if d.startswith("hs:a:")).split(":")[2]
    officer = bot.api.user(ADMIN, "vi")
    approved = await bot.press(f"hs:a:{ident}", user=officer, message=_in_group(bot))
    assert f"hs:h:{ident}" in [d for _, d in buttons(approved)]
    stranger = await bot.press(f"hs:w:{ident}", method="answerCallbackQuery", user=bot.api.user(TOURIST, "vi"))
    assert stranger["text"] == "Việc này đã được xử lý rồi."
    assert [h.name for h in bot.core.commune.homestays] == ["Homestay Suối Mơ"]  # not the stranger's to withdraw
    await bot.press(f"hs:h:{ident}", user=officer, message=_in_group(bot))
    assert bot.core.commune.homestays == []


async def test_many_places_to_stay_come_a_page_at_a_time(bot):
    from bot.services.homestays import Draft

    for n in range(1, 24):
        ident = bot.core.homestays.submit(
            7000 + n, Draft(name=f"Nhà số {n:02d}", village="Chu Va 6", phone="0912 000 111")
        )
        bot.core.homestays.approve(ident, ADMIN)
    tourist = bot.api.user(TOURIST, "vi")
    answer = await bot.reply_to("homestay ở Bình Lư", user=tourist)
    assert "Nhà số 10" in answer["text"] and "Nhà số 11" not in answer["text"]
    assert "…và 13 nơi nữa." in answer["text"]
    second = await bot.press("sp:1", user=tourist)
    assert "Nhà số 11" in second["text"] and "Nhà số 20" in second["text"] and "Nhà số 21" not in second["text"]
    third = await bot.press(next(d for _, d in buttons(second) if d.startswith("sp:")), user=tourist)
    assert "Nhà số 23" in third["text"] and not buttons(third)  # the last page


async def test_a_restart_half_way_through_a_listing_loses_nothing(tmp_path):
    data = tmp_path / "data"
    h = await harness.start(KNOWLEDGE, data, officers_chat_id=GROUP)
    owner = h.api.user(OWNER, "vi")
    await h.reply_to("/dangkyhomestay", user=owner)
    await h.reply_to("Nhà Cô Mai", user=owner)  # the village is asked next
    api = h.api
    await harness.stop(h, keep_api=True)

    h2 = await harness.start(KNOWLEDGE, data, api=api, officers_chat_id=GROUP)
    try:
        phone = await h2.reply_to("Chu Va 8", user=owner)
        assert "số điện thoại" in phone["text"].lower()
        await h2.reply_to("0912 222 333", user=owner)
        await h2.press("hs:skip", user=owner)  # no pin
        await h2.press("hs:skip", user=owner)  # no photo
        await h2.reply_to("Nhà sàn gần suối", user=owner)
        await h2.press("hs:skip", user=owner)
        preview = await h2.press("hs:skip", user=owner)
        assert "Nhà Cô Mai" in preview["text"] and "Chu Va 8" in preview["text"] and "0912 222 333" in preview["text"]
    finally:
        await harness.stop(h2)


def test_approved_listings_are_read_once_and_any_later_write_is_seen(tmp_path):
    """Every answer reads the approved places to stay: they are kept between writes — the bot's own
    (approve, hide…) and another process's on the same database file (PRAGMA data_version)."""
    import sqlite3

    from bot.app import Core
    from bot.services.homestays import Draft

    core = Core.open(KNOWLEDGE, tmp_path)
    reads: list[str] = []
    core.db.conn.set_trace_callback(lambda sql: reads.append(sql) if "from homestays where status" in sql else None)
    assert core.homestays.approved() == [] and core.homestays.approved() == []
    assert len(reads) == 1
    ident = core.homestays.submit(7, Draft(name="Nhà nghỉ A", village="Nà Phát", phone="", description_vi=""))
    assert core.homestays.approve(ident, 1)
    assert [h.name for h in core.homestays.approved()] == ["Nhà nghỉ A"]
    other = sqlite3.connect(tmp_path / "bot.db")
    other.execute("update homestays set status = 'hidden' where id = ?", [ident])
    other.commit()
    assert core.homestays.approved() == []
