"""Every button is safe to press twice — both taps at once, as a shaky thumb or a slow network
sends them: the second changes nothing, sends nothing twice, and the keyboard never grows."""

from __future__ import annotations

import json

import pytest

from tests import harness
from tests.conftest import KNOWLEDGE
from tests.fakebot import BOT_USER, Failure
from tests.harness import ADMIN, OFFICER, buttons
from tests.test_announcements import compose, officer_user, wait_delivered

GROUP = -100888


@pytest.fixture
async def bot(tmp_path):
    h = await harness.start(KNOWLEDGE, tmp_path / "data", officers_chat_id=GROUP, broadcast_rate=200.0)
    h.app.bot_data["roles"].add_officer(ADMIN, OFFICER)
    yield h
    await harness.stop(h)


async def tap_twice(h, data: str, user: dict, message: dict | None = None) -> list[dict]:
    """Both taps pushed before the bot fetches either; returns the two callback answers."""
    ids = [h.api.press(data, user=user, message=message) for _ in range(2)]
    await h.quiet()
    return [(await h.api.wait_for("answerCallbackQuery", callback_query_id=i))[0] for i in ids]


async def sent_to(h, users: tuple[int, ...], text: str):
    """An announcement on "general" composed, sent to ``users`` and finished; returns it."""
    h.seed_users(list(users))
    for u in users:
        h.app.bot_data["subscriptions"].toggle(u, "general")
    await compose(h, text)
    await h.press("a:send", method="answerCallbackQuery", user=officer_user(h))
    await h.api.wait_for_text("editMessageText", "Đã xong", chat_id=OFFICER)
    return h.app.bot_data["announcements"].recent()[0]


def audit(h, action: str) -> list[dict]:
    return list(h.core.db.query("select * from audit where action = ?", [action]))


def texts(h, chat: int, method: str = "sendMessage") -> list[str]:
    return [str(m.get("text", "")) for m in h.api.sent(method, chat_id=chat)]


async def test_send_now_twice_sends_once_with_one_progress_message(bot):
    bot.seed_users([11, 12])
    for u in (11, 12):
        bot.app.bot_data["subscriptions"].toggle(u, "general")
    await compose(bot, "Họp dân tối nay")
    answers = await tap_twice(bot, "a:send", officer_user(bot))
    assert [a.get("text") for a in answers].count("Đang gửi…") == 1  # the other: already sent / closed
    await wait_delivered(bot, [11, 12], "Họp dân tối nay")
    await bot.api.wait_for_text("editMessageText", "Đã xong", chat_id=OFFICER)
    assert sum(t.startswith("Đã gửi 0/") for t in texts(bot, OFFICER)) == 1  # one progress message
    assert len(audit(bot, "announcement.send")) == 1
    assert [len(bot.api.sent(chat_id=u)) for u in (11, 12)] == [1, 1]


async def test_next_skip_schedule_and_cancel_twice_act_once(bot):
    officer = officer_user(bot)
    await bot.reply_to("/announce", user=officer)
    await bot.press("a:t:general", method="editMessageReplyMarkup", user=officer)
    await tap_twice(bot, "a:next", officer)
    assert sum("Hãy gửi nội dung" in t for t in texts(bot, OFFICER, "editMessageText")) == 1
    await bot.reply_to("Lịch tiêm chủng", user=officer)
    await tap_twice(bot, "a:skip", officer)
    assert sum("Xem trước" in t for t in texts(bot, OFFICER)) == 1  # one preview, not two
    await tap_twice(bot, "a:sched", officer)
    assert sum("Gửi vào lúc nào" in t for t in texts(bot, OFFICER)) == 1
    await bot.reply_to("01/01/2099 08:00", user=officer)
    (a,) = bot.app.bot_data["announcements"].pending()
    answers = await tap_twice(bot, f"a:unsched:{a.id}", officer)
    assert sorted(x.get("text") for x in answers) == ["Đã hủy.", "Đã quá muộn để hủy."]
    assert len(audit(bot, "announcement.cancel")) == 1

    await bot.reply_to("/announce", user=officer)
    await tap_twice(bot, "a:cancel", officer)
    assert sum("Đã hủy thông báo" in t for t in texts(bot, OFFICER, "editMessageText")) == 1
    assert len(audit(bot, "announcement.cancel")) == 2


async def test_recall_twice_deletes_each_copy_once(bot):
    a = await sent_to(bot, (21, 22, 23), "Thông báo nhầm")
    await tap_twice(bot, f"a:recall:{a.id}", officer_user(bot))
    await bot.api.wait_for_text("sendMessage", "Đã thu hồi", chat_id=OFFICER)
    assert sorted(str(d["chat_id"]) for d in bot.api.sent("deleteMessage")) == ["21", "22", "23"]
    details = [json.loads(r["details"]) for r in audit(bot, "announcement.recall")]
    assert details == [{"id": a.id, "deleted": 3, "remaining": 0}]
    assert bot.app.bot_data["announcements"].get(a.id).stage == "recalled"


async def test_ask_an_officer_twice_opens_one_ticket(bot):
    asker = bot.api.user(31, "vi")
    reply = await bot.reply_to("xe buýt tuyến số 5 chạy mấy giờ", user=asker)
    ask = next(d for _, d in buttons(reply) if d.startswith("k:"))
    answers = await tap_twice(bot, ask, asker)
    assert bot.core.db["tickets"].count == 1
    assert len(bot.api.sent(chat_id=GROUP)) == 1
    assert any("đã được gửi tới cán bộ" in str(a.get("text")) for a in answers)


async def test_voting_down_twice_never_grows_the_keyboard(bot):
    user = bot.api.user(41, "vi")
    reply = await bot.reply_to("lam cccd o dau", user=user)
    down = next(d for _, d in buttons(reply) if d.startswith("f:d:"))
    message = bot.api.message(reply["text"], user=BOT_USER, chat={"id": 41, "type": "private"})
    markup = reply["reply_markup"]
    for _ in range(3):  # each tap carries the keyboard as the previous edit left it
        edited = await bot.press(
            down, method="editMessageReplyMarkup", user=user, message={**message, "reply_markup": markup}
        )
        markup = edited["reply_markup"]
        assert sum(d.startswith("k:") for _, d in buttons(edited)) == 1
    assert bot.core.db["feedback"].count == 1


async def test_attach_and_dismiss_twice_act_once(bot):
    for q in ("tách hộ cho con trai ra ở riêng ở đâu", "xe buýt tuyến số 5 chạy mấy giờ"):
        await bot.reply_to(q, user=bot.api.user(51, "vi"))
    await bot.reply_to("/unanswered", user=officer_user(bot))
    split = await bot.api.wait_for_text("sendMessage", "tách hộ", chat_id=OFFICER)
    bus = await bot.api.wait_for_text("sendMessage", "xe buýt", chat_id=OFFICER)
    attach = next(d for _, d in buttons(split) if d.startswith("u:att:"))
    dismiss = next(d for _, d in buttons(bus) if d.startswith("u:dis:"))
    await tap_twice(bot, attach, officer_user(bot))
    await tap_twice(bot, dismiss, officer_user(bot))
    assert len(audit(bot, "queue.attach")) == 1 and len(audit(bot, "queue.dismiss")) == 1
    learned = (bot.core.learned_path).read_text(encoding="utf-8")
    assert learned.count("tách hộ") == 1


async def test_confirming_a_value_or_a_deletion_twice_acts_once(bot):
    officer = bot.api.user(OFFICER, "vi")
    ask = await bot.reply_to("/capnhat forest-cover 2026 58,9", user=officer)
    confirm = next(d for _, d in buttons(ask) if d.startswith("a:capok:"))
    await tap_twice(bot, confirm, officer)
    assert len(audit(bot, "indicator.record")) == 1
    assert bot.core.db.execute("select count(*) from indicator_values where status = 'active'").fetchone()[0] == 1

    user = bot.api.user(61, "vi")
    await bot.reply_to("/xoadulieu", user=user)
    answers = await tap_twice(bot, "x:y", user)
    assert len(answers) == 2
    assert not list(bot.core.db.query("select 1 from users where id = 61"))


async def test_recall_waits_out_429_and_keeps_the_button_for_copies_it_could_not_delete(bot):
    a = await sent_to(bot, (71, 72, 73), "Cảnh báo sai")
    bot.api.fail(
        "deleteMessage",
        Failure(429, "Too Many Requests: retry after 1", retry_after=1),
        Failure(400, "Bad Request: message can't be deleted for everyone"),
    )
    bot.api.press(f"a:recall:{a.id}", user=officer_user(bot))
    report = await bot.api.wait_for_text("sendMessage", "Đã thu hồi", chat_id=OFFICER)
    assert "xóa 2 tin" in report["text"] and "Còn 1 tin" in report["text"]
    assert f"a:recall:{a.id}" in [d for _, d in buttons(report)]  # the button stays
    assert bot.app.bot_data["announcements"].get(a.id).stage == "done"
    deleted = [c for c in bot.api.calls if c.method == "deleteMessage" and c.status == 200]
    assert len(deleted) == 2  # the copy refused with 429 was tried again, and deleted
    before = len(texts(bot, OFFICER))
    bot.api.press(f"a:recall:{a.id}", user=officer_user(bot))  # the officer taps Recall again
    await bot.api.wait_for("sendMessage", chat_id=OFFICER, count=before + 1)
    assert "xóa 1 tin" in texts(bot, OFFICER)[-1]
    assert bot.app.bot_data["announcements"].get(a.id).stage == "recalled"
