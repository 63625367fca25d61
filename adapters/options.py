"""A channel's options declared once (``Option``): the constructor validates the table with them, and
``describe()``, the repr, the example configs and the docs' options tables are read from the same declaration."""

from __future__ import annotations

import builtins
import dataclasses
from collections.abc import Callable, Mapping
from typing import Any
from urllib.parse import urlsplit

from adapters.errors import AdapterConfigError

__all__ = ["REQUIRED", "Option", "api_base", "max_length", "parse_options", "timeout"]


def secret_from_env(options: Mapping[str, Any], key: str, env: Mapping[str, str], *, required: bool = True) -> str:
    """Read the secret whose environment variable name ``options[key]`` gives (for example ``token_env``)."""
    var = options.get(key)
    if var is None:
        if required:
            raise AdapterConfigError(key, f'is required: name the environment variable, e.g. {key} = "MY_SECRET"')
        return ""
    if not isinstance(var, str) or not var:
        raise AdapterConfigError(key, 'must name an environment variable, e.g. "MY_SECRET"')
    value = env.get(var, "")
    if not value:  # named but not set: a mistake even for an optional secret
        raise AdapterConfigError(key, f"the environment variable {var} is not set; export it before starting")
    return value


class _Required:
    def __repr__(self) -> str:
        return "REQUIRED"


#: the default of an option that must be given
REQUIRED: Any = _Required()
_TYPE_WORDS: dict[builtins.type, str] = {
    str: "a non-empty string",
    int: "a whole number",
    float: "a number",
    bool: "true or false",
    list: "a list",
    dict: "a table",
    object: "a value",
}


@dataclasses.dataclass(frozen=True, kw_only=True)
class Option:
    """One key of a channel's table, declared once: validation, ``describe()``, the repr, the example config and the
    channel page's options table all read it (the idea of apprise's ``template_tokens``)."""

    name: str
    help: str
    type: builtins.type = str  # str, int, float (a whole number is accepted), bool, list or dict
    default: Any = REQUIRED  # REQUIRED, None (optional, no value) or the value used when the key is left out
    choices: tuple[Any, ...] = ()
    min: float | None = None  # inclusive bounds of a number, or of a list's length
    max: float | None = None
    positive: bool = False  # a number above 0
    url: bool = False  # an http(s):// address; a trailing slash is dropped
    items: builtins.type | None = None  # what a list holds
    #: a further check of the typed value: returns the value to use, or raises ValueError with what is wrong
    check: Callable[[Any], Any] | None = None
    example: Any = REQUIRED  # the value shown in the example config (REQUIRED: the default, commented out)
    commented: bool = False  # the example config shows ``example`` commented out: an optional key left out by default
    documented: bool = True  # False for keys the core adds itself (an SMS channel's ``contacts``)
    type_words: str = ""  # the type as the options table names it, where ``type`` alone says too little

    @property
    def secret(self) -> bool:
        """The key names an environment variable (``token_env``) and the adapter gets that variable's value; a
        secret never appears in ``describe()``, the repr or an error message. Named *_env, and only a secret is:
        the scrubber (publisher/scrub.py) finds every secret by this suffix."""
        return self.name.endswith("_env")

    @property
    def required(self) -> bool:
        return self.default is REQUIRED

    def type_word(self) -> str:
        if self.type_words:
            return self.type_words
        if self.secret:
            return "environment variable name"
        if self.url:
            return "URL"
        word = {str: "string", int: "whole number", float: "number", bool: "true/false"}.get(self.type)
        if word:
            return word
        return f"list of {self.items.__name__}" if self.type is list and self.items else self.type.__name__

    def parse(self, options: Mapping[str, Any], env: Mapping[str, str]) -> Any:
        """This option's value from a channel's table (and ``env`` for a secret), checked; ``AdapterConfigError``
        names the key."""
        if self.secret:
            value: Any = secret_from_env(options, self.name, env, required=self.required)
            if not value:
                return value
        elif self.name not in options:
            if self.required:
                raise AdapterConfigError(self.name, f"is required; add `{self.name} = ...` to the channel's table")
            return self.default
        else:
            value = self._typed(options[self.name])
        if self.check is not None:
            try:
                value = self.check(value)
            except ValueError as exc:
                raise AdapterConfigError(self.name, str(exc)) from None
        return value

    def _typed(self, value: Any) -> Any:
        wrong = AdapterConfigError(self.name, f"must be {self._wanted()}, got {value!r}")
        if self.type is float:
            if isinstance(value, bool) or not isinstance(value, int | float):
                raise wrong
            value = float(value)
        elif self.type is int:
            if isinstance(value, bool) or not isinstance(value, int):
                raise wrong
        elif not isinstance(value, self.type) or (isinstance(value, str) and not value.strip()):
            raise wrong
        if (
            self.type is list
            and self.items is not None
            and not all(isinstance(i, self.items) and i != "" for i in value)
        ):
            raise wrong
        if self.choices and value not in self.choices:
            raise AdapterConfigError(self.name, f"must be one of {', '.join(map(str, self.choices))}, got {value!r}")
        if self.url:
            if not value.startswith(("http://", "https://")) or not urlsplit(value).hostname:
                raise AdapterConfigError(self.name, f"must start with http:// or https://, got {value!r}")
            value = value.rstrip("/")
        size = len(value) if self.type is list else value
        if isinstance(size, int | float) and (
            (self.positive and size <= 0)
            or (self.min is not None and size < self.min)
            or (self.max is not None and size > self.max)
        ):
            raise wrong
        return value

    def _wanted(self) -> str:
        if self.type is list:
            up_to = f"up to {self.max:g} " if self.max is not None else ""
            each = _TYPE_WORDS[self.items].split(" ", 1)[1] + "s" if self.items in _TYPE_WORDS else "values"
            return f"a list of {up_to}{each}"
        word = _TYPE_WORDS[self.type]
        if self.positive:
            word = word.replace("a ", "a positive ", 1)
        bounds = [f"at least {self.min:g}"] if self.min is not None else []
        bounds += [f"at most {self.max:g}"] if self.max is not None else []
        return f"{word} ({', '.join(bounds)})" if bounds else word

    def shown(self, value: Any, options: Mapping[str, Any]) -> Any:
        """``value`` as ``describe()`` shows it: a secret as the name of its variable, never its value."""
        if self.secret:
            return f"${options[self.name]} (hidden)" if value else None
        return list(value) if isinstance(value, tuple) else value


def parse_options(
    declared: tuple[Option, ...], options: Mapping[str, Any], env: Mapping[str, str], kind: str
) -> dict[str, Any]:
    """A channel's table as validated values, one per declared option; an unknown key is refused with the known."""
    known = {option.name for option in declared}
    for key in options:
        if key not in known:
            listed = ", ".join(sorted(o.name for o in declared if o.documented))
            raise AdapterConfigError(key, f"unknown option; the {kind} channel takes {listed}")
    return {option.name: option.parse(options, env) for option in declared}


def timeout(help: str = "Seconds to wait for an answer.", default: float = 10) -> Option:
    """The ``timeout`` option every network channel has."""
    return Option(name="timeout", type=float, default=float(default), positive=True, help=help)


def api_base(
    default: Any,
    help: str = "Where the API lives; change it only to point at a test stand-in.",
    example: Any = REQUIRED,
    commented: bool = False,
) -> Option:
    """The ``api_base`` option: where the platform's API lives."""
    return Option(name="api_base", url=True, default=default, help=help, example=example, commented=commented)


def max_length(help: str, default: int | None = None) -> Option:
    """The ``max_length`` option: the longest post the queue accepts for the channel (None: no limit)."""
    return Option(name="max_length", type=int, positive=True, default=default, help=help)
