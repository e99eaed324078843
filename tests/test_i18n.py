"""Every UI string in the code has a Vietnamese translation; numbers and dates follow the locale."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from babel.messages.extract import extract_from_dir
from babel.messages.pofile import read_po

from bot.i18n import format_date, format_number, format_percent, gettext, normalize_language

ROOT = Path(__file__).resolve().parent.parent
KEYWORDS = {"gettext": (2,), "ngettext": (2, 3), "N_": None}


def code_messages() -> set[str]:
    found = set()
    for _file, _line, message, _comments, _context in extract_from_dir(
        ROOT / "bot", keywords=KEYWORDS, comment_tags=()
    ):
        found.update([message] if isinstance(message, str) else [m for m in message if m])
    return found


def test_every_ui_string_in_the_code_is_translated_to_vietnamese():
    with (ROOT / "locales/vi/LC_MESSAGES/messages.po").open("rb") as f:
        catalog = read_po(f)
    translated = {m.id for m in catalog if m.id and m.string}
    missing = sorted(code_messages() - translated)
    assert missing == [], f"add these to locales/vi (see locales/README.md): {missing}"


def test_catalogs_load_without_a_compile_step():
    assert gettext("vi", "Documents") == "Giấy tờ cần có"
    assert gettext("en", "Documents") == "Documents"
    assert not list((ROOT / "locales").rglob("*.mo"))


def test_numbers_and_dates_follow_the_locale():
    assert format_percent(59.55, "vi") == "59,55%"
    assert format_percent(59.55, "en") == "59.55%"
    assert format_number(10000, "vi") == "10.000"
    assert format_number(10000, "en") == "10,000"
    assert format_date(dt.date(2026, 7, 15), "vi") == "15 tháng 7, 2026"
    assert format_date(dt.date(2026, 7, 15), "en") == "July 15, 2026"


def test_language_codes_are_normalised():
    assert normalize_language("vi-VN") == "vi"
    assert normalize_language("en_US") == "en"
    assert normalize_language("fr") is None
    assert normalize_language(None) is None
