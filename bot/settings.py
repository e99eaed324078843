"""Settings from the environment or a .env file, validated at start.

A missing or malformed setting raises SettingsError with one clear line naming it.
Secrets (the bot token) are only ever read from here, never written to a log.
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass, field
from pathlib import Path

DEFAULT_API = "https://api.telegram.org/bot"
_TOKEN_RE = re.compile(r"^\d{3,}:[A-Za-z0-9_-]{20,}$")


class SettingsError(Exception):
    """A setting is missing or malformed; the message names it."""


def read_dotenv(path: Path) -> dict[str, str]:
    """KEY=VALUE lines; '#' comments; optional quotes. Unparseable lines are errors."""
    out: dict[str, str] = {}
    if not path.is_file():
        return out
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        if line.startswith("export "):
            line = line[7:]
        key, sep, value = line.partition("=")
        if not sep or not key.strip().isidentifier():
            raise SettingsError(f"{path}:{number}: expected KEY=VALUE")
        value = value.strip()
        if len(value) >= 2 and value[0] == value[-1] and value[0] in "'\"":
            value = value[1:-1]
        out[key.strip()] = value
    return out


def _int_list(name: str, raw: str) -> list[int]:
    try:
        return [int(x) for x in re.split(r"[,\s]+", raw.strip()) if x]
    except ValueError:
        raise SettingsError(f"{name} must be a comma-separated list of Telegram user ids, got {raw!r}") from None


def _int(name: str, raw: str, default: int | None) -> int | None:
    if not raw.strip():
        return default
    try:
        return int(raw)
    except ValueError:
        raise SettingsError(f"{name} must be a whole number, got {raw!r}") from None


def _float(name: str, raw: str, default: float) -> float:
    if not raw.strip():
        return default
    try:
        value = float(raw)
    except ValueError:
        raise SettingsError(f"{name} must be a number, got {raw!r}") from None
    if value <= 0:
        raise SettingsError(f"{name} must be positive, got {raw!r}")
    return value


@dataclass(frozen=True)
class Settings:
    token: str = field(repr=False)
    api_base_url: str = DEFAULT_API
    data_dir: Path = Path("data")
    knowledge_dir: Path | None = None
    webhook_url: str = ""
    webhook_secret: str = field(default="", repr=False)
    webhook_listen: str = "0.0.0.0"
    webhook_port: int = 8443
    admin_ids: tuple[int, ...] = ()
    officers_chat_id: int | None = None
    channel_id: int | None = None
    log_level: str = "INFO"
    log_format: str = "text"  # or json
    broadcast_rate: float = 25.0  # messages/s for broadcasts; Telegram allows about 30 in all
    broadcast_concurrency: int = 32  # sends in flight: at most these may repeat after a crash
    retention_days: int = 180  # how long logged questions are kept
    flood_limit: int = 20  # messages a minute per user before the bot goes quiet

    @property
    def bot_id(self) -> str:
        """The public part of the token (the bot's user id): safe to log."""
        return self.token.split(":", 1)[0]


def load(env: dict[str, str] | None = None, dotenv: Path | None = Path(".env")) -> Settings:
    """Settings from ``env`` (default: os.environ) over the .env file."""
    values = read_dotenv(dotenv) if dotenv else {}
    values.update(os.environ if env is None else env)
    get = lambda k, d="": (values.get(k) or d).strip()
    token = get("TELEGRAM_BOT_TOKEN")
    if not token:
        raise SettingsError(
            "TELEGRAM_BOT_TOKEN is not set: create a bot with @BotFather and put its token in the "
            "environment or in .env (see .env.example)"
        )
    if not _TOKEN_RE.match(token):
        raise SettingsError("TELEGRAM_BOT_TOKEN is malformed: expected <digits>:<letters>, as @BotFather gives it")
    api = get("TELEGRAM_API_BASE_URL", DEFAULT_API)
    if not re.match(r"^https?://", api):
        raise SettingsError(f"TELEGRAM_API_BASE_URL must start with http:// or https://, got {api!r}")
    webhook = get("WEBHOOK_URL")
    if webhook and not webhook.startswith("https://"):
        raise SettingsError("WEBHOOK_URL must be an https:// address Telegram can reach")
    secret = get("WEBHOOK_SECRET")
    if secret and not re.fullmatch(r"[A-Za-z0-9_-]{1,256}", secret):
        raise SettingsError("WEBHOOK_SECRET may only contain A-Z, a-z, 0-9, _ and - (1 to 256 characters)")
    level = get("LOG_LEVEL", "INFO").upper()
    if level not in ("DEBUG", "INFO", "WARNING", "ERROR"):
        raise SettingsError(f"LOG_LEVEL must be DEBUG, INFO, WARNING or ERROR, got {level!r}")
    log_format = get("LOG_FORMAT", "text").lower()
    if log_format not in ("text", "json"):
        raise SettingsError(f"LOG_FORMAT must be text or json, got {log_format!r}")
    return Settings(
        token=token,
        api_base_url=api,
        data_dir=Path(get("BOT_DATA_DIR", "data")),
        knowledge_dir=Path(get("KNOWLEDGE_DIR")) if get("KNOWLEDGE_DIR") else None,
        webhook_url=webhook,
        webhook_secret=secret,
        webhook_listen=get("WEBHOOK_LISTEN", "0.0.0.0"),
        webhook_port=_int("WEBHOOK_PORT", get("WEBHOOK_PORT"), 8443) or 8443,
        admin_ids=tuple(_int_list("ADMIN_IDS", get("ADMIN_IDS"))),
        officers_chat_id=_int("OFFICERS_CHAT_ID", get("OFFICERS_CHAT_ID"), None),
        channel_id=_int("CHANNEL_ID", get("CHANNEL_ID"), None),
        log_level=level,
        log_format=log_format,
        broadcast_rate=_float("BROADCAST_RATE", get("BROADCAST_RATE"), 25.0),
        broadcast_concurrency=_int("BROADCAST_CONCURRENCY", get("BROADCAST_CONCURRENCY"), 32) or 32,
        flood_limit=_int("FLOOD_LIMIT", get("FLOOD_LIMIT"), 20) or 20,
        retention_days=_int("QUESTION_RETENTION_DAYS", get("QUESTION_RETENTION_DAYS"), 180) or 180,
    )
