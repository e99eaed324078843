"""What to say when there is no answer to give: channel-neutral texts for each status."""

from __future__ import annotations

from bot.engine.compose import commune_contacts
from bot.engine.engine import Status
from bot.i18n import gettext
from bot.knowledge.schema import Commune


def status_text(status: Status, lang: str, console: bool = False, commune: Commune | None = None) -> str:
    """The short message for a result that is not a confident answer. ``console``: the menu is
    a command there (/menu), not the buttons under the message. ``commune``: when nothing could
    be answered, its hotline and website (if set) follow, so that a person still has somewhere to ask."""
    text = _status_text(status, lang, console)
    if commune is not None and status in (Status.NONE, Status.CORRECTION):
        text += "".join(f"\n{f.label}: {f.value}" for f in commune_contacts(commune, lang))
    return text


def _status_text(status: Status, lang: str, console: bool) -> str:
    if status is Status.EMPTY:
        return gettext(lang, "Please type your question in words, for example: “đăng ký khai sinh ở đâu?”")
    if status is Status.UNSUPPORTED:
        return gettext(lang, "Sorry, I can only read Vietnamese and English. Please ask in one of them.")
    if status is Status.SUGGEST:
        return gettext(lang, "I am not sure I understood. Did you mean:")
    if status is Status.CORRECTION:
        return gettext(lang, "Sorry! Did you mean one of these?")
    if status is Status.CLARIFY:
        return gettext(lang, "Which procedure do you mean? Name it, or choose one:")
    if console:
        return gettext(
            lang,
            "Sorry, I have no information on that yet. Try other words, type /menu to browse, "
            "or ask at the commune's one-stop desk.",
        )
    return gettext(
        lang,
        "Sorry, I have no information on that yet. Try other words, browse the menu, "
        "or ask at the commune's one-stop desk.",
    )


def intro(lang: str) -> str:
    return gettext(
        lang,
        "I am the virtual assistant of Bình Lư commune (Lai Châu). Ask me about public services "
        "and paperwork, tours, villages and homestays, local OCOP products, or the commune's "
        "2026–2030 plan — in Vietnamese, with or without accents, or in English.",
    )
