"""End to end: the real python-telegram-bot Application against our fake Bot API server."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from bot.channels.telegram import keyboards as keys
from tests import harness
from tests.conftest import KNOWLEDGE
from tests.fakebot import BOT_USER
from tests.harness import buttons


async def _running(knowledge: Path, data: Path):
    h = await harness.start(knowledge, data)
    return h.api, h.core, h.app


async def _stop(api, app) -> None:
    await harness.stop(harness.Harness(api, None, app))


@pytest.fixture
async def bot(tmp_path):
    h = await harness.start(KNOWLEDGE, tmp_path / "data")
    yield h
    await harness.stop(h)


async def test_commands_are_registered_in_both_languages(bot):
    calls = await bot.api.wait_for("setMyCommands", count=3)
    by_lang = {c.get("language_code"): c["commands"] for c in calls}
    names = {c["command"] for c in by_lang["en"]}
    assert {"start", "help", "menu", "lang", "dichvu", "dulich", "ocop", "muctieu"} <= names
    vi = {c["command"]: c["description"] for c in by_lang["vi"]}
    en = {c["command"]: c["description"] for c in by_lang["en"]}
    assert vi["dichvu"] != en["dichvu"]  # the menu reads in the user's language


async def test_start_greets_in_the_users_language_with_the_main_menu(bot):
    vi = await bot.reply_to("/start", user=bot.api.user(2001, "vi"))
    assert "Bình Lư" in vi["text"] and vi["parse_mode"] == "HTML"
    labels = [t for t, _ in buttons(vi)]
    assert len(labels) == 6 and "Dịch vụ công" in " ".join(labels)
    en = await bot.reply_to("/start", user=bot.api.user(2002, "en"))
    assert "Public services" in " ".join(t for t, _ in buttons(en))
    other = await bot.reply_to("/start", user=bot.api.user(2003, "fr"))
    assert "Dịch vụ công" in " ".join(t for t, _ in buttons(other))  # unsupported → Vietnamese


async def test_free_text_gets_the_answer_with_related_buttons(bot):
    reply = await bot.reply_to("lam cccd the nao")
    assert reply["parse_mode"] == "HTML"
    assert "căn cước" in reply["text"].lower()
    assert "xác nhận lại tại Công an xã trước khi đi" in reply["text"]  # the police handle ID cards
    data = [d for _, d in buttons(reply)]
    assert "m" in data and any(d.startswith("e:") for d in data)
    assert all(len(d.encode()) <= 64 for d in data)


async def test_unsure_question_offers_suggestions(bot):
    reply = await bot.reply_to("giấy tờ đất")
    assert "Có phải" in reply["text"]
    offered = [d for _, d in buttons(reply) if d.startswith("e:")]
    # land papers: with the where-to-go entries, "giấy tờ" also names lost documents and land disputes
    assert 1 <= len(offered) <= 3 and any("land" in d for d in offered)


async def test_out_of_scope_gets_an_honest_no_with_the_menu(bot):
    reply = await bot.reply_to("tỷ giá đô la hôm nay")
    assert "chưa có thông tin" in reply["text"]
    assert ("m" in [d for _, d in buttons(reply)]) or any(d.startswith("s:") for _, d in buttons(reply))


async def test_english_question_is_answered_in_english(bot):
    reply = await bot.reply_to("is there a guided hike up Chu Va?")
    assert "Chu Va" in reply["text"] and "tour" in reply["text"].lower()
    assert "Source" in reply["text"]


async def test_menus_browse_sections_and_pages(bot):
    section = await bot.press("s:svc:0", method="editMessageText")
    entries = [d for _, d in buttons(section) if d.startswith("e:")]
    assert len(entries) == keys.PAGE_SIZE
    assert "s:svc:1" in [d for _, d in buttons(section)]
    page2 = await bot.press("s:svc:1", method="editMessageText")
    assert [d for _, d in buttons(page2) if d.startswith("e:")] != entries
    answer = await bot.press(entries[0])
    assert answer["parse_mode"] == "HTML"


async def test_forged_or_stale_callback_data_gets_a_polite_answer(bot):
    for data in ["e:service.nothing-here", "x" * 64, "s:svc:999", "'; drop table users; --", ""]:
        before = len(bot.api.sent("answerCallbackQuery"))
        bot.api.press(data)
        calls = await bot.api.wait_for("answerCallbackQuery", count=before + 1)
        assert calls[-1].get("show_alert") in (None, False)
    await bot.quiet()
    assert all("Traceback" not in str(c.params) for c in bot.api.calls)


async def test_language_switch_persists(bot):
    user = bot.api.user(3001, "vi")
    await bot.press("l:en", method="editMessageText", user=user)
    assert bot.core.db["users"].get(3001)["language"] == "en"
    reply = await bot.reply_to("/menu", user=user)
    assert "Public services" in " ".join(t for t, _ in buttons(reply))
    reply = await bot.reply_to("/lang vi", user=user)
    assert bot.core.db["users"].get(3001)["language"] == "vi"


async def test_users_table_holds_nothing_personal(bot):
    await bot.reply_to("/start", user=bot.api.user(4001, "vi", first_name="Secret Name"))
    row = bot.core.db["users"].get(4001)
    assert set(row) == {"id", "language", "first_seen", "last_seen"}


async def test_deep_link_opens_an_entry(bot):
    payload = keys.payload_for("ocop.mien-dong")
    reply = await bot.reply_to(f"/start {payload}", user=bot.api.user(5001, "en"))
    assert "noodle" in reply["text"].lower() or "Miến dong" in reply["text"]
    bad = await bot.reply_to("/start not_an-entry")
    assert buttons(bad)  # falls back to the greeting and menu


def test_every_entry_payload_round_trips(kb):
    for e in kb.entries:
        payload = keys.payload_for(e.id)
        assert len(payload) <= 64
        assert keys.entry_from_payload(payload) == e.id


async def test_inline_mode_lists_matching_entries(bot):
    bot.api.inline("mien dong")
    (call,) = await bot.api.wait_for("answerInlineQuery")
    ids = [r["id"] for r in call["results"]]
    assert "ocop.mien-dong" in ids
    assert all(r["input_message_content"]["parse_mode"] == "HTML" for r in call["results"])
    bot.api.inline("chu v")  # still typing: prefix search
    calls = await bot.api.wait_for("answerInlineQuery", count=2)
    assert {"place.chu-va-6", "place.chu-va-8"} & {r["id"] for r in calls[1]["results"]}


async def test_non_text_messages_get_a_short_reply_and_edits_are_ignored(bot):
    for extra in [
        {
            "sticker": {
                "file_id": "s",
                "file_unique_id": "s",
                "width": 1,
                "height": 1,
                "is_animated": False,
                "is_video": False,
                "type": "regular",
            }
        },
        {"photo": [{"file_id": "p", "file_unique_id": "p", "width": 1, "height": 1}]},
        {"voice": {"file_id": "v", "file_unique_id": "v", "duration": 1}},
        {"location": {"latitude": 22.0, "longitude": 103.0}},
    ]:
        before = len(bot.api.sent())
        bot.api.push({"message": bot.api.message(None, **extra)})
        calls = await bot.api.wait_for("sendMessage", count=before + 1)
        assert "chữ" in calls[-1]["text"] or "text" in calls[-1]["text"]
    before = len(bot.api.calls)
    bot.api.push({"edited_message": {**bot.api.message("sửa tin nhắn"), "edit_date": 1}})
    await bot.quiet()
    assert [c.method for c in bot.api.calls[before:]] == []


async def test_in_groups_only_mentions_and_replies_are_answered(bot):
    group = {"id": -100500, "type": "supergroup", "title": "Bản Chu Va"}
    before = len(bot.api.sent())
    bot.api.send_text("đăng ký khai sinh ở đâu", chat=group)
    await bot.quiet()
    assert len(bot.api.sent()) == before
    reply = await bot.reply_to(f"@{BOT_USER['username']} đăng ký khai sinh ở đâu", chat=group)
    assert "khai sinh" in reply["text"].lower()
    replied = bot.api.message("…", user=BOT_USER, chat=group)
    reply = await bot.reply_to("cho hỏi làm căn cước", chat=group, reply_to_message=replied)
    assert "căn cước" in reply["text"].lower()


async def test_html_in_questions_is_never_echoed_unescaped(bot):
    reply = await bot.reply_to("<b>xin chào</b><script>alert(1)</script>")
    assert "<script>" not in reply["text"]


async def test_long_answers_are_split_under_the_limit():
    from bot.channels.telegram.render import split_message

    text = "\n\n".join(["đoạn " + "chữ " * 300] * 8)
    chunks = split_message(text)
    assert len(chunks) > 1 and all(len(c) <= 4096 for c in chunks)
    assert "".join(chunks).replace("\n", "").replace(" ", "") == text.replace("\n", "").replace(" ", "")


async def test_places_with_coordinates_are_sent_as_a_venue(tmp_path):
    knowledge = tmp_path / "knowledge"
    shutil.copytree(KNOWLEDGE, knowledge)
    commune = knowledge / "commune.yaml"
    commune.write_text(
        commune.read_text(encoding="utf-8").replace(
            "locations: {}", "locations:\n  place.muong-lu-lake: {latitude: 22.25, longitude: 103.55}"
        ),
        encoding="utf-8",
    )
    api, _core, app = await _running(knowledge, tmp_path / "data")
    try:
        api.send_text("hồ mường lư")
        (venue,) = await api.wait_for("sendVenue")
        assert venue["latitude"] == 22.25 and venue["longitude"] == 103.55
        api.send_text("chè bình lư")  # no coordinates → no pin
        await harness.quiet(api, app)
        assert len(api.sent("sendVenue")) == 1
    finally:
        await _stop(api, app)


async def test_a_slow_or_failing_api_does_not_break_the_bot(bot):
    from tests.fakebot import Failure

    bot.api.fail("sendMessage", Failure(500, "Internal Server Error"))
    bot.api.send_text("xin chào")
    await bot.quiet()
    reply = await bot.reply_to("lam cccd o dau")  # the next question still works
    assert "căn cước" in reply["text"].lower()
    bot.api.delays["sendMessage"] = 0.5
    reply = await bot.reply_to("xin chào")
    assert reply["text"]
    bot.api.delays.clear()


async def test_an_unexpected_error_is_logged_without_personal_data_and_noticed(tmp_path, caplog, monkeypatch):
    h = await harness.start(KNOWLEDGE, tmp_path / "data", error_chat_id=-100999)
    try:

        def broken(question, *args, **kwargs):
            raise RuntimeError(f"cannot handle {question}")

        monkeypatch.setattr(h.core.engine, "ask", broken)  # the engine is shared: restored after the test
        with caplog.at_level("ERROR"):
            reply = await h.reply_to("số điện thoại của tôi là 0912345678", user=h.api.user(8101, "vi"))
            notice = await h.api.wait_for_text("sendMessage", "RuntimeError", chat_id=-100999)
        assert "Xin lỗi" in reply["text"]
        assert "dialogue.py" in notice["text"] and "0912345678" not in notice["text"]  # where it failed
        errors = [r for r in caplog.records if r.levelname == "ERROR"]
        assert errors and "RuntimeError" in errors[0].getMessage() and "text_message" in errors[0].getMessage()
        assert "dialogue.py" in errors[0].getMessage()
        assert all("0912345678" not in r.getMessage() and not r.exc_info for r in caplog.records)
    finally:
        await harness.stop(h)


async def test_markup_characters_typed_by_people_reach_telegram_escaped(tmp_path):
    """Every message is HTML by default (Defaults); the strict fake refuses a text Telegram would
    refuse, so a reply that arrives here was escaped wherever it quotes what someone typed."""
    h = await harness.start(KNOWLEDGE, tmp_path / "data")
    try:
        officer = h.api.user(harness.ADMIN, "vi")
        reply = await h.reply_to("/capnhat forest-cover 2026 <b>5&6</i>", user=officer)
        assert "<b>5&6</i>" in reply["text"].replace("&lt;", "<").replace("&gt;", ">").replace("&amp;", "&")
        await h.reply_to("a < b && <script> là gì?", user=h.api.user(8201, "vi"))
        await h.reply_to("/unanswered", user=officer)
        group = await h.api.wait_for_text("sendMessage", "&lt;script&gt;", chat_id=harness.ADMIN)
        dismiss = next(d for _, d in buttons(group) if d.startswith("u:dis:"))
        edited = await h.press(dismiss, method="editMessageText", user=officer)
        assert "&lt;script&gt;" in edited["text"]
        assert not [c for c in h.api.calls if c.status == 400]
    finally:
        await harness.stop(h)


async def test_a_question_about_one_part_gets_that_part_and_a_button_for_the_rest(bot):
    user = bot.api.user(8301, "vi")
    reply = await bot.reply_to("lệ phí làm lại căn cước bao nhiêu", user=user)
    assert "Lệ phí" in reply["text"] and "70.000" in reply["text"]
    assert "Giấy tờ cần có" not in reply["text"] and len(reply["text"]) <= 400
    data = [d for _, d in buttons(reply)]
    assert data[0] == "e:service.citizen-id-card"  # 📄 Xem đầy đủ, first
    assert any(d.startswith("f:") for d in data)  # votes as for any answer
    full = await bot.press("e:service.citizen-id-card", user=user)
    assert "Giấy tờ cần có" in full["text"] and "Lệ phí" in full["text"]
    hours = await bot.reply_to("bo phan mot cua gio lam viec", user=user)
    assert "chưa đưa thông tin này" in hours["text"]  # no hours in commune.yaml: said, not invented
    english = await bot.reply_to("birth registration how long does it take", user=bot.api.user(8302, "en"))
    assert "Time limit" in english["text"] and "Documents" not in english["text"]


async def test_a_follow_up_is_about_the_answer_just_given_and_per_person(bot):
    group = {"id": -100600, "type": "supergroup", "title": "Bản Nà Phát"}
    an, binh = bot.api.user(8401, "vi"), bot.api.user(8402, "vi")
    me = f"@{BOT_USER['username']}"
    await bot.reply_to(f"{me} đăng ký kết hôn", user=an, chat=group)
    first = await bot.reply_to(f"{me} còn lệ phí thì sao?", user=an, chat=group)
    assert "kết hôn" in first["text"].lower() and "Lệ phí" in first["text"]
    other = await bot.reply_to(f"{me} còn lệ phí thì sao?", user=binh, chat=group)
    assert "thủ tục nào" in other["text"]  # Bình asked nothing before: which procedure?
    assert any(d.startswith("e:service.") for _, d in buttons(other))


async def test_a_reply_to_an_earlier_answer_asks_about_that_answer(bot):
    user = bot.api.user(8501, "vi")
    await bot.reply_to("đăng ký kết hôn", user=user)
    marriage = next(c for c in reversed(bot.api.calls) if c.method == "sendMessage" and c.params["chat_id"] == 8501)
    await bot.reply_to("làm căn cước", user=user)  # the last answer is now the ID card
    replied = bot.api.message("…", user=BOT_USER, chat={"id": 8501, "type": "private"})
    replied["message_id"] = marriage.result["message_id"]
    fee = await bot.reply_to("còn lệ phí?", user=user, reply_to_message=replied)
    assert "kết hôn" in fee["text"].lower() and "Lệ phí" in fee["text"]
