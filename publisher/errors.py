"""Errors a user can act on. Each message says what was wrong and how to fix it.

PublisherError
├── ConfigError       the configuration file (or a value in it) is unusable
├── ValidationError   a request was refused before anything was written (unknown channel, time in the past, ...)
└── NotFoundError     a post, campaign, channel or schedule named in a request does not exist
"""

from __future__ import annotations

import reprlib
from collections.abc import Mapping
from types import MappingProxyType
from typing import Self

__all__ = ["ConfigError", "NotFoundError", "PublisherError", "ValidationError", "shown", "wrong_type"]


class PublisherError(Exception):
    """Base of every error the CLI reports as a message rather than a traceback.

    An error made with ``of`` keeps its English template and values, so that a face can say it in the reader's
    language (the console looks the template up in its catalogue) instead of matching the finished sentence."""

    template: str = ""  # "" when the message was written out whole
    params: Mapping[str, object] = MappingProxyType({})
    cli: str = ""  # the command-line hint's template, formatted with ``params`` as well

    @classmethod
    def of(cls, template: str, /, cli: str = "", **params: object) -> Self:
        """``template.format(**params)``, plus ``cli``: a hint for the command line (its flags) that the CLI shows
        and the console leaves out, as the console has no flags. The hint is a template too (``{name}`` filled from
        ``params``), so that the CLI can look it up in its catalogue before the names go in."""
        error = cls(template.format(**params) + cli.format(**params))
        error.template, error.params, error.cli = template, MappingProxyType(params), cli
        return error


class ConfigError(PublisherError):
    """The configuration is unusable: names the file, the key, what is wrong and how to fix it."""

    def __init__(self, file: str, key: str, problem: str) -> None:
        super().__init__(f"{file}: [{key}] {problem}")
        self.file = file
        self.key = key
        self.problem = problem

    @classmethod
    def of(cls, template: str, /, cli: str = "", **params: object) -> Self:
        """As ``PublisherError.of``, with ``file`` and ``key`` among the values and the template starting with
        ``{file}: [{key}]``: the whole line is translated in one piece, the file and key in their place."""
        file, key = str(params["file"]), str(params["key"])
        where = f"{file}: [{key}] "
        message = template.format(**params) + cli.format(**params)
        error = cls(file, key, message.removeprefix(where))
        error.template, error.params, error.cli = template, MappingProxyType(params), cli
        return error

    @classmethod
    def within(cls, file: str, key: str, inner: BaseException) -> Self:
        """``file`` and ``key`` before another check's refusal (a cron expression, a feed): the faces say ``inner``
        in the reader's language too when it was made with ``of``."""
        return cls.of("{file}: [{key}] {problem}", file=file, key=key, problem=inner)


class ValidationError(PublisherError):
    """A request was refused; nothing was written."""


class NotFoundError(PublisherError, LookupError):
    """Something named in a request does not exist."""


_SHORT = reprlib.Repr()
_SHORT.maxlevel, _SHORT.maxlist, _SHORT.maxdict, _SHORT.maxstring, _SHORT.maxother = 2, 4, 4, 40, 40


def wrong_type(key: str, expected: str, value: object) -> str:
    """The one-line message for a field of the wrong type, the same from a post file, a form and the API:
    "`channels` must be a list of channel names, got 5" (a long value is cut, so the line stays short)."""
    return f"`{key}` must be {expected}, got {shown(value)}"


def shown(value: object) -> str:
    """``value`` as a refusal quotes it: its repr, cut to at most 60 characters however large or nested it is."""
    text = _SHORT.repr(value)
    return text[:57] + "..." if len(text) > 60 else text
