"""Links that open the bot on an entry (t.me deep links), for every channel: buttons, QR posters,
the web guide. The /start payload of an entry is its id with '.' as '_' (ids never contain '_')."""

from __future__ import annotations

import re

_PAYLOAD_RE = re.compile(r"^[A-Za-z0-9_-]{1,64}$")


def payload_for(entry_id: str) -> str:
    payload = entry_id.replace(".", "_")
    assert _PAYLOAD_RE.match(payload), entry_id
    return payload


def entry_from_payload(payload: str) -> str | None:
    if not _PAYLOAD_RE.match(payload or "") or "_" not in payload:
        return None
    return payload.replace("_", ".", 1)


def deep_link(bot_username: str, payload: str) -> str:
    return f"https://t.me/{bot_username.lstrip('@')}?start={payload}"
