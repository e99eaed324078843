"""Vietnamese text handling: folding, tone placement, syllables, Telex leftovers."""

import unicodedata

from bot.text.normalize import accent_key, clean, fold, has_diacritics, tokens
from bot.text.syllable import decode_telex, is_syllable, spelling_variant


def test_folding_removes_every_mark_and_maps_d_stroke():
    assert fold("Đăng ký khai sinh ở đâu") == "Dang ky khai sinh o dau"
    assert fold("đường") == fold("dương") == "duong"


def test_both_tone_placements_give_the_same_accent_key():
    assert accent_key("hoà") == accent_key("hòa")
    assert accent_key("uỷ") == accent_key("ủy")
    assert accent_key("thuỷ") == accent_key("thủy")


def test_accent_key_keeps_words_that_folding_merges_apart():
    assert accent_key("cần") != accent_key("căn")
    assert accent_key("đường") != accent_key("dương")
    assert accent_key("khai") is None  # nothing typed, nothing to prefer


def test_decomposed_input_is_read_like_composed_input():
    nfd = unicodedata.normalize("NFD", "Đăng ký kết hôn")
    assert clean(nfd) == clean("Đăng ký kết hôn") == "đăng ký kết hôn"


def test_clean_drops_control_characters_and_cuts_long_text():
    assert clean("khai\x00sinh\u200b\x1b[31m") == "khai sinh [31m"
    assert len(clean("a" * 10_000)) == 500


def test_tokens_keep_numbers_whole():
    assert tokens("tỷ lệ 59,55% và 10.000 tấn") == ["tỷ", "lệ", "59,55", "và", "10.000", "tấn"]


def test_syllable_shape():
    assert all(is_syllable(s) for s in ["khai", "sinh", "nghieng", "quyen", "thuong", "a"])
    assert not any(is_syllable(s) for s in ["thur", "tucj", "there", "sinhh", "ddang"])


def test_telex_leftovers_are_decoded_only_when_not_a_syllable():
    assert decode_telex("thur") == "thu"
    assert decode_telex("tucj") == "tuc"
    assert decode_telex("ddang") == "dang"
    assert decode_telex("khai") is None


def test_i_y_spelling_variants_merge():
    assert spelling_variant("ki") == spelling_variant("ky")
    assert spelling_variant("quy") == "quy"


def test_has_diacritics():
    assert has_diacritics("khai sinh ở đâu")
    assert not has_diacritics("khai sinh o dau")
