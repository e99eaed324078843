"""Inline keyboards and the callback data behind their buttons.

Callback data is short ASCII — a kind letter and an entry id or a number, never text
(Telegram allows 64 bytes; a Vietnamese letter takes 2–3). Whatever arrives is parsed
defensively: anything unknown or forged becomes ``None``, which handlers answer politely.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from telegram import InlineKeyboardButton, InlineKeyboardMarkup, WebAppInfo

from bot.app import SECTIONS
from bot.i18n import gettext
from bot.services.links import entry_from_payload, payload_for

__all__ = ["entry_from_payload", "payload_for"]  # re-exported: the handlers' and the tests' names for them

PAGE_SIZE = 8
MAX_CALLBACK = 64


_ID = r"[a-z]+\.[a-z0-9-]+"
_PATTERNS = {
    "menu": re.compile(r"^m$"),
    "section": re.compile(r"^s:(svc|tour|ocop|goal):(\d{1,3})$"),
    "entry": re.compile(rf"^e:({_ID})$"),
    "lang": re.compile(r"^l:(vi|en)$"),
    "langmenu": re.compile(r"^L$"),
    "subscribe": re.compile(r"^n$"),
    "topic": re.compile(r"^t:([a-z0-9-]{1,20})$"),
    "villagemenu": re.compile(r"^vm$"),
    "village": re.compile(r"^v:(\d{1,3}|-)$"),
    "stop": re.compile(r"^h$"),
    "plan": re.compile(r"^p$"),
    "chart": re.compile(r"^g:([a-z0-9-]{1,40})$"),
    "goalcharts": re.compile(rf"^G:({_ID})$"),
    "feedback": re.compile(rf"^f:(u|d):(\d{{1,12}}):({_ID})$"),
    "ask": re.compile(r"^k:(\d{1,12})$"),
    "forget": re.compile(r"^x:(y|n)$"),
    # officers only (checked by their handlers): the unanswered queue; composing an announcement;
    # a scheduled or sent one (cancel, recall); confirming a /capnhat value
    "queue": re.compile(rf"^u:(att|dis|find):(\d{{1,12}})(?::({_ID}))?$"),
    "compose": re.compile(r"^a:(t|v|next|skip|sched|send|cancel)(?::([a-z0-9-]{1,20}))?$"),
    "manage": re.compile(r"^a:(unsched|recall):(\d{1,12})$"),
    "capnhat": re.compile(r"^a:(capok|capno):(\d{1,12})$"),
    "indicator": re.compile(r"^c:([a-z0-9-]{1,40})$"),
    # /caidat: a section, a field, confirm / cancel, undo a change
    "caidat": re.compile(r"^o:(s|f|u|ok|no)(?::([a-z0-9_.-]{1,50}))?$"),
    # /dangkyhomestay: the owner's steps (a village, skip, send, cancel), withdraw; officers' decisions
    "homestay": re.compile(r"^hs:(new|v|skip|send|cancel)(?::(\d{1,3}))?$"),
    "listing": re.compile(r"^hs:(w)(?::(\d{1,12}))$"),
    "stays": re.compile(r"^sp:(\d{1,3})$"),
    "vetting": re.compile(r"^hs:(a|r|h)(?::(\d{1,12}))$"),
}


def pattern(*kinds: str) -> re.Pattern[str]:
    """The callback data of these kinds of button, for ``CallbackQueryHandler(pattern=…)``."""
    return re.compile("|".join(f"(?:{_PATTERNS[k].pattern})" for k in kinds))


@dataclass(frozen=True)
class Callback:
    kind: str
    arg: str = ""
    page: int = 0
    extra: str = ""


def parse(data: str | None) -> Callback | None:
    if not data or len(data.encode()) > MAX_CALLBACK:
        return None
    for kind, pattern in _PATTERNS.items():
        m = pattern.match(data)
        if m:
            groups = m.groups()
            if kind == "section":
                return Callback(kind, groups[0], int(groups[1]))
            if kind in ("compose", "manage", "capnhat", "caidat", "homestay", "listing", "vetting"):
                return Callback(kind, groups[0], 0, groups[1] or "")
            if kind in ("feedback", "queue"):
                return Callback(kind, groups[0], int(groups[1]), groups[2] or "")
            if kind == "ask":
                return Callback(kind, "", int(groups[0]))
            return Callback(kind, groups[0] if groups else "")
    return None


def entry_data(entry_id: str) -> str:
    data = f"e:{entry_id}"
    assert len(data.encode()) <= MAX_CALLBACK, entry_id
    return data


def main_menu(lang: str) -> InlineKeyboardMarkup:
    t = lambda s: gettext(lang, s)
    rows = [
        [InlineKeyboardButton(t(SECTIONS["svc"][0]), callback_data="s:svc:0")],
        [
            InlineKeyboardButton(t(SECTIONS["tour"][0]), callback_data="s:tour:0"),
            InlineKeyboardButton(t(SECTIONS["ocop"][0]), callback_data="s:ocop:0"),
        ],
        [InlineKeyboardButton(t(SECTIONS["goal"][0]), callback_data="p")],
        [
            InlineKeyboardButton(gettext(lang, "🔔 Announcements"), callback_data="n"),
            InlineKeyboardButton(gettext(lang, "🌐 Language"), callback_data="L"),
        ],
    ]
    return InlineKeyboardMarkup(rows)


def menu_button(lang: str) -> InlineKeyboardButton:
    return InlineKeyboardButton(gettext(lang, "◀ Menu"), callback_data="m")


def section_menu(
    section: str, page: int, entries: list[tuple[str, str]], lang: str
) -> tuple[InlineKeyboardMarkup, int]:
    """Buttons for one page of a section's entries ((id, title) pairs); returns (markup, page used)."""
    pages = max(1, -(-len(entries) // PAGE_SIZE))
    page = min(max(page, 0), pages - 1)
    rows = [
        [InlineKeyboardButton(title, callback_data=entry_data(ident))]
        for ident, title in entries[page * PAGE_SIZE : (page + 1) * PAGE_SIZE]
    ]
    nav = []
    if page > 0:
        nav.append(InlineKeyboardButton("«", callback_data=f"s:{section}:{page - 1}"))
    nav.append(menu_button(lang))
    if page < pages - 1:
        nav.append(InlineKeyboardButton("»", callback_data=f"s:{section}:{page + 1}"))
    rows.append(nav)
    return InlineKeyboardMarkup(rows), page


def feedback_row(log_id: int, entry_id: str, chosen: str | None = None) -> list[InlineKeyboardButton]:
    up = "👍 ✓" if chosen == "u" else "👍"
    down = "👎 ✓" if chosen == "d" else "👎"
    return [
        InlineKeyboardButton(up, callback_data=f"f:u:{log_id}:{entry_id}"),
        InlineKeyboardButton(down, callback_data=f"f:d:{log_id}:{entry_id}"),
    ]


def ask_officer_button(log_id: int, lang: str) -> InlineKeyboardButton:
    return InlineKeyboardButton(gettext(lang, "🙋 Ask an officer"), callback_data=f"k:{log_id}")


def entry_buttons(
    related: list[tuple[str, str]],
    lang: str,
    feedback: tuple[int, str] | None = None,
    progress_of: str | None = None,
    full_answer: str | None = None,
    list_yours: bool = False,
    guide: str | None = None,
    more_stays: bool = False,
) -> InlineKeyboardMarkup:
    """ "📄 Full answer" under a part of an answer (``full_answer``: the entry), related entries, a
    📈 progress button for plan entries with indicators (``progress_of``), 👍/👎 for the answer just
    given (``feedback`` = (log id, entry id)), ◀ Menu."""
    rows = [[InlineKeyboardButton(title, callback_data=entry_data(ident))] for ident, title in related]
    if full_answer is not None:
        rows.insert(0, [InlineKeyboardButton(gettext(lang, "📄 Full answer"), callback_data=entry_data(full_answer))])
    if progress_of is not None:
        rows.insert(0, [InlineKeyboardButton(gettext(lang, "📈 Progress"), callback_data=f"G:{progress_of}")])
    if guide is not None:  # the entry in the web guide, inside Telegram (a Mini App)
        rows.insert(0, [InlineKeyboardButton(gettext(lang, "🗺 Open in the travel guide"), web_app=WebAppInfo(guide))])
    if more_stays:  # more listed places than one answer shows: the next page
        rows.insert(0, [more_stays_button(1, lang)])
    if list_yours:  # under the places to stay: owners list theirs (/dangkyhomestay)
        rows.append([InlineKeyboardButton(gettext(lang, "🏡 Do you run a homestay?"), callback_data="hs:new")])
    if feedback is not None:
        rows.append(feedback_row(*feedback))
    rows.append([menu_button(lang)])
    return InlineKeyboardMarkup(rows)


def more_stays_button(page: int, lang: str) -> InlineKeyboardButton:
    return InlineKeyboardButton(gettext(lang, "➡ More places to stay"), callback_data=f"sp:{page}")


def directions(latitude: float, longitude: float, lang: str) -> InlineKeyboardMarkup:
    """ "🧭 Directions" under a venue pin: the coordinates in the phone's map app (a universal link
    that Google Maps, or the browser, opens)."""
    url = f"https://www.google.com/maps/dir/?api=1&destination={latitude:.6f},{longitude:.6f}"
    return InlineKeyboardMarkup([[InlineKeyboardButton(gettext(lang, "🧭 Directions"), url=url)]])


def suggestion_buttons(
    suggestions: list[tuple[str, str]], lang: str, ask_officer: int | None = None
) -> InlineKeyboardMarkup:
    rows = [[InlineKeyboardButton(title, callback_data=entry_data(ident))] for ident, title in suggestions]
    last = [menu_button(lang)]
    if ask_officer is not None:
        last.insert(0, ask_officer_button(ask_officer, lang))
    rows.append(last)
    return InlineKeyboardMarkup(rows)


def language_menu() -> InlineKeyboardMarkup:
    return InlineKeyboardMarkup(
        [
            [
                InlineKeyboardButton("🇻🇳 Tiếng Việt", callback_data="l:vi"),
                InlineKeyboardButton("🇬🇧 English", callback_data="l:en"),
            ]
        ]
    )


# --- deep links ---------------------------------------------------------------------------
