"""The knowledge base: required entries, truthfulness rules, and `kb check` on broken data."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest

from bot.knowledge.loader import load

REQUIRED = [
    "service.birth-registration",
    "service.marriage-registration",
    "service.death-registration",
    "service.marital-status-certificate",
    "service.civil-status-extract",
    "service.paternity-recognition",
    "service.copy-certification",
    "service.signature-certification",
    "service.residence-registration",
    "service.citizen-id-card",
    "service.land-use-certificate",
    "service.land-change-registration",
    "service.construction-permit",
    "service.household-business",
    "service.social-allowance",
    "service.funeral-support",
    "service.health-insurance-child",
    "service.poor-household",
    "service.preferential-credit",
    "service.vocational-training",
    "service.online-public-services",
    "service.complaints-feedback",
    "service.one-stop-office",
    "tour.thai-lu-culture",
    "tour.chu-va-peak",
    "tour.ngu-chi-son",
    "tour.farmer-day",
    "tour.regional-links",
    "place.chu-va-6",
    "place.chu-va-8",
    "place.na-phat",
    "place.muong-lu-lake",
    "place.vuon-dia-dang",
    "place.heritage-village",
    "place.love-road",
    "place.o-quy-ho-pass",
    "stay.homestay",
    "event.binh-lu-festival",
    "travel.getting-there",
    "travel.cuisine",
    "travel.crafts",
    "ocop.program",
    "ocop.where-to-buy",
    "ocop.mien-dong",
    "ocop.cold-water-fish",
    "ocop.specialty-rice",
    "ocop.tea",
    "ocop.macadamia",
    "ocop.passion-fruit",
    "ocop.lai-chau-ginseng",
    "ocop.temperate-fruit",
    "goal.resolution",
    "goal.overview",
    "goal.income",
    "goal.budget-revenue",
    "goal.food-output",
    "goal.forest-cover",
    "goal.tourists",
    "goal.education",
    "goal.health",
    "goal.culture",
    "goal.poverty-labour",
    "goal.infrastructure",
    "goal.new-rural",
    "goal.high-tech-agriculture",
    "goal.tourism-development",
    "goal.digital-transformation",
    "goal.ecommerce",
    "meta.greeting",
    "meta.thanks",
    "meta.help",
    "meta.announcements",
]


def run_cli(*args: str, cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "bot", *args], capture_output=True, text=True, cwd=cwd, timeout=120)


def test_every_required_entry_exists_with_both_answers(kb):
    ids = {e.id for e in kb.entries}
    assert not set(REQUIRED) - ids
    for e in kb.entries:
        assert e.answer.vi.strip() and e.answer.en.strip()


def test_plan_numbers_are_quoted_as_the_resolution_writes_them(kb):
    by_id = kb.by_id()
    assert "59 triệu" in by_id["goal.income"].answer.vi
    assert "18%" in by_id["goal.budget-revenue"].answer.vi
    assert "10.000 tấn" in by_id["goal.food-output"].answer.vi
    assert "59,55%" in by_id["goal.forest-cover"].answer.vi
    assert "59.55%" in by_id["goal.forest-cover"].answer.en
    assert "900.000" in by_id["goal.tourists"].answer.vi


def test_the_clean_water_contradiction_is_stated_not_hidden(kb):
    water = kb.by_id()["goal.infrastructure"]
    for text in (water.answer.vi, water.answer.en):
        assert "100%" in text and ("98,5%" in text or "98.5%" in text)


def test_no_local_detail_is_invented_in_entries(kb):
    phone = re.compile(r"(?<![\d/.])0\d{2,3}[ .]?\d{3}[ .]?\d{3,4}(?!\d)")
    for e in kb.entries:
        for text in (e.answer.vi, e.answer.en):
            assert not phone.search(text), f"{e.id} has something like a phone number"
        assert e.location is None, f"{e.id}: coordinates belong in commune.yaml, set by the deployer"


def test_commune_file_is_empty_by_default(kb):
    c = kb.commune
    assert not (c.one_stop_office.phone or c.one_stop_office.address or c.hotline or c.homestays or c.locations)


def test_services_cite_a_legal_basis_or_source(kb):
    for e in kb.entries:
        if e.category == "service":
            assert e.source.strip()


def test_bundled_knowledge_passes_kb_check():
    result = run_cli("kb", "check")
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith("ok:")


def _edit(path: Path, old: str, new: str) -> None:
    text = path.read_text(encoding="utf-8")
    assert old in text
    path.write_text(text.replace(old, new, 1), encoding="utf-8")


@pytest.mark.parametrize(
    ("old", "new", "message"),
    [
        ("- id: meta.thanks", "- id: meta.greeting", "duplicate id"),
        ("- id: meta.thanks", "- id: Meta.Thanks!", "malformed id"),
    ],
)
def test_kb_check_names_file_line_and_entry(knowledge_copy, old, new, message):
    _edit(knowledge_copy / "entries" / "meta.yaml", old, new)
    result = run_cli("--knowledge", str(knowledge_copy), "kb", "check")
    assert result.returncode == 1
    assert "entries/meta.yaml:" in result.stderr
    assert message in result.stderr
    assert "Traceback" not in result.stderr


def test_kb_check_reports_missing_english_answer(knowledge_copy):
    path = knowledge_copy / "entries" / "extra.yaml"
    path.write_text(
        "- id: meta.extra\n  category: meta\n  title: {vi: Thêm, en: Extra}\n"
        "  questions: {vi: [thêm gì]}\n  answer: {vi: Chỉ tiếng Việt}\n  source: test\n  updated: 2026-01-01\n",
        encoding="utf-8",
    )
    problems = load(knowledge_copy).problems
    assert any(p.entry == "meta.extra" and "answer.en" in p.message and p.line == 1 for p in problems)


def test_kb_check_reports_unknown_related_and_no_questions(knowledge_copy):
    path = knowledge_copy / "entries" / "extra.yaml"
    path.write_text(
        "- id: meta.extra\n  category: meta\n  title: {vi: Thêm, en: Extra}\n  questions: {vi: [], en: []}\n"
        "  answer: {vi: a, en: b}\n  related: [meta.nowhere]\n  source: test\n  updated: 2026-01-01\n"
        "- id: meta.other\n  category: meta\n  title: {vi: Khác, en: Other}\n  questions: {vi: [khác]}\n"
        "  answer: {vi: a, en: b}\n  related: [meta.nowhere]\n  source: test\n  updated: 2026-01-01\n",
        encoding="utf-8",
    )
    messages = [str(p) for p in load(knowledge_copy).problems]
    assert any("extra.yaml:1 [meta.extra]" in m and "no questions" in m for m in messages)
    assert any("extra.yaml:9 [meta.other]" in m and "unknown related id 'meta.nowhere'" in m for m in messages)


def test_broken_yaml_names_file_and_line(knowledge_copy):
    path = knowledge_copy / "entries" / "meta.yaml"
    lines = path.read_text(encoding="utf-8").splitlines()
    lines[4] = lines[4] + ' "unclosed: [oops'
    path.write_text("\n".join(lines), encoding="utf-8")
    result = run_cli("--knowledge", str(knowledge_copy), "kb", "check")
    assert result.returncode == 1
    assert re.search(r"entries/meta\.yaml:\d+: YAML syntax error", result.stderr)
    assert "Traceback" not in result.stderr


def test_export_prints_every_entry_with_its_texts():
    import json

    result = run_cli("kb", "export", "--json")
    assert result.returncode == 0
    data = json.loads(result.stdout)
    ids = {e["id"] for e in data["entries"]}
    assert set(REQUIRED) <= ids
    one = next(e for e in data["entries"] if e["id"] == "goal.forest-cover")
    assert one["answer"]["vi"] and one["answer"]["en"] and one["questions"]["vi"]


def test_kb_check_names_the_line_of_a_bad_commune_detail_and_hints_at_quotes(knowledge_copy):
    path = knowledge_copy / "commune.yaml"
    police = 'police:                # Công an xã (residence registration, ID cards)\n  address: ""\n'
    _edit(path, police + '  phone: ""', police + "  phone: +84912345678")
    _edit(path, 'website: ""', 'website: "binhlu.gov.vn"')
    line = {n: i for i, n in enumerate(path.read_text(encoding="utf-8").splitlines(), 1)}
    result = run_cli("--knowledge", str(knowledge_copy), "kb", "check")
    assert result.returncode == 1
    assert f"knowledge/commune.yaml:{line['  phone: +84912345678']}: police.phone" in result.stderr
    assert 'in quotes, e.g. phone: "0213 3876 543"' in result.stderr
    website = next(n for t, n in line.items() if t.startswith("website:"))
    assert f"commune.yaml:{website}: website" in result.stderr and "https://" in result.stderr


@pytest.mark.parametrize(
    ("service", "source", "message"),
    [
        ("  service: {legal_basis: [Luật Hôn nhân và Gia đình 52/2014/QH13]}\n", "  source: luật\n", "service.where"),
        ("  service: {where: {vi: Tòa án, en: Court}}\n", "", "source"),
        ("", "  source: luật\n", "service.where"),
    ],
)
def test_kb_check_refuses_a_where_to_go_entry_without_its_office_or_source(knowledge_copy, service, source, message):
    (knowledge_copy / "entries" / "extra.yaml").write_text(
        "- id: referral.divorce\n  category: referral\n  title: {vi: Ly hôn, en: Divorce}\n"
        "  questions: {vi: [ly hôn ở đâu]}\n  answer: {vi: Tòa án., en: The court.}\n"
        + service
        + source
        + "  updated: 2026-12-03\n",
        encoding="utf-8",
    )
    problems = load(knowledge_copy).problems
    assert any(p.entry == "referral.divorce" and message in p.message and p.line == 1 for p in problems), problems


def test_the_catalogue_in_the_knowledge_readme_lists_every_entry_and_nothing_else(kb):
    readme = (Path(__file__).parent.parent / "knowledge" / "README.md").read_text(encoding="utf-8")
    catalogue = readme[readme.index("## Catalogue") :]
    listed = re.findall(r"^- `([a-z]+\.[a-z0-9-]+)` — ", catalogue, flags=re.M)
    assert sorted(listed) == sorted(e.id for e in kb.entries)
    titles = {e.id: e.title.vi for e in kb.entries}
    assert all(f"`{i}` — {titles[i]}" in catalogue for i in listed)
    assert len([e for e in kb.entries if e.category == "referral"]) >= 25
