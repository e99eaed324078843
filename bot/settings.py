"""Settings: one object, from the environment or a .env file, validated at start (pydantic-settings).

Every command reads it — ``run``, ``chat``, ``ask``, ``kb …``, ``eval``, ``health``, ``backup``,
``qr`` — so a value in ``.env`` means the same everywhere. A malformed setting raises
SettingsError with one line naming it; only ``run`` needs the bot token (``require_token``).
The token and the webhook secret are ``SecretStr``: they never show in a repr, an error or a log.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import Field, PositiveFloat, PositiveInt, SecretStr, ValidationError, field_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

DEFAULT_API = "https://api.telegram.org/bot"
PACKAGE_ROOT = Path(__file__).resolve().parent.parent
_TOKEN_RE = re.compile(r"^\d{3,}:[A-Za-z0-9_-]{20,}$")
_SECRETS = ("TELEGRAM_BOT_TOKEN", "WEBHOOK_SECRET")


class SettingsError(Exception):
    """A setting is missing or malformed; the message names it, in one line."""


def bundled_knowledge() -> Path:
    """The knowledge/ folder of this checkout (or image), else ./knowledge."""
    bundled = PACKAGE_ROOT / "knowledge"
    return bundled if bundled.is_dir() else Path("knowledge")


class Settings(BaseSettings):
    model_config = SettingsConfigDict(
        env_file=".env",
        env_file_encoding="utf-8",
        env_ignore_empty=True,  # KEY= in .env means "not set"
        extra="ignore",
        frozen=True,
        populate_by_name=True,
        hide_input_in_errors=True,
    )

    token: SecretStr | None = Field(None, alias="TELEGRAM_BOT_TOKEN")
    api_base_url: str = Field(DEFAULT_API, alias="TELEGRAM_API_BASE_URL")
    data_dir: Path = Field(Path("data"), alias="BOT_DATA_DIR")
    knowledge_dir: Path = Field(default_factory=bundled_knowledge, alias="KNOWLEDGE_DIR")
    webhook_url: str = Field("", alias="WEBHOOK_URL")
    web_url: str = Field("", alias="WEB_URL")  # the guide's public https:// address (Mini App); empty: no web
    web_listen: str = Field("0.0.0.0", alias="WEB_LISTEN")
    web_port: int = Field(8080, alias="WEB_PORT", ge=1, le=65535)
    webhook_secret: SecretStr = Field(SecretStr(""), alias="WEBHOOK_SECRET")
    webhook_listen: str = Field("0.0.0.0", alias="WEBHOOK_LISTEN")
    webhook_port: int = Field(8443, alias="WEBHOOK_PORT", ge=1, le=65535)
    admin_ids: Annotated[tuple[int, ...], NoDecode] = Field((), alias="ADMIN_IDS")
    officers_chat_id: int | None = Field(None, alias="OFFICERS_CHAT_ID")
    channel_id: int | None = Field(None, alias="CHANNEL_ID")
    error_chat_id: int | None = Field(None, alias="ERROR_CHAT_ID")  # where a short notice of each error goes
    log_level: Literal["DEBUG", "INFO", "WARNING", "ERROR"] = Field("INFO", alias="LOG_LEVEL")
    log_format: Literal["text", "json"] = Field("text", alias="LOG_FORMAT")
    broadcast_rate: PositiveFloat = Field(25.0, alias="BROADCAST_RATE")  # Telegram allows about 30/s in all
    broadcast_concurrency: PositiveInt = Field(32, alias="BROADCAST_CONCURRENCY")  # may repeat after a crash
    retention_days: PositiveInt = Field(180, alias="QUESTION_RETENTION_DAYS")  # how long questions are kept
    flood_limit: PositiveInt = Field(20, alias="FLOOD_LIMIT")  # messages a minute before the bot goes quiet
    http_client: Literal["aiohttp", "httpx"] = Field("aiohttp", alias="HTTP_CLIENT")  # how the bot talks to Telegram
    bot_username: str = Field("", alias="BOT_USERNAME")  # for QR posters' links (t.me/<it>)

    @field_validator("token", mode="before")
    @classmethod
    def _token(cls, value: Any) -> Any:
        raw = value.get_secret_value() if isinstance(value, SecretStr) else value
        if raw is not None and not _TOKEN_RE.match(str(raw).strip()):
            raise ValueError("is malformed: expected <digits>:<letters>, as @BotFather gives it")
        return str(raw).strip() if raw is not None else None

    @field_validator("api_base_url")
    @classmethod
    def _api(cls, value: str) -> str:
        if not re.match(r"^https?://", value):
            raise ValueError(f"must start with http:// or https://, got {value!r}")
        return value

    @field_validator("webhook_url", "web_url")
    @classmethod
    def _webhook(cls, value: str) -> str:
        if value and not value.startswith("https://"):
            raise ValueError("must be an https:// address Telegram can reach")
        return value.rstrip("/")

    @field_validator("webhook_secret")
    @classmethod
    def _secret(cls, value: SecretStr) -> SecretStr:
        raw = value.get_secret_value()
        if raw and not re.fullmatch(r"[A-Za-z0-9_-]{1,256}", raw):
            raise ValueError("may only contain A-Z, a-z, 0-9, _ and - (1 to 256 characters)")
        return value

    @field_validator("admin_ids", mode="before")
    @classmethod
    def _ids(cls, value: Any) -> Any:
        if isinstance(value, str):
            try:
                return tuple(int(x) for x in re.split(r"[,\s]+", value.strip()) if x)
            except ValueError:
                raise ValueError(f"must be a comma-separated list of Telegram user ids, got {value!r}") from None
        return value

    @field_validator("log_level", "log_format", mode="before")
    @classmethod
    def _case(cls, value: Any, info: Any) -> Any:
        if isinstance(value, str):
            return value.strip().upper() if info.field_name == "log_level" else value.strip().lower()
        return value

    # --- use ------------------------------------------------------------------------------
    @property
    def bot_token(self) -> str:
        """The token in clear, for the Telegram client only (``require_token`` first)."""
        return self.token.get_secret_value() if self.token else ""

    @property
    def bot_id(self) -> str:
        """The public part of the token (the bot's user id): safe to log."""
        return self.bot_token.split(":", 1)[0]

    def require_token(self) -> Settings:
        if self.token is None:
            raise SettingsError(
                "TELEGRAM_BOT_TOKEN is not set: create a bot with @BotFather and put its token in the "
                "environment or in .env (see .env.example)"
            )
        return self

    def with_(self, **changes: Any) -> Settings:
        """A copy with some values changed (by field name), validated like the originals."""
        values = {name: getattr(self, name) for name in type(self).model_fields}
        return type(self).model_validate({**values, **changes})


def _one_line(exc: ValidationError) -> SettingsError:
    error = exc.errors()[0]
    fields = Settings.model_fields
    where = str(error["loc"][0]) if error["loc"] else ""
    name = fields[where].alias if where in fields and fields[where].alias else where
    message = str(error["msg"]).removeprefix("Value error, ")
    if error["type"] not in ("value_error",) and name not in _SECRETS and "input" in error:
        message += f", got {error['input']!r}"
    return SettingsError(f"{name} {message}" if message.startswith(("is ", "must ", "may ")) else f"{name}: {message}")


def load(env: Mapping[str, str] | None = None, dotenv: Path | None = Path(".env")) -> Settings:
    """The settings: ``env`` (default: the process environment) over the ``dotenv`` file."""
    try:
        if env is None:
            return Settings(_env_file=dotenv)  # type: ignore[call-arg]
        values: dict[str, Any] = {}
        if dotenv is not None and dotenv.is_file():
            from dotenv import dotenv_values

            values.update({k: v for k, v in dotenv_values(dotenv).items() if v})
        values.update({k: v for k, v in env.items() if v})
        return Settings.model_validate({k: v for k, v in values.items() if k in _ALIASES})
    except ValidationError as exc:
        raise _one_line(exc) from None


_ALIASES = {f.alias for f in Settings.model_fields.values() if f.alias}
