"""What a user notices of the engine: right answers, honest refusals, the reply language."""

from __future__ import annotations

import pytest

from bot.engine.engine import Status


@pytest.mark.parametrize(
    ("question", "expected"),
    [
        ("cho hoi thu tuc nhap khau cho vo", "service.residence-registration"),
        ("Làm giấy khai sinh cho con cần những gì?", "service.birth-registration"),
        ("lam cccd o dau", "service.citizen-id-card"),
        ("thur tucj ddang kys ket hon", "service.marriage-registration"),
        ("is there a guided hike up Chu Va?", "tour.chu-va-peak"),
        ("mua mien dong binh lu o dau", "ocop.mien-dong"),
        ("tỷ lệ che phủ rừng mục tiêu bao nhiêu", "goal.forest-cover"),
        ("xin chào", "meta.greeting"),
    ],
)
def test_answers_what_people_type(engine, question, expected):
    result = engine.ask(question)
    assert result.status is Status.ANSWER, result
    assert result.entry_id == expected


@pytest.mark.parametrize(
    "question",
    [
        "tỷ giá đô la hôm nay",
        "recommend a good movie",
        "qwerty",
        "giá vàng hôm nay bao nhiêu",
        "Xin giấy phép câu cá ở đâu?",
        "Do I need a fishing licence?",
    ],
)
def test_does_not_answer_out_of_scope_questions(engine, question):
    result = engine.ask(question)
    assert result.status is not Status.ANSWER, result
    assert result.entry_id is None


def test_unsure_questions_get_at_most_three_suggestions(engine):
    for question in ["giấy tờ", "đăng ký", "tour", "sản phẩm"]:
        result = engine.ask(question)
        assert result.status is not Status.ANSWER or result.confidence >= engine.calibration.threshold
        assert len(result.suggestions) <= 3


def test_reply_language_follows_the_question(engine):
    assert engine.ask("đăng ký kết hôn ở đâu").lang == "vi"
    assert engine.ask("dang ky ket hon o dau").lang == "vi"
    assert engine.ask("how do I register a marriage").lang == "en"


def test_stored_preference_decides_when_the_question_does_not_tell(engine):
    assert engine.ask("Chu Va", lang="en").lang == "en"
    assert engine.ask("Chu Va", lang="vi").lang == "vi"


def test_typed_accents_rank_exact_accent_matches_higher(engine):
    # "căn cước" (ID card) and "cần" (need) fold to the same letters
    assert engine.ask("làm căn cước").entry_id == "service.citizen-id-card"
    ranked = engine.matcher.rank("căn cước")
    top = engine.index.items[ranked.scored[0].index].entry.id
    assert top == "service.citizen-id-card"


def test_the_confidence_is_what_decides(engine):
    threshold = engine.matcher.calibration.threshold
    for q in ["đăng ký khai sinh cho con", "làm lại căn cước bị mất", "homestay ở Bình Lư"]:
        result = engine.ask(q)
        assert result.status is Status.ANSWER and result.confidence >= threshold, q
    for q in ["qwerty", "abc xyz", "giá vàng hôm nay"]:
        result = engine.ask(q)
        assert result.status is not Status.ANSWER and result.confidence < threshold, q


@pytest.mark.parametrize(
    ("text", "status"),
    [
        ("", Status.EMPTY),
        ("   \n\t ", Status.EMPTY),
        ("😀🎉👍", Status.EMPTY),
        ("?!...", Status.EMPTY),
        ("\x00\x01\x02", Status.EMPTY),
        ("你好，请问怎么办理出生登记", Status.UNSUPPORTED),
        ("สวัสดีครับ", Status.UNSUPPORTED),
    ],
)
def test_bad_input_gets_a_clear_status_never_an_exception(engine, text, status):
    assert engine.ask(text).status is status


def test_huge_input_is_cut_before_matching(engine):
    result = engine.ask("đăng ký khai sinh " * 2000)
    assert result.status in (Status.ANSWER, Status.SUGGEST)


@pytest.mark.parametrize(
    ("question", "field"),
    [
        ("lệ phí làm lại căn cước", "fee"),
        ("lam cccd het bn tien", "fee"),  # chat abbreviation, no accents
        ("đăng ký khai sinh mất mấy ngày", "time_limit"),
        ("dang ky ket hon can giay to gi", "documents"),
        ("lam giay khai tu online duoc ko", "online"),
        ("how much is the fee to register a marriage", "fee"),
        ("khai sinh cần giấy tờ gì và nộp ở đâu", None),  # two parts: the whole answer
        # "miễn phí" describes the training asked about; asked as a question it is the fee
        ("học nghề miễn phí cho lao động nông thôn đăng ký ở đâu", "where"),
        ("hoc nghe mien phi cho lao dong nong thon dang ky o dau", "where"),
        ("học nghề có miễn phí không", "fee"),
        ("co mien phi ko a", "fee"),
        ("đăng ký khai sinh", None),
    ],
)
def test_the_part_of_an_answer_a_question_asks_for(engine, question, field):
    assert engine.fields.find(question) == field


def test_a_part_is_asked_of_procedures_only_and_never_read_from_the_subjects_own_name(engine):
    assert engine.field_of("lệ phí làm lại căn cước", "service.citizen-id-card") == "fee"
    # a part the entry does not hold is still the part asked: the reply says it is not known
    assert engine.field_of("cấp sổ đỏ lệ phí bao nhiêu", "service.land-use-certificate") == "fee"
    assert engine.field_of("chu va 6 ở đâu", "place.chu-va-6") is None  # a place: its whole answer says where
    # "chi phí" is part of the name "Hỗ trợ chi phí mai táng": the question asks about the support itself
    assert engine.field_of("gia đình có được hỗ trợ chi phí mai táng không", "service.funeral-support") is None


@pytest.mark.parametrize(
    ("question", "field"),
    [
        ("Tôi muốn mở quán nhỏ ở đầu bản, đăng ký hộ kinh doanh thế nào?", None),  # đầu is not đâu
        ("Bố em mới mất, gia đình cần đi khai tử thì làm sao ạ", None),  # gia đình is not giá
        ("mo quan o dau ban thi dang ky o dau", "where"),  # typed without accents, folded
        ("Đăng ký hộ kinh doanh ở đâu", "where"),
    ],
)
def test_words_typed_with_accents_must_match_the_accents_of_a_part(engine, question, field):
    assert engine.fields.find(question) == field


def test_a_follow_up_may_name_the_subject_just_answered_but_not_another(engine):
    card = engine.ask("bao giờ thì có thẻ?", context="service.citizen-id-card")
    assert (card.status, card.entry_id, card.field) == (Status.ANSWER, "service.citizen-id-card", "time_limit")
    other = engine.ask("đăng ký xe máy ở đâu", context="service.birth-registration")
    assert other.entry_id != "service.birth-registration"  # a subject of its own, even one with no entry


@pytest.mark.parametrize(
    ("question", "field"),
    [
        ("còn lệ phí thì sao?", "fee"),
        ("thế làm online được không", "online"),
        ("mất mấy ngày", "time_limit"),
        ("con le phi thi sao a", "fee"),
        ("what about the fee", "fee"),
        ("and where do I submit it?", "where"),
    ],
)
def test_a_follow_up_answers_that_part_of_the_entry_just_answered(engine, question, field):
    result = engine.ask(question, context="service.marriage-registration")
    assert (result.status, result.entry_id, result.field) == (Status.ANSWER, "service.marriage-registration", field)
    alone = engine.ask(question)  # nothing before it: never a random entry, but "which procedure?"
    assert alone.status is Status.CLARIFY and alone.entry_id is None and alone.suggestions


def test_a_correction_after_suggestions_offers_the_next_ones(engine):
    from bot.services.dialogue import Dialogues

    d = Dialogues()
    first, _ = d.reply(engine, 1, 1, "hỏi về giấy tờ đất", "vi")
    assert first.status is Status.SUGGEST and first.suggestions
    again, before = d.reply(engine, 1, 1, "không phải, sai rồi bạn ơi", "vi")
    assert again.status is Status.CORRECTION and before is not None
    assert again.suggestions and not set(again.suggestions) & set(first.suggestions)


def test_a_follow_up_before_choosing_a_suggestion_offers_them_again(engine):
    from bot.services.dialogue import Dialogues

    d = Dialogues()
    first, _ = d.reply(engine, 2, 2, "hỏi về giấy tờ đất", "vi")
    assert len(first.suggestions) > 1
    follow, _ = d.reply(engine, 2, 2, "mất mấy ngày?", "vi")
    assert follow.status is Status.CLARIFY and follow.suggestions == first.suggestions


@pytest.mark.parametrize(
    ("question", "field"), [("hết bao nhiêu tiền ạ?", "fee"), ("how long does it take?", "time_limit")]
)
def test_a_part_asked_after_one_suggestion_is_that_part_of_it(engine, question, field):
    # "did you mean the ID card?" — and the person goes on asking: they took the one suggestion
    result = engine.ask(question, offered=["service.citizen-id-card"])
    assert (result.status, result.entry_id, result.field) == (Status.ANSWER, "service.citizen-id-card", field)
    # a suggestion that no longer exists is not taken: "which procedure?"
    gone = engine.ask(question, offered=["service.removed-long-ago"])
    assert gone.status is Status.CLARIFY and gone.entry_id is None


def test_a_suggestion_is_offered_when_the_views_together_reach_the_floor(engine):
    from bot.engine.matcher import Scored

    floor = engine.calibration.suggest_floor
    # a long question spreads its weight: neither containment nor coverage reaches the floor alone…
    spread = Scored(0, score=floor + 0.05, coverage=1.5 * floor, closeness=floor, containment=0.8 * floor)
    assert engine._plausible(spread)
    # …but a candidate whose blend stays under it is noise, not a suggestion
    weak = Scored(0, score=floor - 0.1, coverage=1.5 * floor, closeness=0.1, containment=0.8 * floor)
    assert not engine._plausible(weak)


def test_a_new_subject_starts_a_new_topic(engine):
    result = engine.ask("làm căn cước mất mấy ngày", context="service.marriage-registration")
    assert (result.entry_id, result.field) == ("service.citizen-id-card", "time_limit")


def test_follow_ups_are_forgotten_after_ten_minutes_and_never_cross_chats():
    from bot.services.dialogue import Dialogues

    d = Dialogues()
    d.answered(1, 7, "service.birth-registration", now=0)
    assert d.context(1, 7, now=599) == "service.birth-registration"
    assert d.context(2, 7, now=1) is None and d.context(1, 8, now=1) is None  # another chat, another person
    assert d.context(1, 7, now=601) is None


def test_a_correction_offers_the_next_best_entries_never_the_wrong_one(engine):
    assert engine.fields.correction("không phải ạ") and engine.fields.correction("that's not what I asked")
    assert not engine.fields.correction("không phải đăng ký kết hôn mà là khai sinh")
    result = engine.correct("giấy xác nhận độc thân để đăng ký kết hôn", ["service.marital-status-certificate"])
    assert result.status is Status.CORRECTION
    assert result.suggestions and "service.marital-status-certificate" not in result.suggestions


def test_a_question_turned_with_con_is_about_what_follows(engine):
    """ "A thì xong rồi, còn B thì sao?" asks about B: the clause after contrastive "còn" is the
    subject when it stands as a question on its own; unaccented "con" (child) is no such turn."""
    turned = engine.ask("Thẻ BHYT cho con dưới 6 tuổi thì xã làm rồi, còn BHYT hộ gia đình cho bố mẹ thì mua ở đâu?")
    assert turned.status is Status.ANSWER and turned.entry_id == "referral.household-health-insurance"
    assert engine.ask("Thẻ BHYT cho con dưới 6 tuổi làm ở đâu?").entry_id == "service.health-insurance-child"
    child = engine.ask("lam giay khai sinh cho con can giay to gi")
    assert child.entry_id == "service.birth-registration"


def test_a_part_asked_of_a_procedure_without_structured_facts_is_said_to_be_unknown(engine, tmp_path):
    """Vocational training has no fee on record: "có phải đóng học phí không?" after its answer gets
    the one line saying so (and the full answer's button), not the whole entry again."""
    from bot.app import Core
    from tests.conftest import KNOWLEDGE

    result = engine.ask("có phải đóng học phí không?", context="service.vocational-training")
    assert (result.status, result.entry_id, result.field) == (Status.ANSWER, "service.vocational-training", "fee")
    short = Core.open(KNOWLEDGE, tmp_path).answer(result.entry_id, "vi", result.field)
    assert short.fields == [] and short.paragraphs[0].startswith("Trợ lý chưa có thông tin đã xác minh")
    assert engine.ask("đào tạo nghề cho lao động nông thôn", "vi").field is None  # asked in general: whole
