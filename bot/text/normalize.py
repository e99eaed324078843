"""Unicode clean-up, diacritic folding and tokenisation.

Two views of every Vietnamese token are kept:

* the *folded* form — no diacritics, ``đ`` → ``d`` — used for recall, because
  people type without accents;
* the *accent key* — vowel marks kept, the tone mark moved to a fixed place —
  used to prefer exact-accent matches when the user did type accents. Both
  tone placements ("hoà" / "hòa", "uỷ" / "ủy") give the same key.
"""

from __future__ import annotations

import re
import unicodedata
from functools import lru_cache

MAX_INPUT_CHARS = 500

# Combining tone marks: grave (huyền), acute (sắc), tilde (ngã), hook (hỏi), dot below (nặng).
_TONES = {"\u0300": "2", "\u0301": "1", "\u0303": "4", "\u0309": "3", "\u0323": "5"}
_TOKEN_RE = re.compile(r"\d+(?:[.,]\d+)*|[^\W\d_]+", re.UNICODE)
_LATIN_RE = re.compile(r"[a-z]")
_HIDDEN = frozenset(("Cc", "Cf", "Cs", "Co", "Cn", "Zl", "Zp"))


def clean(text: str, limit: int = MAX_INPUT_CHARS) -> str:
    """NFC, lower case, control and format characters turned into spaces, cut to ``limit``.

    A longer message keeps its beginning (a third) and its end (the rest), cut at spaces:
    people tell their story first and ask at the end ("…, thì cần giấy tờ gì ạ?")."""
    if len(text) > limit * 4:
        text = text[: limit * 2] + " " + text[-limit * 2 :]
    text = unicodedata.normalize("NFC", text)
    if not text.isprintable():
        text = "".join(" " if unicodedata.category(ch) in _HIDDEN else ch for ch in text)
    text = " ".join(text.lower().split())
    if len(text) <= limit:
        return text
    head = text[: limit // 3].rsplit(" ", 1)[0]
    tail = text[-(limit - len(head) - 1) :]
    if " " in tail:
        tail = tail.split(" ", 1)[1]
    return f"{head} {tail}"[:limit]


@lru_cache(maxsize=65536)
def fold(text: str) -> str:
    """Remove every diacritic, with ``đ`` → ``d``."""
    decomposed = unicodedata.normalize("NFD", text)
    stripped = "".join(ch for ch in decomposed if unicodedata.category(ch) != "Mn")
    return stripped.replace("đ", "d").replace("Đ", "D")


@lru_cache(maxsize=65536)
def accent_key(token: str) -> str | None:
    """The token with its tone moved to a fixed place, or None when it has no diacritic."""
    decomposed = unicodedata.normalize("NFD", token)
    if decomposed == token and "đ" not in token:
        return None
    tone = "0"
    base = []
    for ch in decomposed:
        if ch in _TONES:
            tone = _TONES[ch]
        else:
            base.append(ch)
    return unicodedata.normalize("NFC", "".join(base)) + tone


def has_diacritics(text: str) -> bool:
    return fold(text) != text


def tokens(text: str) -> list[str]:
    """Word tokens (letters or numbers) of already cleaned text."""
    return _TOKEN_RE.findall(text)


def has_latin(folded_tokens: list[str]) -> bool:
    return any(_LATIN_RE.search(t) or t[0].isdigit() for t in folded_tokens)
