"""What an answer shows: structured service facts, the date and advice, local details only when set."""

from __future__ import annotations

from bot.engine.compose import compose, render_plain
from bot.knowledge.schema import Commune, Contact


def test_service_answers_show_facts_date_and_the_advice_to_confirm(kb):
    entry = kb.by_id()["service.birth-registration"]
    answer = compose(entry, "vi", Commune())
    labels = [f.label for f in answer.fields]
    assert "Giấy tờ cần có" in labels and "Căn cứ pháp lý" in labels
    text = render_plain(answer, "vi")
    assert "Cập nhật:" in text and "Bộ phận Một cửa" in text and "Nguồn:" in text
    assert "Điện thoại" not in text  # nothing local is shown while commune.yaml is empty


def test_local_details_appear_only_when_the_deployer_sets_them(kb):
    commune = Commune(
        one_stop_office=Contact(phone="0213 000 000", hours="7:30–17:00"), police=Contact(address="Trụ sở Công an xã")
    )
    residence = compose(kb.by_id()["service.residence-registration"], "vi", commune)
    assert [f.value for f in residence.fields if f.label == "Địa chỉ"] == ["Trụ sở Công an xã"]  # police desk
    assert not [f for f in residence.fields if f.label == "Điện thoại"]
    birth = compose(kb.by_id()["service.birth-registration"], "en", commune)
    assert [f.value for f in birth.fields if f.label == "Phone"] == ["0213 000 000"]


def test_english_answers_are_english(kb):
    text = render_plain(compose(kb.by_id()["service.marriage-registration"], "en", Commune()), "en")
    assert "Updated:" in text and "Source:" in text and "Cập nhật" not in text


def test_a_precise_reply_fits_in_400_characters_for_every_part_of_every_service(tmp_path):
    import html
    import re

    from bot.app import Core
    from bot.channels.telegram.render import answer_html
    from bot.engine.compose import PRECISE
    from tests.conftest import KNOWLEDGE

    core = Core.open(KNOWLEDGE, tmp_path / "data")
    lengths = {}
    for entry in core.kb.entries:
        if entry.category != "service":
            continue
        for part in PRECISE:
            for lang in ("vi", "en"):
                shown = html.unescape(re.sub(r"<[^>]+>", "", answer_html(core.answer(entry.id, lang, part), lang)))
                lengths[(entry.id, part, lang)] = len(shown)
    assert max(lengths.values()) <= 400, max(lengths.items(), key=lambda kv: kv[1])
    shortened = core.answer("service.residence-registration", "vi", "documents")
    assert "Xem đầy đủ" in shortened.fields[0].value[-1]  # a long list says how much more there is
