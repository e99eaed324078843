"""Logging that never writes a secret, as plain lines or JSON.

httpx logs request URLs, and Bot API URLs contain the token. Redaction is installed as the
log-record factory, so it applies to every record of every logger, whatever handler — ours,
a deployer's, or a test runner's — ends up writing it. httpx/httpcore are kept at WARNING too.
Tracebacks are printed only at DEBUG; otherwise an exception is one line (class and message).
"""

from __future__ import annotations

import json
import logging

REDACTED = "<redacted>"
_secrets: list[str] = []
_base_factory = logging.getLogRecordFactory()


def redact(text: str) -> str:
    for secret in _secrets:
        text = text.replace(secret, REDACTED)
    return text


def _factory(*args, **kwargs) -> logging.LogRecord:
    record = _base_factory(*args, **kwargs)
    if not _secrets:
        return record
    message = record.getMessage()
    clean = redact(message)
    if clean != message:
        record.msg, record.args = clean, None
    if record.exc_info and record.exc_info[1] is not None:
        record.exc_text = redact(logging.Formatter().formatException(record.exc_info))
        exc = record.exc_info[1]
        if any(s in str(exc) for s in _secrets):
            exc.args = tuple(redact(str(a)) for a in exc.args)
    return record


def install_redaction(secrets: list[str]) -> None:
    """Redact ``secrets`` (and their parts after the bot id) from every log record from now on."""
    for secret in secrets:
        if secret and secret not in _secrets:
            _secrets.append(secret)
            if ":" in secret:  # a bot token: its secret half alone must not leak either
                _secrets.append(secret.split(":", 1)[1])
    _secrets.sort(key=len, reverse=True)
    logging.setLogRecordFactory(_factory)


class OneLineFormatter(logging.Formatter):
    """Exceptions as one line (class and message); full tracebacks only when debugging."""

    def __init__(self, tracebacks: bool) -> None:
        super().__init__("%(asctime)s %(levelname)s %(name)s: %(message)s")
        self.tracebacks = tracebacks

    def format(self, record: logging.LogRecord) -> str:
        if self.tracebacks:
            return super().format(record)
        exc = record.exc_info[1] if record.exc_info else None
        saved = record.exc_info, record.exc_text
        record.exc_info, record.exc_text = None, None
        try:
            line = super().format(record)
        finally:
            record.exc_info, record.exc_text = saved
        if exc is not None:
            line += f" [{exc.__class__.__name__}: {exc}]"
        return line


class JsonFormatter(logging.Formatter):
    """One JSON object a line: time, level, logger, message (and error, traceback at DEBUG)."""

    def __init__(self, tracebacks: bool) -> None:
        super().__init__()
        self.tracebacks = tracebacks

    def format(self, record: logging.LogRecord) -> str:
        data = {
            "time": self.formatTime(record, "%Y-%m-%dT%H:%M:%S%z"),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
        }
        if record.exc_info and record.exc_info[1] is not None:
            data["error"] = f"{record.exc_info[1].__class__.__name__}: {record.exc_info[1]}"
            if self.tracebacks:
                data["traceback"] = record.exc_text or self.formatException(record.exc_info)
        return json.dumps(data, ensure_ascii=False)


def setup_logging(level: str = "INFO", secrets: list[str] | None = None, fmt: str = "text") -> None:
    """Console logging at ``level``; secrets redacted everywhere; tracebacks only at DEBUG."""
    install_redaction(secrets or [])
    root = logging.getLogger()
    root.setLevel(level)
    handler = logging.StreamHandler()
    debug = level == "DEBUG"
    handler.setFormatter(JsonFormatter(debug) if fmt == "json" else OneLineFormatter(debug))
    root.handlers[:] = [handler]
    for noisy in ("httpx", "httpcore"):
        logging.getLogger(noisy).setLevel(logging.WARNING)
