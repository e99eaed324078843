"""What an answer shows: structured service facts, the date and advice, local details only when set."""

from __future__ import annotations

import re

from bot.engine.compose import compose, render_plain
from bot.knowledge.schema import Commune, Contact


def test_service_answers_show_facts_date_and_the_advice_to_confirm(kb):
    entry = kb.by_id()["service.birth-registration"]
    answer = compose(entry, "vi", Commune())
    labels = [f.label for f in answer.fields + answer.details]
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


def _text(kb, ident, lang, commune):
    return render_plain(compose(kb.by_id()[ident], lang, commune), lang)


def test_hotline_and_website_show_on_contact_answers_and_when_nothing_is_known(kb):
    from bot.engine.engine import Status
    from bot.engine.replies import status_text

    commune = Commune(hotline="0213 111 222", website="https://binhlu.laichau.gov.vn")
    for ident in ("service.one-stop-office", "service.complaints-feedback"):
        text = _text(kb, ident, "vi", commune)
        assert "Đường dây nóng của xã: 0213 111 222" in text and "https://binhlu.laichau.gov.vn" in text
    assert "0213 111 222" not in _text(kb, "service.birth-registration", "vi", commune)  # not on every answer
    assert "0213 111 222" in status_text(Status.NONE, "en", commune=commune)
    assert "hotline" not in status_text(Status.NONE, "en", commune=Commune())  # nothing set, nothing shown


def test_an_english_answer_says_when_a_local_detail_is_only_in_vietnamese(kb):
    only_vi = Commune(one_stop_office=Contact(hours="Sáng 7:30–11:30, chiều 13:30–17:00"))
    text = _text(kb, "service.birth-registration", "en", only_vi)
    assert "Working hours: Sáng 7:30–11:30, chiều 13:30–17:00 (in Vietnamese)" in text
    both = Commune(one_stop_office=Contact(hours={"vi": "Sáng 7:30–11:30", "en": "Mornings 7:30–11:30"}))
    assert "Working hours: Mornings 7:30–11:30\n" in _text(kb, "service.birth-registration", "en", both)
    assert "Giờ làm việc: Sáng 7:30–11:30" in _text(kb, "service.birth-registration", "vi", both)


def test_village_and_homestay_answers_agree_with_the_listed_homestays(kb):
    from bot.knowledge.schema import Homestay

    nothing = Commune()
    assert "chưa đăng danh sách homestay nào ở Chu Va 6" in _text(kb, "place.chu-va-6", "vi", nothing)
    assert "has not listed any place to stay" in _text(kb, "stay.homestay", "en", nothing)
    listed = Commune(homestays=[Homestay(name="Nhà A Sử", village="chu va 6", phone="0912 000 111")])
    village = _text(kb, "place.chu-va-6", "vi", listed)
    assert "Nhà A Sử, 0912 000 111" in village and "chưa đăng danh sách" not in village
    assert "chưa đăng danh sách homestay nào ở Nà Phát" in _text(kb, "place.na-phat", "vi", listed)
    stay = _text(kb, "stay.homestay", "en", listed)
    assert "Nhà A Sử" in stay and "not listed" not in stay and "does not list" not in stay


def test_the_closing_advice_names_the_office_that_handles_it(kb):
    for ident in ("service.citizen-id-card", "service.residence-registration"):
        text = _text(kb, ident, "vi", Commune())
        assert "Công an xã trước khi đi" in text and "Bộ phận Một cửa" not in text.split("Cập nhật")[1]
    assert "one-stop desk before you go" in _text(kb, "service.birth-registration", "en", Commune())


def test_a_procedure_answer_puts_what_people_need_first_and_the_sources_last(kb):
    text = _text(kb, "service.birth-registration", "vi", Commune())
    blocks = text.split("\n\n")
    assert blocks[1].startswith("Giấy tờ cần có:")  # right under the title
    for fact in ("Thời hạn giải quyết:", "Lệ phí:", "Nơi nộp hồ sơ:", "Nộp trực tuyến:"):
        assert fact in blocks[1]
    assert text.index("Căn cứ pháp lý:") > text.index("Đăng ký khai sinh là thủ tục")  # the basis after the text
    last = next(b for b in blocks if b.startswith("Cập nhật")).splitlines()[-1]
    assert last.startswith("Nguồn: Mã thủ tục 1.001193;") and "https://dichvucong.gov.vn/thu-tuc-hanh-chinh/" in last
    assert text.count("Mã thủ tục") == 1 and text.count("Luật Hộ tịch 60/2014/QH13") == 1  # no repeats


def test_no_full_answer_runs_over_1500_characters_without_a_reason(tmp_path):
    import re

    from bot.app import Core
    from bot.channels.telegram.render import answer_html
    from tests.conftest import KNOWLEDGE

    core = Core.open(KNOWLEDGE, tmp_path)
    long = []
    for entry in core.kb.entries:
        for lang in ("vi", "en"):
            shown = re.sub(r"<[^>]+>", "", answer_html(core.answer(entry.id, lang), lang))
            if len(shown) > 1500 and not entry.long_answer:
                long.append((entry.id, lang, len(shown)))
    assert not long


def test_a_part_the_procedure_does_not_hold_is_said_to_be_unknown_in_one_line(tmp_path):
    from bot.app import Core
    from tests.conftest import KNOWLEDGE

    core = Core.open(KNOWLEDGE, tmp_path)
    short = core.answer("service.land-change-registration", "vi", "fee")  # no verified fee in the entry
    assert short.fields == [] and len(short.paragraphs) == 1
    assert short.paragraphs[0].startswith("Trợ lý chưa có thông tin đã xác minh về điểm này")
    local = core.answer("service.birth-registration", "en", "phone")  # commune.yaml empty
    assert local.paragraphs[0].startswith("The commune has not put this detail in the assistant yet")


def test_english_answers_name_tours_in_english_and_cite_sections(kb):
    tour = _text(kb, "tour.chu-va-peak", "en", Commune())
    assert tour.startswith('TOUR "CONQUERING CHU VA PEAK" ("CHINH PHỤC ĐỈNH NÚI CHU VA")')
    for entry in kb.entries:
        text = _text(kb, entry.id, "en", Commune())
        assert "mục" not in text.split("Source:")[-1], entry.id  # "section 2.1.3", not "mục 2.1.3"
    assert "mục 2.1.3" in _text(kb, "tour.chu-va-peak", "vi", Commune())


def test_places_to_stay_in_the_village_asked_about_come_first(kb):
    from bot.knowledge.schema import Homestay

    commune = Commune(
        homestays=[
            Homestay(name="Nhà A", village="Nà Phát", phone="0912 000 001"),
            Homestay(name="Nhà B", village="Chu Va 8", phone="0912 000 002"),
        ]
    )
    entry = kb.by_id()["stay.homestay"]
    asked = render_plain(compose(entry, "vi", commune, question="homestay ở Chu Va 8?"), "vi")
    assert asked.index("Nhà B") < asked.index("Nhà A")
    plain = render_plain(compose(entry, "vi", commune), "vi")
    assert plain.index("Nhà A") < plain.index("Nhà B")  # no village named: as listed


TOURISM = ("tour", "place", "stay", "event", "travel")


def test_every_tourism_entry_carries_a_cited_public_fact_beyond_the_resolution(kb):
    for entry in kb.entries:
        if entry.category not in TOURISM:
            continue
        assert entry.facts, f"{entry.id}: no public fact"
        for fact in entry.facts:
            assert "NQ 32" not in fact.source and fact.url and fact.url.startswith("http"), entry.id
            no_price_or_phone = r"\d{3,4}[ .]?\d{3}[ .]?\d{3}|\d[\d.,]*\s*(?:đồng|vnđ|vnd|đ|usd|\$)(?!\w)"
            assert not re.search(no_price_or_phone, fact.vi + fact.en, flags=re.I), entry.id
        for lang in ("vi", "en"):  # shown after the text, each with its publication
            text = _text(kb, entry.id, lang, Commune())
            label = "Thông tin thêm (nguồn công khai):" if lang == "vi" else "Good to know (public sources):"
            assert label in text and f"{entry.facts[0].get(lang).rstrip('.')} ({entry.facts[0].source})" in text


def test_the_pass_answer_says_how_high_and_how_far_with_its_sources(kb):
    text = _text(kb, "place.o-quy-ho-pass", "en", Commune())
    assert "1,991 m" in text and "about 15 km from Sa Pa (VnEconomy, 01/01/2026)" in text
    assert text.index("Good to know") < text.index("Source:")


def test_kb_check_refuses_a_public_fact_without_its_source(knowledge_copy):
    from bot.knowledge.loader import load

    path = knowledge_copy / "entries" / "tourism.yaml"
    text = path.read_text(encoding="utf-8")
    first = text.index("      source: ", text.index("  facts:"))
    path.write_text(text[:first] + "      note: x\n" + text[text.index("\n", first) + 1 :], encoding="utf-8")
    problems = load(knowledge_copy).problems
    assert any("source" in p.message for p in problems), problems
