"""Logging that never writes a secret.

httpx logs every request URL at INFO, and Bot API URLs contain the token: a filter on the
root handler replaces every configured secret with '<redacted>' in every record, whatever
its level or logger, and httpx/httpcore are kept at WARNING.
"""

from __future__ import annotations

import logging

REDACTED = "<redacted>"


class RedactSecrets(logging.Filter):
    def __init__(self, secrets: list[str]) -> None:
        super().__init__()
        self.secrets = [s for s in secrets if s]

    def filter(self, record: logging.LogRecord) -> bool:
        if not self.secrets:
            return True
        message = record.getMessage()
        clean = self.redact(message)
        if clean != message:
            record.msg, record.args = clean, None
        if record.exc_info and record.exc_info[1] is not None:
            exc = record.exc_info[1]
            record.exc_text = self.redact(logging.Formatter().formatException(record.exc_info))
            if any(s in str(exc) for s in self.secrets):
                exc.args = tuple(self.redact(str(a)) for a in exc.args)
        return True

    def redact(self, text: str) -> str:
        for secret in self.secrets:
            text = text.replace(secret, REDACTED)
        return text


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


def setup_logging(level: str = "INFO", secrets: list[str] | None = None) -> None:
    """Console logging at ``level``; secrets redacted everywhere; tracebacks only at DEBUG."""
    root = logging.getLogger()
    root.setLevel(level)
    handler = logging.StreamHandler()
    handler.setFormatter(OneLineFormatter(tracebacks=level == "DEBUG"))
    handler.addFilter(RedactSecrets(secrets or []))
    root.handlers[:] = [handler]
    for noisy in ("httpx", "httpcore"):
        logging.getLogger(noisy).setLevel(logging.WARNING)
