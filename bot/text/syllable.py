"""Vietnamese syllable shape, spelling variants, Telex leftovers and a light English stemmer.

All functions work on *folded* tokens (no diacritics, ``đ`` already ``d``).
"""

from __future__ import annotations

import re
from functools import lru_cache

_ONSET = r"(?:ngh|ng|nh|ch|gh|gi|kh|ph|qu|th|tr|b|c|d|g|h|k|l|m|n|p|r|s|t|v|x)?"
_RHYME = r"(?:[aeiouy]{1,3})(?:ch|ng|nh|c|m|n|p|t)?"
_SYLLABLE_RE = re.compile(rf"{_ONSET}{_RHYME}")
_I_Y_RE = re.compile(r"^([bcdhklmnrstv])y$")
_TONE_KEYS = "sfrxjz"
_TELEX_VOWELS = (("aa", "a"), ("aw", "a"), ("ee", "e"), ("oo", "o"), ("ow", "o"), ("uw", "u"))


@lru_cache(maxsize=65536)  # pure, on tokens: each distinct one is worked out once
def is_syllable(token: str) -> bool:
    """True when a folded token has the shape of a Vietnamese syllable."""
    return len(token) <= 7 and _SYLLABLE_RE.fullmatch(token) is not None


@lru_cache(maxsize=65536)  # pure, on tokens: each distinct one is worked out once
def spelling_variant(token: str) -> str:
    """Merge the i/y spelling variants of open syllables ("ký"/"kí", "lý"/"lí")."""
    return _I_Y_RE.sub(r"\1i", token)


@lru_cache(maxsize=65536)  # pure, on tokens: each distinct one is worked out once
def decode_telex(token: str) -> str | None:
    """The folded syllable a Telex leftover stands for ("thur" → "thu", "ddang" → "dang"), if any."""
    if is_syllable(token) or not token.isalpha():
        return None
    t = token
    if t.startswith("dd"):
        t = t[1:]
    for src, dst in _TELEX_VOWELS:
        t = t.replace(src, dst)
    if t and t[-1] in _TONE_KEYS and len(t) > 1:
        t = t[:-1]
    for src, dst in _TELEX_VOWELS:
        t = t.replace(src, dst)
    t = t.replace("w", "u")
    return t if t != token and is_syllable(t) else None


_SUFFIXES = ("ations", "ation", "ings", "ing", "ies", "ied", "ers", "er", "ed", "es", "s", "e")


@lru_cache(maxsize=65536)  # pure, on tokens: each distinct one is worked out once
def stem(token: str) -> str:
    """A light English stemmer for tokens that are not Vietnamese syllables."""
    if len(token) < 4 or is_syllable(token) or not token.isalpha():
        return token
    for suffix in _SUFFIXES:
        if token.endswith(suffix) and len(token) - len(suffix) >= 3:
            base = token[: -len(suffix)]
            if suffix in ("ies", "ied"):
                return base + "y"
            return stem(base) if len(base) >= 5 else base
    return token
