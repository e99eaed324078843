"""Telegram Mini App ``initData``: checked with the bot token as Telegram documents it
(https://core.telegram.org/bots/webapps#validating-data-received-via-the-mini-app) before any
request may use the identity it carries."""

from __future__ import annotations

import hashlib
import hmac
import json
import time
from urllib.parse import parse_qsl

MAX_AGE = 24 * 3600  # seconds an initData stays valid


def validate(init_data: str, token: str, now: float | None = None, max_age: int = MAX_AGE) -> dict | None:
    """The user (a dict) ``init_data`` speaks for, or None when its signature, or its age, is wrong."""
    try:
        pairs = dict(parse_qsl(init_data, keep_blank_values=True, strict_parsing=True))
    except ValueError:
        return None
    received = pairs.pop("hash", "")
    check = "\n".join(f"{k}={v}" for k, v in sorted(pairs.items()))
    secret = hmac.new(b"WebAppData", token.encode(), hashlib.sha256).digest()
    expected = hmac.new(secret, check.encode(), hashlib.sha256).hexdigest()
    if not received or not hmac.compare_digest(expected, received):
        return None
    try:
        auth_date = int(pairs.get("auth_date", "0"))
        user = json.loads(pairs.get("user", "null"))
    except ValueError:
        return None
    if not isinstance(user, dict) or (now if now is not None else time.time()) - auth_date > max_age:
        return None
    return user


def sign(fields: dict[str, str], token: str) -> str:
    """``fields`` as initData signed with ``token`` (what Telegram does; for tests and tools)."""
    from urllib.parse import urlencode

    check = "\n".join(f"{k}={v}" for k, v in sorted(fields.items()))
    secret = hmac.new(b"WebAppData", token.encode(), hashlib.sha256).digest()
    return urlencode({**fields, "hash": hmac.new(secret, check.encode(), hashlib.sha256).hexdigest()})
