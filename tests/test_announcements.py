"""Officers push announcements; people choose what they receive; delivery loses nothing."""

from __future__ import annotations

import asyncio
import shutil

import pytest

from bot.channels.telegram.officer import parse_when
from tests import harness
from tests.conftest import KNOWLEDGE
from tests.fakebot import Failure, FakeBotAPI
from tests.harness import ADMIN, OFFICER, buttons


@pytest.fixture
def knowledge_with_villages(tmp_path):
    dest = tmp_path / "knowledge"
    shutil.copytree(KNOWLEDGE, dest)
    path = dest / "commune.yaml"
    path.write_text(
        path.read_text(encoding="utf-8").replace("villages: []", "villages: [Chu Va 6, Chu Va 8, Nà Phát]"),
        encoding="utf-8",
    )
    return dest


@pytest.fixture
async def bot(tmp_path, knowledge_with_villages):
    h = await harness.start(knowledge_with_villages, tmp_path / "data", broadcast_rate=200.0)
    h.app.bot_data["roles"].add_officer(ADMIN, OFFICER)
    yield h
    await harness.stop(h)


def officer_user(h):
    return h.api.user(OFFICER, "vi", "Cán bộ")


async def compose(h, text: str, topics=("general",), villages=(), english: str | None = None) -> list[tuple[str, str]]:
    """Drive /announce up to the preview; returns the buttons under the summary."""
    user = officer_user(h)
    await h.reply_to("/announce", user=user)
    for t in topics:
        await h.press(f"a:t:{t}", method="editMessageReplyMarkup", user=user)
    for v in villages:
        await h.press(f"a:v:{v}", method="editMessageReplyMarkup", user=user)
    await h.press("a:next", method="editMessageText", user=user)
    await h.reply_to(text, user=user)
    before = len(h.api.sent())
    if english is None:
        h.api.press("a:skip", user=user)
    else:
        h.api.send_text(english, user=user)
    calls = await h.api.wait_for("sendMessage", count=before + 3 + (english is not None))
    summary = calls[-1]
    assert "người" in summary["text"]
    return buttons(summary)


async def wait_delivered(h, chat_ids, text_part: str, timeout: float = 20) -> None:
    for chat in chat_ids:
        await h.api.wait_for("sendMessage", chat_id=chat, timeout=timeout)
    for chat in chat_ids:
        assert any(text_part in m["text"] for m in h.api.sent(chat_id=chat))


async def eventually(check, timeout: float = 10.0) -> None:
    for _ in range(int(timeout / 0.05)):
        if check():
            return
        await asyncio.sleep(0.05)
    raise AssertionError("condition not reached")


# --- roles ----------------------------------------------------------------------------------------
async def test_only_admins_manage_officers_and_it_is_audited(bot):
    stranger = bot.api.user(5555, "vi")
    reply = await bot.reply_to("/officer add 7777", user=stranger)
    assert "cán bộ" in reply["text"].lower()
    assert not bot.app.bot_data["roles"].is_officer(7777)

    admin = bot.api.user(ADMIN, "vi")
    await bot.reply_to("/officer add 7777", user=admin)
    assert bot.app.bot_data["roles"].is_officer(7777)
    forwarded = bot.api.message(
        "xin chào",
        user=bot.api.user(ADMIN),
        forward_origin={"type": "user", "date": 1, "sender_user": {"id": 8888, "is_bot": False, "first_name": "B"}},
    )
    await bot.reply_to("/officer add", user=admin, reply_to_message=forwarded)
    assert bot.app.bot_data["roles"].is_officer(8888)
    await bot.reply_to("/officer remove 7777", user=admin)
    assert not bot.app.bot_data["roles"].is_officer(7777)
    actions = [r["action"] for r in bot.core.db["audit"].rows]
    assert actions.count("officer.add") == 3 and "officer.remove" in actions  # the fixture added one too


async def test_non_officers_cannot_reach_officer_commands_or_buttons(bot):
    stranger = bot.api.user(5556, "vi")
    for command in ["/announce", "/pending", "/sent"]:
        reply = await bot.reply_to(command, user=stranger)
        assert "chỉ dành cho cán bộ" in reply["text"]
    bot.seed_users([101, 102])
    # an officer's real draft, ready to send…
    await compose(bot, "Lịch tiếp dân tuần này")
    draft = bot.app.bot_data["announcements"].draft_of(OFFICER)
    before = len(bot.api.sent())
    for data in ["a:send", "a:next", "a:t:emergency", f"a:recall:{draft.id}", f"a:unsched:{draft.id}", "a:cancel"]:
        n = len(bot.api.sent("answerCallbackQuery"))
        bot.api.press(data, user=stranger)
        (*_, answer) = await bot.api.wait_for("answerCallbackQuery", count=n + 1)
        assert answer.get("show_alert") is True
    await bot.quiet()
    assert len(bot.api.sent()) == before  # nothing went out
    assert bot.app.bot_data["announcements"].get(draft.id).stage == "preview"  # nothing changed


# --- subscriptions -----------------------------------------------------------------------------------
async def test_thongbao_toggles_topics_with_emergency_on_by_default(bot):
    user = bot.api.user(3101, "vi")
    panel = await bot.reply_to("/thongbao", user=user)
    labels = [t for t, _ in buttons(panel)]
    assert any(t.startswith("✅") and "Khẩn cấp" in t for t in labels)
    assert any(t.startswith("⬜") and "Thông báo chung" in t for t in labels)
    assert any("Bản" in t for t in labels)  # villages come from commune.yaml
    edited = await bot.press("t:general", method="editMessageText", user=user)
    assert any(t.startswith("✅") and "Thông báo chung" in t for t, _ in buttons(edited))
    subs = bot.app.bot_data["subscriptions"]
    assert [r.user_id for r in subs.recipients(["general"])] == [3101]
    await bot.press("vm", method="editMessageText", user=user)
    await bot.press("v:1", method="editMessageText", user=user)
    assert subs.village(3101) == "Chu Va 8"
    await bot.reply_to("/huy", user=user)
    assert subs.recipients(["general"]) == [] and subs.recipients(["emergency"]) == []


async def test_main_menu_announcements_button_opens_the_panel(bot):
    panel = await bot.press("n", method="editMessageText", user=bot.api.user(3102, "en"))
    assert any("Emergency" in t for t, _ in buttons(panel))


async def test_forged_subscription_buttons_change_nothing(bot):
    user = bot.api.user(3103, "vi")
    for data in ["t:not-a-topic", "v:99", "t:" + "x" * 30]:
        n = len(bot.api.sent("answerCallbackQuery"))
        bot.api.press(data, user=user)
        await bot.api.wait_for("answerCallbackQuery", count=n + 1)
    assert list(bot.core.db["subscriptions"].rows) == []


# --- composing and sending ----------------------------------------------------------------------------
async def test_officer_composes_previews_and_sends_with_progress(bot):
    bot.seed_users([201, 202, 203])
    bot.seed_users([204], language="en")
    subs = bot.app.bot_data["subscriptions"]
    for u in (201, 202, 204):
        subs.toggle(u, "general")
    labels = await compose(bot, "Lịch tiếp công dân: thứ Năm <b>8h</b>", english="Citizen reception: Thursday 8am")
    assert [t for t, _ in labels][:2] == ["Gửi ngay", "Hẹn giờ"]
    preview = bot.api.sent(chat_id=OFFICER)
    assert any("📢" in m["text"] and "&lt;b&gt;8h&lt;/b&gt;" in m["text"] for m in preview)  # escaped, as sent
    await bot.press("a:send", method="answerCallbackQuery", user=officer_user(bot))
    await wait_delivered(bot, [201, 202], "Lịch tiếp công dân")
    await wait_delivered(bot, [204], "Citizen reception")
    assert not bot.api.sent(chat_id=203)  # did not subscribe to general
    final = await bot.api.wait_for_text("editMessageText", "Đã xong", chat_id=OFFICER)
    assert "3 đã gửi" in final["text"] and "0 lỗi" in final["text"]


async def test_emergency_reaches_everyone_who_did_not_opt_out_and_villages_narrow_it(bot):
    bot.seed_users([301, 302, 303])
    subs = bot.app.bot_data["subscriptions"]
    subs.toggle(303, "emergency")  # explicit opt-out
    subs.set_village(301, "Nà Phát")
    await compose(bot, "Cảnh báo sạt lở đất", topics=("emergency",), villages=(2,))
    await bot.press("a:send", method="answerCallbackQuery", user=officer_user(bot))
    await wait_delivered(bot, [301], "Cảnh báo sạt lở")
    await bot.api.wait_for_text("editMessageText", "Đã xong", chat_id=OFFICER)  # the broadcast is over
    assert not bot.api.sent(chat_id=302)  # not in Nà Phát
    assert not bot.api.sent(chat_id=303)  # opted out
    assert "🚨" in bot.api.sent(chat_id=301)[0]["text"]


async def test_photo_announcement(bot):
    bot.seed_users([401])
    user = officer_user(bot)
    await bot.reply_to("/announce", user=user)
    await bot.press("a:t:emergency", method="editMessageReplyMarkup", user=user)
    await bot.press("a:next", method="editMessageText", user=user)
    bot.api.push(
        {
            "message": bot.api.message(
                None,
                user=user,
                caption="Lũ trên suối, tránh xa bờ",
                photo=[{"file_id": "PHOTO1", "file_unique_id": "u", "width": 1, "height": 1}],
            )
        }
    )
    await bot.api.wait_for("sendMessage", chat_id=OFFICER, count=2)
    await bot.press("a:skip", method="sendPhoto", user=user)  # the preview is the photo itself
    await bot.api.wait_for("sendMessage", chat_id=OFFICER, count=4)
    await bot.press("a:send", method="answerCallbackQuery", user=user)
    (photo,) = await bot.api.wait_for("sendPhoto", chat_id=401)
    assert photo["photo"] == "PHOTO1" and "tránh xa bờ" in photo["caption"]


async def test_schedule_list_cancel_and_it_survives_a_restart(tmp_path, knowledge_with_villages):
    data = tmp_path / "data"
    h = await harness.start(knowledge_with_villages, data, broadcast_rate=200.0)
    h.app.bot_data["roles"].add_officer(ADMIN, OFFICER)
    h.seed_users([501])
    h.app.bot_data["subscriptions"].toggle(501, "general")
    await compose(h, "Tiêm chủng mở rộng sáng thứ Bảy")
    await h.press("a:sched", user=officer_user(h))
    reply = await h.reply_to("25/12/2099 07:30", user=officer_user(h))
    assert "25/12/2099 07:30" in reply["text"]
    listing = await h.reply_to("/pending", user=officer_user(h))
    assert "Tiêm chủng" in listing["text"]
    (a,) = h.app.bot_data["announcements"].pending()
    api = h.api
    await harness.stop(h, keep_api=True)

    # a restart later, the time has come
    h.core.db["announcements"].update(a.id, {"scheduled_at": "2000-01-01T00:00:00+00:00"})
    h2 = await harness.start(knowledge_with_villages, data, api=api, broadcast_rate=200.0)
    try:
        await wait_delivered(h2, [501], "Tiêm chủng", timeout=20)
        await eventually(lambda: h2.app.bot_data["announcements"].get(a.id).stage == "done")
    finally:
        await harness.stop(h2)


async def test_cancel_a_scheduled_announcement(bot):
    bot.seed_users([601])
    await compose(bot, "Họp dân bản")
    await bot.press("a:sched", user=officer_user(bot))
    await bot.reply_to("01/01/2099 08:00", user=officer_user(bot))
    (a,) = bot.app.bot_data["announcements"].pending()
    await bot.press(f"a:unsched:{a.id}", method="answerCallbackQuery", user=officer_user(bot))
    assert bot.app.bot_data["announcements"].pending() == []


async def test_recall_deletes_the_sent_messages(bot):
    bot.seed_users([701, 702])
    subs = bot.app.bot_data["subscriptions"]
    for u in (701, 702):
        subs.toggle(u, "general")
    await compose(bot, "Thông báo nhầm")
    await bot.press("a:send", method="answerCallbackQuery", user=officer_user(bot))
    await wait_delivered(bot, [701, 702], "Thông báo nhầm")
    a = bot.app.bot_data["announcements"].recent()[0]
    await bot.api.wait_for_text("editMessageText", "Đã xong", chat_id=OFFICER)
    listing = await bot.reply_to("/sent", user=officer_user(bot))
    assert (f"a:recall:{a.id}") in [d for _, d in buttons(listing)]
    bot.api.press(f"a:recall:{a.id}", user=officer_user(bot))
    deletes = await bot.api.wait_for("deleteMessage", count=2)
    assert {str(d["chat_id"]) for d in deletes} == {"701", "702"}


def test_schedule_time_parsing():
    assert parse_when("25/12/2099 07:30").isoformat() == "2099-12-25T00:30:00+00:00"
    assert parse_when("07h30 25/12/2099").isoformat() == "2099-12-25T00:30:00+00:00"
    assert parse_when("31/02/2099 07:30") is None
    assert parse_when("ngày mai") is None


# --- delivery under failure ------------------------------------------------------------------------------
async def test_blocked_gone_migrated_throttled_and_failing_chats(bot):
    ids = [801, 802, 803, 804, 805]
    bot.seed_users(ids)
    subs = bot.app.bot_data["subscriptions"]
    for u in ids:
        subs.toggle(u, "general")
    api = bot.api
    await compose(bot, "Mất điện ngày mai")
    api.fail_chat(801, Failure(403, "Forbidden: bot was blocked by the user"))
    api.fail_chat(802, Failure(400, "Bad Request: chat not found"))
    api.fail_chat(803, Failure(429, "Too Many Requests: retry after 1", retry_after=1))
    api.fail_chat(804, Failure(502, "Bad Gateway"), Failure(500, "Internal Server Error"))
    await bot.press("a:send", method="answerCallbackQuery", user=officer_user(bot))
    store = bot.app.bot_data["announcements"]
    await eventually(lambda: bool(store.recent()))
    a = store.recent()[0]
    await eventually(lambda: store.progress(a.id)["done"] == 5, timeout=20)
    p = store.progress(a.id)
    assert p["sent"] == 3 and p["blocked"] == 2 and p["failed"] == 0
    assert len(subs.recipients(["general"])) == 3  # the two unreachable ones are skipped from now on
    for chat in (803, 804, 805):  # throttled and 5xx: retried until delivered, once
        assert len(api.sent(chat_id=chat)) == 1
    await bot.reply_to("/start", user=api.user(801, "vi"))  # unblocked the bot and came back
    assert len(subs.recipients(["general"])) == 4


async def test_chat_migration_updates_the_stored_chat(bot):
    bot.seed_users([901])
    bot.app.bot_data["subscriptions"].toggle(901, "general")
    await compose(bot, "Họp tổ")
    bot.api.fail_chat(901, Failure(400, "Bad Request: group chat was upgraded", migrate_to_chat_id=-100901))
    await bot.press("a:send", method="answerCallbackQuery", user=officer_user(bot))
    await bot.api.wait_for("sendMessage", chat_id=-100901, timeout=20)
    assert bot.core.db["subscribers"].get(901)["chat_id"] == -100901


async def test_the_rate_limit_is_respected_and_questions_still_get_answers(tmp_path, knowledge_with_villages):
    api = FakeBotAPI()
    await api.start()
    api.global_limit = 20
    api.chat_limit = 5  # Telegram tolerates short bursts in one chat, not sustained ones
    h = await harness.start(knowledge_with_villages, tmp_path / "data", api=api, broadcast_rate=15.0)
    try:
        h.app.bot_data["roles"].add_officer(ADMIN, OFFICER)
        recipients = list(range(10_000, 10_060))
        h.seed_users(recipients)
        await compose(h, "Lịch cắt điện", topics=("emergency",))
        await h.press("a:send", method="answerCallbackQuery", user=officer_user(h))
        answer = await h.reply_to("lam cccd o dau", user=h.api.user(4242, "vi"))  # mid-broadcast
        assert "căn cước" in answer["text"].lower()
        for chat in recipients:
            await api.wait_for("sendMessage", chat_id=chat, timeout=30)
        refused = [c for c in api.calls if c.status == 429 and c.params.get("chat_id") in recipients]
        assert refused == []  # the broadcast itself never exceeded the limit
    finally:
        await harness.stop(h)


async def test_the_pace_never_exceeds_the_broadcast_rate_in_any_second_at_the_server(tmp_path, knowledge_with_villages):
    h = await harness.start(knowledge_with_villages, tmp_path / "data", broadcast_rate=25.0)
    try:
        h.app.bot_data["roles"].add_officer(ADMIN, OFFICER)
        recipients = list(range(20_000, 20_050))
        h.seed_users(recipients)
        await compose(h, "Lịch cắt nước", topics=("emergency",))
        start = len(h.api.calls)
        await h.press("a:send", method="answerCallbackQuery", user=officer_user(h))
        await h.api.wait_for_text("editMessageText", "Đã xong", chat_id=OFFICER, timeout=30)
        sending = [c for c in h.api.calls[start:] if c.method in FakeBotAPI.SENDING]  # progress edits too
        arrivals = sorted(c.at for c in sending)
        assert sum(c.params.get("chat_id") in recipients for c in sending) == 50
        busiest = max(sum(1 for u in arrivals if t <= u < t + 1.0) for t in arrivals)
        assert busiest <= 25, f"{busiest} broadcast messages arrived within one second"
    finally:
        await harness.stop(h)


async def test_a_scheduled_announcement_goes_out_at_its_time_and_a_cancelled_one_never(bot):
    import datetime as dt

    from bot.channels.telegram import jobs

    bot.seed_users([1201])
    bot.app.bot_data["subscriptions"].toggle(1201, "general")
    store = bot.app.bot_data["announcements"]
    soon = dt.datetime.now(dt.UTC) + dt.timedelta(seconds=1.5)
    ids = []
    for text in ("Đúng giờ", "Đã hủy"):
        a = store.new_draft(OFFICER)
        store.update(a.id, topics=["general"], text_vi=text, stage="when")
        assert store.schedule(a.id, soon, OFFICER)
        jobs.schedule(bot.app.job_queue, store.get(a.id))
        ids.append(a.id)
    await bot.press(f"a:unsched:{ids[1]}", method="answerCallbackQuery", user=officer_user(bot))
    assert bot.app.job_queue.get_jobs_by_name(f"announcement:{ids[1]}") == ()
    await wait_delivered(bot, [1201], "Đúng giờ", timeout=10)
    await eventually(lambda: store.get(ids[0]).stage == "done")
    assert store.get(ids[1]).stage == "cancelled"
    assert all("Đã hủy" not in m["text"] for m in bot.api.sent(chat_id=1201))


async def test_a_half_finished_announcement_survives_a_restart(tmp_path, knowledge_with_villages):
    data = tmp_path / "data"
    h = await harness.start(knowledge_with_villages, data, broadcast_rate=200.0)
    h.app.bot_data["roles"].add_officer(ADMIN, OFFICER)
    user = officer_user(h)
    await h.reply_to("/announce", user=user)
    await h.press("a:t:general", method="editMessageReplyMarkup", user=user)
    await h.press("a:next", method="editMessageText", user=user)
    api = h.api
    await harness.stop(h, keep_api=True)  # the officer's wizard is waiting for the text

    h2 = await harness.start(knowledge_with_villages, data, api=api, broadcast_rate=200.0)
    try:
        reply = await h2.reply_to("Lịch tiêm phòng dại cho chó mèo", user=officer_user(h2))
        assert "tiếng Anh" in reply["text"] or "English" in reply["text"]  # taken as the text, not a question
        assert h2.app.bot_data["announcements"].draft_of(OFFICER).text_vi == "Lịch tiêm phòng dại cho chó mèo"
    finally:
        await harness.stop(h2)


async def test_a_step_typed_at_once_after_a_button_lands_in_the_draft(bot):
    """Updates of one conversation are handled in order: the text pushed together with the tap on
    Next reaches the wizard in its new state, not the question answering."""
    user = officer_user(bot)
    await bot.reply_to("/announce", user=user)
    await bot.press("a:t:general", method="editMessageReplyMarkup", user=user)
    bot.api.press("a:next", user=user)
    bot.api.send_text("Mất điện từ 8h đến 11h", user=user)
    await bot.quiet()
    assert bot.app.bot_data["announcements"].draft_of(OFFICER).text_vi == "Mất điện từ 8h đến 11h"
