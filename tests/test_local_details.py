"""Officers' local details over commune.yaml: validated, effective at once, kept with history and undo."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

from bot.app import Core
from bot.knowledge.schema import Location
from bot.services.local_details import LocalDetails, Refused
from bot.storage.db import DB_FILE, connect
from tests.conftest import ROOT


def test_a_confirmed_value_overrides_the_file_at_once_and_an_undo_puts_it_back(core):
    before = core.answer("service.birth-registration", "vi")
    assert not [f for f in before.fields if f.key == "phone"]
    change = core.local.propose("one_stop_office.phone", " 0213 3876 543 ")
    assert (change.was, change.becomes) == ("", "0213 3876 543")
    first = core.local.apply(change, officer=42)
    shown = core.answer("service.birth-registration", "vi")
    assert [f.value for f in shown.fields if f.key == "phone"] == ["0213 3876 543"]  # no restart
    core.local.apply(core.local.propose("one_stop_office.phone", "0213 000 111"), officer=43)  # the later wins
    assert core.commune.one_stop_office.phone == "0213 000 111"
    core.local.undo(first, officer=42)
    assert core.commune.one_stop_office.phone == ""  # back to commune.yaml's (empty) value
    history = core.local.history()
    assert [h["officer"] for h in history] == [42, 43, 42] and history[0]["undo_of"] == first
    audit = [r["action"] for r in core.db.query("select action from audit order by id")]
    assert audit == ["local_detail.set", "local_detail.set", "local_detail.undo"]


@pytest.mark.parametrize(
    ("field", "value", "reason"),
    [
        ("police.phone", "gọi anh Sơn", "not a phone number"),
        ("website", "binhlu.gov.vn", "https://"),
        ("police.email", "congan@", "not an e-mail"),
        ("one_stop_office.address", "x" * 5000, "too long"),
        ("locations.place.muong-lu-lake", Location(latitude=48.85, longitude=2.35), "outside the commune's area"),
        ("nowhere", "1", "unknown field"),
    ],
)
def test_a_bad_value_is_refused_with_the_reason_and_changes_nothing(core, field, value, reason):
    with pytest.raises(Refused, match=reason):
        core.local.propose(field, value)
    assert core.local.history() == [] and core.local.overrides() == {}


def test_villages_set_by_officers_reach_the_subscriptions_at_once(core):
    from bot.services.subscriptions import Subscriptions

    subs = Subscriptions(core.db, core.kb.topics, lambda: core.commune.villages)
    assert subs.villages == []
    core.local.apply(core.local.propose("villages", ["Chu Va 6", "Chu Va 8", "Nà Phát"]), officer=1)
    assert subs.villages == ["Chu Va 6", "Chu Va 8", "Nà Phát"]


def _cli(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "bot", *args], capture_output=True, text=True, cwd=ROOT, timeout=120)


def test_commune_export_shows_the_effective_values_and_kb_check_validates_them(tmp_path, knowledge_copy):
    details = LocalDetails(connect(tmp_path / DB_FILE), Core.open(knowledge_copy, tmp_path).kb.commune)
    details.apply(details.propose("locations.place.muong-lu-lake", Location(latitude=22.3, longitude=103.6)), 5)
    result = _cli("--knowledge", str(knowledge_copy), "--data-dir", str(tmp_path), "commune", "export")
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout)["locations"] == {"place.muong-lu-lake": {"latitude": 22.3, "longitude": 103.6}}
    assert (knowledge_copy / "commune.yaml").read_text(encoding="utf-8").count("22.3") == 0  # file never rewritten
    # the deployer narrows the area later: the officers' pin no longer fits, and kb check says so
    text = (knowledge_copy / "commune.yaml").read_text(encoding="utf-8")
    (knowledge_copy / "commune.yaml").write_text(
        text.replace("\narea:", "\narea: {south: 10.0, west: 105.0, north: 11.0, east: 106.0}"), encoding="utf-8"
    )
    check = _cli("--knowledge", str(knowledge_copy), "--data-dir", str(tmp_path), "kb", "check")
    assert check.returncode == 1 and "outside the commune's area" in check.stderr and "Traceback" not in check.stderr


def test_an_owner_edits_a_listing_by_sending_it_again_and_it_replaces_the_old_once_approved(core):
    from bot.services.homestays import Draft

    first = core.homestays.submit(7, Draft(name="Nhà Ún", village="Chu Va 6", phone="0912 000 111"))
    core.homestays.approve(first, 1)
    again = core.homestays.submit(7, Draft(name="nhà ún", village="Chu Va 6", phone="0912 999 888"))
    assert [h.phone for h in core.commune.homestays] == ["0912 000 111"]  # the old one until approval
    core.homestays.approve(again, 1)
    assert [h.phone for h in core.commune.homestays] == ["0912 999 888"]
    other = core.homestays.submit(8, Draft(name="Nhà Ún", village="Nà Phát", phone="0912 555 444"))
    core.homestays.approve(other, 1)  # another owner's place of the same name is another place
    assert len(core.commune.homestays) == 2
