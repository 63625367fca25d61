"""Errors a user can act on. Each message says what was wrong and how to fix it.

PublisherError
├── ConfigError       the configuration file (or a value in it) is unusable
├── ValidationError   a request was refused before anything was written (unknown channel, time in the past, ...)
└── NotFoundError     a post, campaign, channel or schedule named in a request does not exist
"""

from __future__ import annotations

__all__ = ["ConfigError", "NotFoundError", "PublisherError", "ValidationError"]


class PublisherError(Exception):
    """Base of every error the CLI reports as a message rather than a traceback."""


class ConfigError(PublisherError):
    """The configuration is unusable: names the file, the key, what is wrong and how to fix it."""

    def __init__(self, file: str, key: str, problem: str) -> None:
        super().__init__(f"{file}: [{key}] {problem}")
        self.file = file
        self.key = key
        self.problem = problem


class ValidationError(PublisherError):
    """A request was refused; nothing was written."""


class NotFoundError(PublisherError, LookupError):
    """Something named in a request does not exist."""
