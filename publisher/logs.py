"""Logging: one structured line per state change, with secrets redacted before anything is written."""

from __future__ import annotations

import json
import logging
import os
import sys
from collections.abc import Iterable, Mapping
from typing import Any

__all__ = ["RedactingFilter", "configure", "log_event"]

logger = logging.getLogger("publisher")

_FIELDS = "fields"


class RedactingFilter(logging.Filter):
    """Replaces every known secret value in a record's message and fields with ``***``."""

    def __init__(self, secrets: Iterable[str]) -> None:
        super().__init__()
        self.secrets = sorted({s for s in secrets if len(s) >= 4}, key=len, reverse=True)

    def scrub(self, text: str) -> str:
        for secret in self.secrets:
            text = text.replace(secret, "***")
        return text

    def filter(self, record: logging.LogRecord) -> bool:
        if self.secrets:
            record.msg = self.scrub(record.getMessage())
            record.args = None
            fields = getattr(record, _FIELDS, None)
            if isinstance(fields, dict):
                setattr(record, _FIELDS, {k: self.scrub(v) if isinstance(v, str) else v for k, v in fields.items()})
        return True


class _JsonFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        document: dict[str, Any] = {
            "time": self.formatTime(record, "%Y-%m-%dT%H:%M:%S%z"),
            "level": record.levelname,
            "event": record.getMessage(),
        }
        document.update(getattr(record, _FIELDS, {}) or {})
        return json.dumps(document, ensure_ascii=False, default=str)


class _TextFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        fields = getattr(record, _FIELDS, {}) or {}
        pairs = " ".join(f"{k}={_quote(v)}" for k, v in fields.items())
        return f"{self.formatTime(record, '%Y-%m-%dT%H:%M:%S%z')} {record.levelname:<7} {record.getMessage()} {pairs}"


def _quote(value: Any) -> str:
    text = str(value)
    return json.dumps(text, ensure_ascii=False) if (" " in text or not text) else text


def secret_values(options: Iterable[Mapping[str, Any]], environ: Mapping[str, str] | None = None) -> list[str]:
    """The values of every environment variable a channel names in a ``*_env`` option."""
    environ = os.environ if environ is None else environ
    values = []
    for table in options:
        for key, var in table.items():
            if key.endswith("_env") and isinstance(var, str) and environ.get(var):
                values.append(environ[var])
    return values


def configure(level: str = "INFO", fmt: str = "text", secrets: Iterable[str] = ()) -> None:
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(_JsonFormatter() if fmt == "json" else _TextFormatter())
    handler.addFilter(RedactingFilter(secrets))
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level)
    logging.getLogger("httpx").setLevel(logging.WARNING)  # it logs full URLs, which may carry tokens
    logging.getLogger("apscheduler").setLevel(logging.WARNING)


def log_event(event: str, level: int = logging.INFO, **fields: Any) -> None:
    """One structured line: ``event`` names what happened, ``fields`` the facts (ids, states, reasons)."""
    logger.log(level, event, extra={_FIELDS: fields})
