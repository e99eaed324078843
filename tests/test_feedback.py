"""Feedback, the question log, the unanswered queue, asking an officer, statistics, privacy."""

from __future__ import annotations

import datetime as dt
import hashlib
import subprocess
import sys

import pytest

from tests import harness
from tests.conftest import KNOWLEDGE, ROOT
from tests.fakebot import BOT_USER
from tests.harness import ADMIN, OFFICER, buttons

GROUP = -100777


@pytest.fixture
async def bot(tmp_path):
    h = await harness.start(KNOWLEDGE, tmp_path / "data", officers_chat_id=GROUP)
    h.app.bot_data["roles"].add_officer(ADMIN, OFFICER)
    yield h
    await harness.stop(h)


def officer(h):
    return h.api.user(OFFICER, "vi", "Cán bộ")


def knowledge_digest() -> str:
    digest = hashlib.sha256()
    for path in sorted((ROOT / "knowledge").rglob("*")):
        if path.is_file():
            digest.update(path.read_bytes())
    return digest.hexdigest()


async def test_answers_carry_votes_stored_with_entry_and_question(bot):
    user = bot.api.user(1101, "vi")
    reply = await bot.reply_to("lam cccd o dau", user=user)
    votes = [d for _, d in buttons(reply) if d.startswith("f:")]
    assert len(votes) == 2
    up = next(d for d in votes if d.startswith("f:u:"))
    answer = bot.api.message(
        reply["text"], user=BOT_USER, chat={"id": 1101, "type": "private"}, reply_markup=reply["reply_markup"]
    )
    edited = await bot.press(up, method="editMessageReplyMarkup", user=user, message=answer)
    assert "👍 ✓" in [t for t, _ in buttons(edited)]
    (row,) = list(
        bot.core.db.query("select f.vote, f.entry_id, q.text from feedback f join question_log q on q.id = f.log_id")
    )
    assert row == {"vote": 1, "entry_id": "service.citizen-id-card", "text": "lam cccd o dau"}
    # someone else cannot vote with that button
    n = len(bot.api.sent("answerCallbackQuery"))
    bot.api.press(up, user=bot.api.user(1102, "vi"))
    await bot.api.wait_for("answerCallbackQuery", count=n + 1)
    assert bot.core.db["feedback"].count == 1


async def test_every_question_is_logged_with_a_salted_hash_not_the_user_id(bot):
    await bot.reply_to("is there a guided hike up Chu Va?", user=bot.api.user(1201, "en"))
    await bot.reply_to("qwerty", user=bot.api.user(1201, "en"))
    rows = list(bot.core.db["question_log"].rows)
    assert [(r["lang"], r["entry_id"], r["status"]) for r in rows] == [
        ("en", "tour.chu-va-peak", "answer"),
        ("en", None, "none"),
    ]  # undecided → the stored language
    assert all(r["user_hash"] and "1201" not in r["user_hash"] for r in rows)
    assert rows[0]["user_hash"] != hashlib.sha256(b"1201").hexdigest()[:32]  # salted
    assert rows[0]["score"] > 0.3


async def test_old_questions_are_purged(bot):
    qlog = bot.app.bot_data["questions"]
    old = qlog.log(1, "câu hỏi cũ", "vi", "none", None, 0.0)
    bot.core.db["question_log"].update(old, {"at": "2020-01-01T00:00:00+00:00"})
    new = qlog.log(1, "câu hỏi mới", "vi", "none", None, 0.0)
    assert qlog.purge() == 1
    assert [r["id"] for r in bot.core.db["question_log"].rows] == [new]


async def test_curator_attaches_a_failed_question_and_the_bot_answers_it_at_once(bot, tmp_path):
    before = knowledge_digest()
    asker = bot.api.user(1301, "vi")
    for q in [
        "tách hộ cho con trai ra ở riêng ở đâu",
        "cho con trai tách hộ ra ở riêng ở đâu",
        "tách hộ cho con trai ra ở riêng ở đâu",
    ]:
        reply = await bot.reply_to(q, user=asker)
        assert "Có phải" in reply["text"]
    await bot.reply_to("/unanswered", user=officer(bot))
    group = await bot.api.wait_for_text("sendMessage", "tách hộ", chat_id=OFFICER)
    assert "hỏi 3 lần" in group["text"]
    attach = next(d for _, d in buttons(group) if d.endswith(":service.residence-registration"))
    bot.api.press(attach, user=officer(bot))
    await bot.api.wait_for_text("editMessageText", "giờ dẫn tới", chat_id=OFFICER)

    reply = await bot.reply_to("tách hộ cho con trai ra ở riêng ở đâu", user=asker)
    assert "THƯỜNG TRÚ" in reply["text"].upper()  # answered now, no restart
    learned = (tmp_path / "data" / "learned.yaml").read_text(encoding="utf-8")
    assert "service.residence-registration" in learned and "tách hộ" in learned
    assert knowledge_digest() == before  # the curated YAML was not touched
    check = subprocess.run(
        [sys.executable, "-m", "bot", "--data-dir", str(tmp_path / "data"), "kb", "check"],
        capture_output=True,
        text=True,
        cwd=ROOT,
    )
    assert check.returncode == 0 and "1 learned question(s)" in check.stdout
    export = subprocess.run(
        [sys.executable, "-m", "bot", "--data-dir", str(tmp_path / "data"), "kb", "export", "--json"],
        capture_output=True,
        text=True,
        cwd=ROOT,
    )
    assert "tách hộ" in export.stdout
    await bot.reply_to("/unanswered", user=officer(bot))
    assert "tách hộ" not in bot.api.sent(chat_id=OFFICER)[-1]["text"]


async def test_curator_can_search_or_dismiss(bot):
    await bot.reply_to("xe buýt tuyến số 5 chạy mấy giờ", user=bot.api.user(1401, "vi"))
    await bot.reply_to("/unanswered", user=officer(bot))
    group = await bot.api.wait_for_text("sendMessage", "xe buýt", chat_id=OFFICER)
    find = next(d for _, d in buttons(group) if d.startswith("u:find:"))
    await bot.press(find, user=officer(bot))
    results = await bot.reply_to("thường trú", user=officer(bot))
    assert any(d.endswith(":service.residence-registration") for _, d in buttons(results))
    dismiss = next(d for _, d in buttons(group) if d.startswith("u:dis:"))
    await bot.press(dismiss, method="editMessageText", user=officer(bot))
    reply = await bot.reply_to("/unanswered", user=officer(bot))
    assert "xe buýt" not in reply["text"]


async def test_non_officers_cannot_touch_the_queue_or_stats(bot, tmp_path):
    stranger = bot.api.user(1501, "vi")
    await bot.reply_to("tách hộ cho con trai ra ở riêng ở đâu", user=stranger)
    for command in ["/unanswered", "/stats"]:
        reply = await bot.reply_to(command, user=stranger)
        assert "chỉ dành cho cán bộ" in reply["text"]
    (log_id,) = [r["id"] for r in bot.core.db["question_log"].rows]
    n = len(bot.api.sent("answerCallbackQuery"))
    bot.api.press(f"u:att:{log_id}:service.residence-registration", user=stranger)
    (*_, refusal) = await bot.api.wait_for("answerCallbackQuery", count=n + 1)
    assert refusal["show_alert"] is True
    assert not (tmp_path / "data" / "learned.yaml").exists()


async def test_a_question_reaches_an_officer_and_the_reply_comes_back(bot):
    asker = bot.api.user(1601, "vi")
    reply = await bot.reply_to("xe buýt tuyến số 5 chạy mấy giờ", user=asker)
    ask = next(d for _, d in buttons(reply) if d.startswith("k:"))
    bot.api.press(ask, user=asker)
    posted = await bot.api.wait_for_text("sendMessage", "xe buýt", chat_id=GROUP)
    confirmation = await bot.api.wait_for_text("sendMessage", "/phananh", chat_id=1601)
    ticket_id = int(confirmation["text"].split("#")[1].split(".")[0])
    assert f"#{ticket_id}" in posted["text"]
    group_message = next(c for c in bot.app.bot_data["tickets"].db["tickets"].rows)["group_message_id"]

    status = await bot.reply_to(f"/phananh {ticket_id}", user=asker)
    assert "đang chờ" in status["text"]
    bot.api.send_text(
        "Xe buýt tuyến 5 chạy từ 6h sáng.",
        user=officer(bot),
        chat={"id": GROUP, "type": "supergroup", "title": "Cán bộ"},
        reply_to_message=bot.api.message(
            "…",
            user={"id": 123456, "is_bot": True, "first_name": "B"},
            chat={"id": GROUP, "type": "supergroup"},
            message_id=group_message,
        ),
    )
    relayed = await bot.api.wait_for_text("sendMessage", "6h sáng", chat_id=1601)
    assert f"#{ticket_id}" in relayed["text"]
    status = await bot.reply_to(f"/phananh {ticket_id}", user=asker)
    assert "đã được trả lời" in status["text"]
    other = await bot.reply_to(f"/phananh {ticket_id}", user=bot.api.user(1602, "vi"))
    assert "không có câu hỏi" in other["text"].lower()  # not someone else's ticket


async def test_a_ticket_survives_a_restart(tmp_path):
    data = tmp_path / "data"
    h = await harness.start(KNOWLEDGE, data, officers_chat_id=GROUP)
    h.app.bot_data["roles"].add_officer(ADMIN, OFFICER)
    asker = h.api.user(1701, "en")
    reply = await h.reply_to("what time does bus number 5 leave", user=asker)
    h.api.press(next(d for _, d in buttons(reply) if d.startswith("k:")), user=asker)
    await h.api.wait_for_text("sendMessage", "/phananh", chat_id=1701)  # sent once the ticket is posted
    ticket = next(iter(h.core.db["tickets"].rows))
    api = h.api
    await harness.stop(h, keep_api=True)

    h2 = await harness.start(KNOWLEDGE, data, api=api, officers_chat_id=GROUP)
    try:
        api.send_text(
            "At 6 am, from the commune centre.",
            user=api.user(OFFICER),
            chat={"id": GROUP, "type": "supergroup", "title": "Cán bộ"},
            reply_to_message=api.message(
                "…", chat={"id": GROUP, "type": "supergroup"}, message_id=ticket["group_message_id"]
            ),
        )
        relayed = await api.wait_for_text("sendMessage", "6 am", chat_id=1701)
        assert "answer to your question" in relayed["text"]
        # a stranger replying in the group does not reach anyone
        api.send_text(
            "spam",
            user=api.user(9999),
            chat={"id": GROUP, "type": "supergroup", "title": "Cán bộ"},
            reply_to_message=api.message(
                "…", chat={"id": GROUP, "type": "supergroup"}, message_id=ticket["group_message_id"]
            ),
        )
        await api.wait_for_text("sendMessage", "chỉ dành cho cán bộ", chat_id=GROUP)
        assert not any("spam" in m["text"] for m in api.sent(chat_id=1701))
    finally:
        await harness.stop(h2)


async def test_forged_ask_officer_button_is_refused(bot):
    await bot.reply_to("xe buýt tuyến số 5 chạy mấy giờ", user=bot.api.user(1801, "vi"))
    (log_id,) = [r["id"] for r in bot.core.db["question_log"].rows]
    n = len(bot.api.sent("answerCallbackQuery"))
    bot.api.press(f"k:{log_id}", user=bot.api.user(1802, "vi"))
    await bot.api.wait_for("answerCallbackQuery", count=n + 1)
    assert bot.core.db["tickets"].count == 0


async def test_stats_as_text_and_a_chart(bot):
    bot.seed_users([1901, 1902])
    await bot.reply_to("lam cccd o dau", user=bot.api.user(1901, "vi"))
    await bot.reply_to("qwerty", user=bot.api.user(1902, "vi"))
    text = await bot.reply_to("/stats", user=officer(bot))
    assert "Người dùng" in text["text"] and "50%" in text["text"]
    (photo,) = await bot.api.wait_for("sendPhoto", chat_id=OFFICER, timeout=30)
    assert photo["photo"][:8] == b"\x89PNG\r\n\x1a\n"


async def test_forget_deletes_everything_about_the_user(bot):
    user = bot.api.user(2001, "vi")
    await bot.reply_to("lam cccd o dau", user=user)
    await bot.press("t:general", method="editMessageText", user=user)
    reply = await bot.reply_to("xe buýt tuyến số 5 chạy mấy giờ", user=user)
    bot.api.press(next(d for _, d in buttons(reply) if d.startswith("k:")), user=user)
    await bot.api.wait_for("sendMessage", chat_id=GROUP)
    await bot.api.wait_for_text("sendMessage", "/phananh", chat_id=2001)  # the ticket's confirmation
    confirm = await bot.reply_to("/xoadulieu", user=user)
    assert [d for _, d in buttons(confirm)] == ["x:y", "x:n"]
    await bot.press("x:y", method="editMessageText", user=user)
    db = bot.core.db
    assert db["users"].count == 0 or not list(db.query("select 1 from users where id = 2001"))
    assert not list(db.query("select 1 from subscriptions where user_id = 2001"))
    assert db["question_log"].count == 0 and db["feedback"].count == 0
    assert [r["user_id"] for r in db["tickets"].rows] == [None]


def test_retention_is_configurable():
    from bot.settings import load

    s = load({"TELEGRAM_BOT_TOKEN": "123456:abcdefghijklmnopqrstuvwxyz", "QUESTION_RETENTION_DAYS": "30"}, None)
    assert s.retention_days == 30
    assert dt.timedelta(days=s.retention_days) < dt.timedelta(days=180)


async def test_a_correction_apologises_offers_others_and_queues_the_question(bot):
    user = bot.api.user(1801, "vi")
    first = await bot.reply_to("giấy xác nhận độc thân để đăng ký kết hôn", user=user)
    answered = next(d for _, d in buttons(first) if d.startswith("f:u:")).rsplit(":", 1)[1]
    sorry = await bot.reply_to("không phải", user=user)
    assert "Xin lỗi" in sorry["text"]
    offered = [d for _, d in buttons(sorry)]
    assert any(d.startswith("e:") for d in offered) and any(d.startswith("k:") for d in offered)  # + an officer
    assert f"e:{answered}" not in offered  # never the answer said to be wrong
    await bot.reply_to("/unanswered", user=officer(bot))
    await bot.api.wait_for_text("sendMessage", "độc thân", chat_id=OFFICER)  # queued as wrongly answered
