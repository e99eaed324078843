"""The command line as a curator or a deployer uses it."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from bot.channels.console import ConsoleChat

ROOT = Path(__file__).resolve().parent.parent


def bot(*args: str, stdin: str | None = None, cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "bot", *args],
        input=stdin,
        capture_output=True,
        text=True,
        cwd=cwd or ROOT,
        timeout=120,
    )


def test_ask_json_reads_stdin_and_prints_one_object_per_line(tmp_path):
    questions = "lam cccd o dau\nqwerty\n\n" + "😀" + "\nis there a guided hike up Chu Va?\n"
    result = bot("--data-dir", str(tmp_path), "ask", "--json", stdin=questions)
    assert result.returncode == 0, result.stderr
    rows = [json.loads(line) for line in result.stdout.splitlines()]
    assert len(rows) == 5
    assert set(rows[0]) >= {"question", "id", "score", "answer", "suggestions", "lang"}
    assert rows[0]["id"] == "service.citizen-id-card" and rows[0]["answer"]
    assert rows[1]["id"] is None and rows[1]["answer"] is None
    assert rows[2]["id"] is None and rows[3]["id"] is None
    assert rows[4]["id"] == "tour.chu-va-peak" and rows[4]["lang"] == "en"


def test_ask_prints_an_answer(tmp_path):
    result = bot("--data-dir", str(tmp_path), "ask", "tỷ lệ che phủ rừng đến 2030")
    assert result.returncode == 0
    assert "59,55%" in result.stdout


def test_eval_prints_the_figures():
    result = bot("eval", "--json")
    figures = json.loads(result.stdout)
    assert {"top1", "top3", "wrong_rate", "oos_rejection", "top1.unaccented", "top1.english"} <= set(figures)


def test_kb_build_makes_an_inspectable_store(tmp_path):
    result = bot("--data-dir", str(tmp_path), "kb", "build")
    assert result.returncode == 0
    import sqlite_utils

    db = sqlite_utils.Database(tmp_path / "bot.db")
    assert db["entries"].count >= 70
    assert db["questions"].count > db["entries"].count
    assert list(db["entries"].search("khai sinh"))


def test_store_is_rebuilt_when_the_yaml_changes(tmp_path, knowledge_copy):
    from bot.app import Core

    first = Core.open(knowledge_copy, tmp_path)
    assert first.engine.entry("meta.wifi") is None
    path = knowledge_copy / "entries" / "meta.yaml"
    path.write_text(
        path.read_text(encoding="utf-8")
        + "\n- id: meta.wifi\n  category: meta\n  title: {vi: Wifi miễn phí, en: Free wifi}\n"
        "  questions: {vi: [mật khẩu wifi miễn phí ở nhà văn hóa là gì], en: [free wifi password]}\n"
        "  answer: {vi: Hỏi cán bộ xã., en: Ask the commune staff.}\n  source: test\n  updated: 2026-01-01\n",
        encoding="utf-8",
    )
    second = Core.open(knowledge_copy, tmp_path)
    assert second.engine.entry("meta.wifi") is not None
    assert second.engine.ask("mat khau wifi mien phi").entry_id == "meta.wifi"


def test_broken_yaml_at_start_serves_the_last_good_build(tmp_path, knowledge_copy):
    from bot.app import Core

    Core.open(knowledge_copy, tmp_path)
    (knowledge_copy / "entries" / "meta.yaml").write_text("- id: [broken", encoding="utf-8")
    core = Core.open(knowledge_copy, tmp_path)
    assert core.engine.entry("meta.greeting") is not None


def test_console_chat_numbers_suggestions_and_switches_language(core):
    chat = ConsoleChat(core, "vi")
    reply = chat.handle("giấy tờ đất")
    assert "1." in reply
    opened = chat.handle("1")
    assert opened and opened != reply
    assert chat.handle("/lang en") == "Language: English"
    assert "Source" in chat.handle("tour chu va")
    assert chat.handle("/quit") is None


def test_console_menu_and_section_commands_open_lists_as_in_telegram(core):
    chat = ConsoleChat(core, "en")
    menu = chat.handle("/menu")
    assert "1. 🏛 Public services" in menu and "2. 🏞 Tourism" in menu
    services = chat.handle("1")
    assert "Birth registration" in services and "Hồ Mường Lư" not in services
    opened = chat.handle("1")
    assert opened.startswith("BIRTH REGISTRATION")
    tourism = chat.handle("/dulich")
    assert "Mường Lư" in tourism and "Birth registration" not in tourism
    assert "Miến dong" in chat.handle("/ocop")


def test_console_numbers_refused_out_of_range_and_read_as_text_with_no_list(core):
    chat = ConsoleChat(core, "en")
    chat.handle("/menu")
    assert chat.handle("9") == "There is no number 9 here: choose from 1 to 4."
    assert chat.handle("0").startswith("There is no number 0")
    fresh = ConsoleChat(core, "en")
    assert "There is no number" not in fresh.handle("2030")  # nothing to choose from: a question


def test_console_says_to_type_menu_where_telegram_shows_buttons(core):
    chat = ConsoleChat(core, "en")
    reply = chat.handle("xyzzy plugh frobnicate")
    assert "/menu" in reply and "browse the menu" not in reply


def test_chat_command_reads_lines_until_quit(tmp_path):
    result = bot("--data-dir", str(tmp_path), "chat", stdin="lam cccd o dau\n/quit\nnot read\n")
    assert result.returncode == 0
    assert "CĂN CƯỚC" in result.stdout and "not read" not in result.stdout


def test_no_traceback_reaches_the_console(tmp_path):
    result = bot("--knowledge", str(tmp_path / "nowhere"), "--data-dir", str(tmp_path), "ask", "khai sinh")
    assert result.returncode != 0
    assert "Traceback" not in result.stderr and result.stderr.strip()


def _commands(parser, prefix=""):
    import argparse

    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            for name, child in action.choices.items():
                inner = list(_commands(child, f"{prefix}{name} "))
                yield from inner or [f"{prefix}{name}"]


def test_help_lists_every_command():
    from bot.cli import _parser

    commands = list(_commands(_parser()))
    assert {"chat", "kb check", "kb calibrate", "health", "backup", "qr"} <= set(commands)
    result = bot("--help")
    assert result.returncode == 0
    listed = {line.split("  ")[0].split(" --")[0].strip() for line in result.stdout.splitlines() if line[:1].isalpha()}
    assert set(commands) <= listed, set(commands) - listed
