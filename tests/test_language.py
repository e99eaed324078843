"""The reply language comes from the whole sentence, not from one word."""

from __future__ import annotations

import pytest

ENGLISH = [
    "Where is Mường Lư lake?",
    "Tell me about Sâm Lai Châu",
    "where can I buy miến dong?",
    "How far is Bình Lư from Sa Pa over the Ô Quy Hồ pass?",
    "Is there a homestay in Chu Va 6?",
    "what is the tour Ngũ chỉ sơn like",
    "Can we hike to Chu Va peak without a guide?",
    "my wife is from Bình Lư, how do we register our baby's birth there?",
    "where to buy mac ca and che in Binh Lu",
    "When is the Bình Lư festival?",
]
VIETNAMESE = [
    "homestay ở Chu Va 8 có không",
    "tour trải nghiệm làm nông dân giá bao nhiêu",
    "làm căn cước online trên VNeID được không",
    "dang ky tam tru online o dau",
    "co tour nao di ho muong lu khong ad",
    "mua miến dong ở đâu",
    "ocop binh lu co san pham gi",
    "đăng ký khai sinh cho con",
    "cho em hoi homestay o ban na phat",
    "tour Ngũ chỉ sơn đi mấy ngày",
]


@pytest.mark.parametrize("sentence", ENGLISH)
def test_an_english_sentence_with_vietnamese_names_is_answered_in_english(engine, sentence):
    assert engine.ask(sentence, lang="vi").lang == "en"


@pytest.mark.parametrize("sentence", VIETNAMESE)
def test_a_vietnamese_sentence_with_english_words_is_answered_in_vietnamese(engine, sentence):
    assert engine.ask(sentence, lang="en").lang == "vi"


@pytest.mark.parametrize("sentence", ["Mường Lư", "homestay", "Chu Va 6", "miến dong", "OCOP"])
def test_the_users_choice_decides_when_the_sentence_does_not_tell(engine, sentence):
    assert engine.ask(sentence, lang="en").lang == "en"
    assert engine.ask(sentence, lang="vi").lang == "vi"
