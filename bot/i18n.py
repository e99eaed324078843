"""UI strings through gettext catalogs in locales/, and locale-aware numbers and dates.

The .po files are compiled in memory on first use, so a fresh clone needs no compile step.
Message ids are English; every user-visible string in the code goes through ``gettext``.
"""

from __future__ import annotations

import datetime as dt
import io
from functools import cache
from pathlib import Path

from babel import Locale
from babel.dates import format_date as _format_date
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from babel.numbers import format_decimal
from babel.support import NullTranslations, Translations

LOCALES_DIR = Path(__file__).resolve().parent.parent / "locales"
LANGUAGES = ("vi", "en")
DEFAULT_LANGUAGE = "vi"
DOMAIN = "messages"


def normalize_language(code: str | None) -> str | None:
    """'vi', 'vi-VN', 'en_US' → 'vi' / 'en'; anything else → None."""
    if not code:
        return None
    base = code.replace("_", "-").split("-")[0].lower()
    return base if base in LANGUAGES else None


@cache
def translator(lang: str) -> NullTranslations:
    """The catalog for ``lang`` (vi or en), compiled from its .po file."""
    lang = normalize_language(lang) or DEFAULT_LANGUAGE
    po = LOCALES_DIR / lang / "LC_MESSAGES" / f"{DOMAIN}.po"
    if not po.is_file():
        return NullTranslations()
    with po.open("rb") as f:
        catalog = read_po(f, locale=lang)
    buf = io.BytesIO()
    write_mo(buf, catalog, use_fuzzy=False)
    buf.seek(0)
    return Translations(fp=buf, domain=DOMAIN)


def N_(message: str) -> str:
    """Marks a message for extraction where it is defined; translate it later with ``gettext``."""
    return message


def gettext(lang: str, message: str) -> str:
    return translator(lang).gettext(message)


def ngettext(lang: str, singular: str, plural: str, n: int) -> str:
    return translator(lang).ngettext(singular, plural, n)


def format_number(value: float, lang: str, digits: int = 2) -> str:
    """59.55 → '59,55' (vi) / '59.55' (en); 10000 → '10.000' / '10,000'."""
    fmt = "#,##0" + ("." + "#" * digits if digits else "")
    return format_decimal(value, format=fmt, locale=Locale.parse(normalize_language(lang) or "vi"))


def format_percent(value: float, lang: str, digits: int = 2) -> str:
    """A percentage given in percent units: 59.55 → '59,55%' (vi) / '59.55%' (en)."""
    return format_number(value, lang, digits) + "%"


def format_date(value: dt.date, lang: str) -> str:
    """A date in the user's language: '15 tháng 7, 2026' / 'July 15, 2026'."""
    return _format_date(value, format="long", locale=Locale.parse(normalize_language(lang) or "vi"))
