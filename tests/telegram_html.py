"""Telegram's HTML parse mode, checked the way the Bot API checks it (after TDLib's parser):
supported tags only, each closed in order, '<' only as a tag; entities &lt; &gt; &amp; &quot;
and numeric ones decoded (a lone '&' stays as it is, as Telegram keeps it). Returns the plain
text a recipient sees, whose length Telegram limits; errors read like Telegram's."""

from __future__ import annotations

import re

SUPPORTED = frozenset(
    {
        "a", "b", "strong", "i", "em", "u", "ins", "s", "strike", "del", "span", "tg-spoiler",
        "tg-emoji", "code", "pre", "blockquote",
    }
)  # fmt: skip
ENTITY = re.compile(r"&(?:(lt|gt|amp|quot);|#(\d{1,7});|#x([0-9a-fA-F]{1,6});)")
NAMED = {"lt": "<", "gt": ">", "amp": "&", "quot": '"'}
START = re.compile(r"<([a-zA-Z][a-zA-Z0-9-]*)((?:\s+[a-zA-Z-]+(?:\s*=\s*(?:\"[^\"]*\"|'[^']*'|[^\s>]+))?)*)\s*>")
END = re.compile(r"</([a-zA-Z][a-zA-Z0-9-]*)\s*>")
ATTR = re.compile(r"([a-zA-Z-]+)(?:\s*=\s*(\"[^\"]*\"|'[^']*'|[^\s>]+))?")


class HTMLError(ValueError):
    pass


def utf16_len(text: str) -> int:
    """Telegram counts lengths in UTF-16 code units."""
    return len(text.encode("utf-16-le")) // 2


def parse_html(text: str) -> str:
    out: list[str] = []
    stack: list[str] = []
    i = 0
    while i < len(text):
        c = text[i]
        offset = len(text[:i].encode())
        if c == "&":
            m = ENTITY.match(text, i)
            if m is None:
                out.append("&")
                i += 1
                continue
            name, dec, hexa = m.groups()
            out.append(NAMED[name] if name else chr(int(dec) if dec else int(hexa, 16)))
            i = m.end()
        elif c == "<":
            if text.startswith("</", i):
                m = END.match(text, i)
                if m is None:
                    raise HTMLError(f"Unclosed end tag at byte offset {offset}")
                name = m.group(1).lower()
                if not stack:
                    raise HTMLError(f'Unexpected end tag at byte offset {offset}: "</{name}>"')
                if name != stack[-1]:
                    raise HTMLError(
                        f'Unmatched end tag at byte offset {offset}, expected "</{stack[-1]}>", found "</{name}>"'
                    )
                stack.pop()
                i = m.end()
                continue
            m = START.match(text, i)
            if m is None:
                name = re.match(r"<([^\s>]*)", text[i:])
                raise HTMLError(f'Unsupported start tag "{name.group(1) if name else ""}" at byte offset {offset}')
            name = m.group(1).lower()
            if name not in SUPPORTED:
                raise HTMLError(f'Unsupported start tag "{name}" at byte offset {offset}')
            attrs = {k.lower(): (v or "").strip("\"'") for k, v in ATTR.findall(m.group(2) or "")}
            if name == "span" and attrs.get("class") != "tg-spoiler":
                raise HTMLError(f'Tag "span" must have class "tg-spoiler" at byte offset {offset}')
            if name == "a" and "href" not in attrs:
                out.append("")  # an <a> without href is allowed, and shown as plain text
            stack.append(name)
            i = m.end()
        else:
            out.append(c)
            i += 1
    if stack:
        raise HTMLError(f'Can\'t find end tag corresponding to start tag "{stack[-1]}"')
    return "".join(out)
