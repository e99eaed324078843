"""The plan tracker: indicators as data, officers recording values with history, charts, QR codes."""

from __future__ import annotations

import io
import subprocess
import sys

import pytest
import segno
from PIL import Image

from bot.channels.telegram import keyboards as keys
from bot.services import charts, qr
from bot.services.indicators import Indicators, parse_value
from tests import harness
from tests.conftest import KNOWLEDGE, ROOT
from tests.harness import ADMIN, OFFICER, buttons

TARGET_SENTENCES = {  # section 1.2 of the resolution: every target has an indicator
    "income": 59,
    "budget-growth": 18,
    "grain-output": 10000,
    "forest-cover": 59.55,
    "tourists": 900000,
    "community-tourism-site": 1,
    "national-standard-schools": 100,
    "attendance-kindergarten": 99.8,
    "attendance-primary": 99.9,
    "attendance-lower-secondary": 98,
    "child-stunting": 14.5,
    "health-insurance": 96,
    "villages-culture-house": 100,
    "culture-house-standard": 50,
    "cultural-families": 90,
    "cultural-residential-areas": 90,
    "cultural-agencies": 98,
    "poverty-reduction": 1,
    "trained-labour": 70.5,
    "certified-labour": 32,
    "hardened-roads": 100,
    "electricity": 100,
    "hygienic-water": 100,
    "clean-water": 60,
    "waste-collection": 90,
}


def test_every_target_of_section_1_2_is_an_indicator_with_its_source(kb):
    by_id = {i.id: i for i in kb.indicators}
    for ident, target in TARGET_SENTENCES.items():
        assert by_id[ident].target == target, ident
        assert by_id[ident].year == 2030 and by_id[ident].source and by_id[ident].section.startswith("1.2")
    assert {"health-criteria", "local-government", "advanced-new-rural"} <= set(by_id)  # the milestones
    assert by_id["child-stunting"].direction == "down"
    assert "98,5%" in by_id["hygienic-water"].note.vi  # the resolution's other figure is shown, not hidden


def test_values_are_read_the_way_officers_type_them(kb):
    forest = next(i for i in kb.indicators if i.id == "forest-cover")
    assert parse_value(forest, "58,9", "vi") == 58.9
    assert parse_value(forest, "58.9", "en") == 58.9
    assert parse_value(forest, "58,9%", "vi") == 58.9
    milestone = next(i for i in kb.indicators if i.id == "advanced-new-rural")
    assert parse_value(milestone, "đạt", "vi") == 1 and parse_value(milestone, "chưa", "vi") == 0
    with pytest.raises(ValueError):
        parse_value(forest, "nhiều", "vi")


def test_corrections_keep_the_history(core):
    store = Indicators(core.db, core.kb.indicators)
    assert store.latest("forest-cover") is None  # nothing is pre-filled
    store.confirm(store.record("forest-cover", 2026, 57.0, OFFICER))
    store.confirm(store.record("forest-cover", 2027, 58.1, OFFICER))
    store.confirm(store.record("forest-cover", 2026, 57.4, OFFICER))  # a correction
    assert [(p.year, p.value) for p in store.history("forest-cover")] == [(2026, 57.4), (2027, 58.1)]
    assert [r["value"] for r in store.corrections("forest-cover")] == [57.0, 57.4, 58.1]
    assert store.progress("forest-cover") == pytest.approx(100 * 58.1 / 59.55)
    store.confirm(store.record("child-stunting", 2026, 16.0, OFFICER))
    assert store.progress("child-stunting") == pytest.approx(100 * 14.5 / 16.0)  # lower is better
    pending = store.record("income", 2026, 40, OFFICER)
    assert store.latest("income") is None and store.cancel(pending)


def test_charts_render_with_the_target_line_and_every_point():
    png, drawn = charts.progress_chart(
        "Tỷ lệ che phủ rừng",
        [2026, 2027, 2028],
        [57.0, 58.1, 58.9],
        59.55,
        "mục tiêu 59,55% năm 2030",
        "%",
        lambda v: f"{v:.2f}".replace(".", ","),
    )
    assert png[:8] == b"\x89PNG\r\n\x1a\n"
    assert drawn == {"points": 3, "target": 59.55}
    png, drawn = charts.overview_chart("Tiến độ", ["a", "b", "c"], [10.0, 0.0, 120.0], "%")
    assert png[:8] == b"\x89PNG\r\n\x1a\n" and drawn == {"bars": 3}


def _qr_matrix_from_poster(png: bytes, url: str) -> list[list[bool]]:
    """Sample the poster at the centre of every module: dark → True."""
    img = Image.open(io.BytesIO(png)).convert("L")
    side, scale = qr.module_geometry(url)
    offset = (qr.WIDTH - side * scale) // 2
    return [
        [img.getpixel((offset + c * scale + scale // 2, offset + r * scale + scale // 2)) < 128 for c in range(side)]
        for r in range(side)
    ]


def test_qr_posters_encode_the_deep_link_of_their_entry(kb):
    for entry in kb.entries[:10]:
        payload = keys.payload_for(entry.id)
        assert keys.entry_from_payload(payload) == entry.id
        url = qr.deep_link("binhlu_bot", payload)
        png = qr.poster(url, entry.title.vi, "binhlu_bot")
        img = Image.open(io.BytesIO(png))
        assert img.format == "PNG" and img.size == (qr.WIDTH, qr.WIDTH + qr.CAPTION)
        expected = [[bool(v) for v in row] for row in segno.make(url, error="m", micro=False).matrix_iter(border=4)]
        assert _qr_matrix_from_poster(png, url) == expected


def test_a_poster_says_what_to_do_and_names_the_bot():
    lines = [text for text, _size in qr.caption("Miến dong Bình Lư", "binhlu_bot")]
    assert lines == ["Miến dong Bình Lư", "Quét để hỏi trợ lý xã Bình Lư", "@binhlu_bot"]
    long = [text for text, _ in qr.caption("Rất dài " * 30, "@binhlu_bot", "en")]
    assert long[-2:] == ["Scan to ask the Bình Lư commune assistant", "@binhlu_bot"] and len(long) == 4


def test_qr_all_writes_one_poster_per_entry(tmp_path, kb):
    result = subprocess.run(
        [sys.executable, "-m", "bot", "qr", "--all", str(tmp_path), "--bot-username", "binhlu_bot"],
        capture_output=True,
        text=True,
        cwd=ROOT,
    )
    assert result.returncode == 0, result.stderr
    files = sorted(p.stem for p in tmp_path.glob("*.png"))
    assert files == sorted(e.id for e in kb.entries if e.category != "meta")  # no poster for "hello"
    missing = subprocess.run(
        [sys.executable, "-m", "bot", "qr", "--all", str(tmp_path)],
        capture_output=True,
        text=True,
        cwd=ROOT,
        env={"PATH": "/usr/bin:/bin"},
    )
    assert missing.returncode == 2 and "--bot-username" in missing.stderr


@pytest.fixture
async def bot(tmp_path):
    h = await harness.start(KNOWLEDGE, tmp_path / "data")
    h.app.bot_data["roles"].add_officer(ADMIN, OFFICER)
    yield h
    await harness.stop(h)


async def test_an_officer_records_a_value_and_a_citizen_sees_it_in_a_chart(bot):
    officer = bot.api.user(OFFICER, "vi")
    ask = await bot.reply_to("/capnhat forest-cover 2026 58,9", user=officer)
    assert "58,9%" in ask["text"]
    confirm = next(d for _, d in buttons(ask) if d.startswith("a:capok:"))
    await bot.press(confirm, method="editMessageText", user=officer)
    assert [r["action"] for r in bot.core.db["audit"].rows][-1] == "indicator.record"

    citizen = bot.api.user(7001, "en")
    tracker = await bot.reply_to("/muctieu", user=citizen)
    assert "58.9% in 2026" in tracker["text"] and "not updated yet" in tracker["text"]
    assert "59.55%" in tracker["text"]
    await bot.api.wait_for("sendPhoto", chat_id=7001, timeout=30)  # the overview chart
    chart_button = next(d for _, d in buttons(tracker) if d == "g:forest-cover")
    before = len(bot.api.sent("sendPhoto", chat_id=7001))
    bot.api.press(chart_button, user=citizen)
    photos = await bot.api.wait_for("sendPhoto", chat_id=7001, count=before + 1, timeout=30)
    assert photos[-1]["photo"][:8] == b"\x89PNG\r\n\x1a\n"

    vi = await bot.reply_to("/muctieu", user=bot.api.user(7002, "vi"))
    assert "58,9% (năm 2026)" in vi["text"] and "chưa cập nhật" in vi["text"]


async def test_plan_answers_link_to_their_progress(bot):
    reply = await bot.reply_to("tỷ lệ che phủ rừng mục tiêu bao nhiêu", user=bot.api.user(7101, "vi"))
    assert "G:goal.forest-cover" in [d for _, d in buttons(reply)]
    progress = await bot.press("G:goal.forest-cover", user=bot.api.user(7101, "vi"))
    assert "chưa cập nhật" in progress["text"]


async def test_bad_updates_and_non_officers_are_refused(bot):
    stranger = await bot.reply_to("/capnhat forest-cover 2026 58,9", user=bot.api.user(7201, "vi"))
    assert "chỉ dành cho cán bộ" in stranger["text"]
    officer = bot.api.user(OFFICER, "vi")
    for text in [
        "/capnhat forest-cover",
        "/capnhat nothing 2026 1",
        "/capnhat forest-cover 2040 1",
        "/capnhat forest-cover 2026 nhiều",
    ]:
        reply = await bot.reply_to(text, user=officer)
        assert "Xác nhận" not in [t for t, _ in buttons(reply)]
    assert bot.core.db["indicator_values"].count == 0
    n = len(bot.api.sent("answerCallbackQuery"))
    bot.api.press("a:capok:1", user=bot.api.user(7201, "vi"))
    await bot.api.wait_for("answerCallbackQuery", count=n + 1)


async def test_qr_command_sends_a_printable_poster(bot):
    reply = await bot.reply_to("/qr ocop.mien-dong", method="sendDocument", user=bot.api.user(OFFICER, "vi"))
    assert reply["caption"] == "https://t.me/binhlu_test_bot?start=ocop_mien-dong"
    assert reply["document"][:8] == b"\x89PNG\r\n\x1a\n"


async def test_a_scanned_qr_opens_the_entry_in_the_scanners_language(bot):
    url = qr.deep_link("binhlu_test_bot", keys.payload_for("ocop.mien-dong"))
    payload = url.split("start=")[1]
    en = await bot.reply_to(f"/start {payload}", user=bot.api.user(7301, "en"))
    assert "glass noodles" in en["text"].lower() or "noodle" in en["text"].lower()
    vi = await bot.reply_to(f"/start {payload}", user=bot.api.user(7302, "vi"))
    assert "Miến dong" in vi["text"] and "Nguồn" in vi["text"]


async def test_capnhat_guides_an_officer_step_by_step_and_survives_a_restart(tmp_path):
    data = tmp_path / "data"
    h = await harness.start(KNOWLEDGE, data)
    officer = h.api.user(harness.ADMIN, "vi")
    menu = await h.reply_to("/capnhat", user=officer)
    assert "c:forest-cover" in [d for _, d in buttons(menu)]
    prompt = await h.press("c:forest-cover", user=officer)
    assert "2026 58,9" in prompt["text"]
    api = h.api
    await harness.stop(h, keep_api=True)  # the wizard waits for the year and the value

    h2 = await harness.start(KNOWLEDGE, data, api=api)
    try:
        retry = await h2.reply_to("năm ngoái khoảng 58", user=officer)
        assert "2026 58,9" in retry["text"]  # not understood: asked again, still in the wizard
        ask = await h2.reply_to("2026 58,9", user=officer)
        confirm = next(d for _, d in buttons(ask) if d.startswith("a:capok:"))
        await h2.press(confirm, method="editMessageText", user=officer)
        assert h2.app.bot_data["indicators"].latest("forest-cover").value == 58.9
        after = await h2.reply_to("tỷ lệ che phủ rừng mục tiêu bao nhiêu", user=officer)
        assert "Xác nhận" not in [t for t, _ in buttons(after)]  # the wizard is over: a question again
    finally:
        await harness.stop(h2)


async def test_the_wizard_started_last_takes_what_the_officer_types(bot):
    officer = bot.api.user(OFFICER, "vi")
    await bot.reply_to("/announce", user=officer)
    await bot.press("a:t:general", method="editMessageReplyMarkup", user=officer)
    await bot.press("a:next", method="editMessageText", user=officer)  # the draft waits for its text
    await bot.reply_to("/capnhat", user=officer)
    await bot.press("c:forest-cover", user=officer)
    ask = await bot.reply_to("2026 58,9", user=officer)
    assert any(d.startswith("a:capok:") for _, d in buttons(ask))  # taken by /capnhat…
    assert bot.app.bot_data["announcements"].draft_of(OFFICER).text_vi == ""  # …not by the draft
