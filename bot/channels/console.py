"""`python -m bot chat`: a terminal conversation with the bundled knowledge base."""

from __future__ import annotations

import sys
from collections.abc import Callable, Iterable, Iterator

from bot.app import SECTIONS, Core
from bot.engine.compose import render_plain
from bot.engine.engine import Status
from bot.engine.replies import intro, status_text
from bot.i18n import gettext, normalize_language
from bot.services.dialogue import Dialogues

#: section commands, as in Telegram (/dichvu, /dulich, /ocop) plus /muctieu for the plan's targets
SECTION_COMMANDS = {"/dichvu": "svc", "/dulich": "tour", "/ocop": "ocop", "/muctieu": "goal"}
_SECTION = "section:"  # a choice that opens a section rather than an entry


class ConsoleChat:
    """One user's conversation. ``handle`` takes a line and returns the reply text."""

    def __init__(self, core: Core, lang: str = "vi") -> None:
        self.core = core
        self.lang = normalize_language(lang) or "vi"
        self.choices: list[str] = []  # what the numbers of the last list open: entry ids or "section:<key>"
        self.last: str | None = None  # the entry last shown, for /full
        self.dialogue = Dialogues()  # the same follow-ups as in Telegram

    def greeting(self) -> str:
        return "\n".join(
            [
                intro(self.lang),
                gettext(
                    self.lang,
                    "Type /menu to browse, /lang to switch language (vi/en), /quit to leave.",
                ),
            ]
        )

    def handle(self, line: str) -> str | None:
        """The reply to one line; None means the user wants to leave."""
        text = line.strip()
        if text in ("/quit", "/exit", "/q"):
            return None
        if text.startswith("/lang"):
            arg = text[5:].strip()
            self.lang = normalize_language(arg) or ("en" if self.lang == "vi" else "vi")
            return gettext(self.lang, "Language: English")
        if text in ("/help", "/start"):
            return self.greeting()
        if text == "/full" and self.last:
            return self._show(self.last, self.lang)
        if text == "/menu":
            return self._list(
                gettext(self.lang, "What would you like to know?"),
                [(_SECTION + key, gettext(self.lang, label)) for key, (label, _c) in SECTIONS.items()],
            )
        if text in SECTION_COMMANDS:
            return self._section(SECTION_COMMANDS[text])
        if text.isdigit() and self.choices:  # a number with nothing to choose from is a question
            n = int(text)
            if not 1 <= n <= len(self.choices):
                return gettext(self.lang, "There is no number {n} here: choose from 1 to {last}.").format(
                    n=n, last=len(self.choices)
                )
            choice = self.choices[n - 1]
            if choice.startswith(_SECTION):
                return self._section(choice[len(_SECTION) :])
            return self._show(choice, self.lang)
        result, _before = self.dialogue.reply(self.core.engine, 0, 0, text, self.lang)
        if result.status is Status.ANSWER and result.entry_id:
            return self._show(result.entry_id, result.lang, result.field)
        lines = [status_text(result.status, result.lang, console=True, commune=self.core.commune)]
        if result.status in (Status.SUGGEST, Status.CLARIFY, Status.CORRECTION):
            self.choices = result.suggestions
            lines += [f"  {i}. {self.core.title(s, result.lang)}" for i, s in enumerate(result.suggestions, 1)]
            lines.append(gettext(result.lang, "Type a number to open one of them."))
        return "\n".join(lines)

    def _list(self, title: str, items: list[tuple[str, str]]) -> str:
        """A numbered list; typing a number opens that item."""
        self.choices = [key for key, _ in items]
        lines = [title, *(f"  {i}. {label}" for i, (_, label) in enumerate(items, 1))]
        lines.append(gettext(self.lang, "Type a number to open one of them."))
        return "\n".join(lines)

    def _section(self, key: str) -> str:
        return self._list(gettext(self.lang, SECTIONS[key][0]), self.core.section(key, self.lang))

    def _show(self, entry_id: str, lang: str, field: str | None = None) -> str:
        answer = self.core.answer(entry_id, lang, field)
        self.choices = [r for r, _ in answer.related] if answer else []
        self.last = entry_id
        if self.dialogue.context(0, 0) != entry_id:  # opened by number or /full, not by a question
            self.dialogue.answered(0, 0, entry_id)
        if answer is None:
            return status_text(Status.NONE, lang)
        text = render_plain(answer, lang, related=False)
        if field:
            text += "\n\n" + gettext(lang, "/full: the full answer")
        if answer.related:
            text += "\n\n" + gettext(lang, "See also:") + "\n"
            text += "\n".join(f"  {i}. {t}" for i, (_, t) in enumerate(answer.related, 1))
        return text


def _lines(stream: Iterable[str] | None) -> Iterator[str]:
    if stream is not None:
        yield from stream
    elif sys.stdin.isatty():
        while True:
            try:
                yield input("> ")
            except (EOFError, KeyboardInterrupt):
                print()
                return
    else:
        yield from sys.stdin


def run(
    core: Core, lang: str = "vi", stream: Iterable[str] | None = None, write: Callable[[str], object] = print
) -> int:
    """Read lines until /quit or end of input, writing each reply."""
    chat = ConsoleChat(core, lang)
    write(chat.greeting())
    for line in _lines(stream):
        reply = chat.handle(line)
        if reply is None:
            break
        write(reply + "\n")
    return 0
