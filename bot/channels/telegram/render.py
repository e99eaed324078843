"""Answers as Telegram HTML: every piece of text escaped, long answers split at paragraphs."""

from __future__ import annotations

from html import escape

from bot.engine.compose import Answer
from bot.i18n import gettext

LIMIT = 4096


def answer_html(answer: Answer, lang: str) -> str:
    parts = [f"<b>{escape(answer.title)}</b>"]
    for part in answer.order():
        if isinstance(part, str):
            parts.append(escape(part))
            continue
        lines = []
        for f in part:
            label = f"<b>{escape(f.label)}:</b>"
            if isinstance(f.value, list):
                lines.append(label + "\n" + "\n".join(f"• {escape(v)}" for v in f.value))
            elif f.link:
                lines.append(f'{label} {escape(f.value)} — <a href="{escape(f.link, quote=True)}">{escape(f.link)}</a>')
            else:
                lines.append(f"{label} {escape(f.value)}")
        parts.append("\n".join(lines))
    if answer.notes:
        parts.append("\n".join(f"<i>{escape(n)}</i>" for n in answer.notes))
    if answer.related:
        parts.append(escape(gettext(lang, "See also:")))
    return "\n\n".join(parts)


def split_message(text: str, limit: int = LIMIT) -> list[str]:
    """Chunks under ``limit`` characters, cut at blank lines, then at line ends, then hard.

    Cuts never fall inside an HTML tag pair written by ``answer_html``: every paragraph it
    writes closes its own tags, and a paragraph longer than the limit is cut at line ends."""
    if len(text) <= limit:
        return [text]
    chunks: list[str] = []
    current = ""
    for para in text.split("\n\n"):
        pieces = [para] if len(para) <= limit else _split_long(para, limit)
        for piece in pieces:
            candidate = f"{current}\n\n{piece}" if current else piece
            if len(candidate) <= limit:
                current = candidate
            else:
                if current:
                    chunks.append(current)
                current = piece
    if current:
        chunks.append(current)
    return chunks


def _split_long(para: str, limit: int) -> list[str]:
    out, current = [], ""
    for line in para.split("\n"):
        while len(line) > limit:
            cut = line.rfind(" ", 0, limit)
            cut = cut if cut > limit // 2 else limit
            out.append(line[:cut])
            line = line[cut:].lstrip()
        candidate = f"{current}\n{line}" if current else line
        if len(candidate) <= limit:
            current = candidate
        else:
            out.append(current)
            current = line
    if current:
        out.append(current)
    return out
