"""Logging: one structured line per state change, with secrets redacted before anything is written."""

from __future__ import annotations

import json
import logging
import sys
from collections.abc import Iterable
from typing import Any

from publisher.scrub import Scrubber, secret_values

__all__ = ["RedactingFilter", "configure", "log_event", "secret_values"]

logger = logging.getLogger("publisher")

_FIELDS = "fields"


class RedactingFilter(logging.Filter):
    """Replaces every known secret value, raw or encoded (``publisher.scrub``), in a record's message and fields."""

    def __init__(self, secrets: Iterable[str] | Scrubber) -> None:
        super().__init__()
        self.scrubber = secrets if isinstance(secrets, Scrubber) else Scrubber(secrets)

    def scrub(self, text: str) -> str:
        return self.scrubber.scrub(text)

    def filter(self, record: logging.LogRecord) -> bool:
        if self.scrubber:
            record.msg = self.scrub(record.getMessage())
            record.args = None
            fields = getattr(record, _FIELDS, None)
            if isinstance(fields, dict):
                setattr(record, _FIELDS, {k: self.scrub(v) if isinstance(v, str) else v for k, v in fields.items()})
            if record.exc_info and not record.exc_text:
                # a traceback's text may quote a secret too: format it now, scrubbed, so handlers reuse it
                record.exc_text = self.scrub(logging.Formatter().formatException(record.exc_info))
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


def configure(level: str = "INFO", fmt: str = "text", secrets: Iterable[str] | Scrubber = ()) -> None:
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(_JsonFormatter() if fmt == "json" else _TextFormatter())
    handler.addFilter(RedactingFilter(secrets))
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level)
    logging.getLogger("httpx").setLevel(logging.WARNING)  # it logs full URLs, which may carry tokens
    logging.getLogger("apscheduler").setLevel(logging.WARNING)
    # the console's server: "Started server process" and the like would add lines to the one ``daemon.start`` says
    logging.getLogger("uvicorn").setLevel(logging.WARNING)


def log_event(event: str, level: int = logging.INFO, **fields: Any) -> None:
    """One structured line: ``event`` names what happened, ``fields`` the facts (ids, states, reasons)."""
    logger.log(level, event, extra={_FIELDS: fields})
