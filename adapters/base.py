"""The contract between the dispatcher and every channel adapter.

An adapter turns one post into one channel's own format (``render``) and sends it (``publish``). It knows nothing
of the database or the scheduler: the dispatcher calls it and turns what it returns or raises into delivery states.

Errors an adapter raises, and what the dispatcher does with them::

    ChannelError
    ├── Retryable(after=None)  the request did not take effect; try again later (after ``after`` seconds if given)
    ├── Permanent(reason)      it will never work as it is (text refused, unknown group); the delivery fails
    ├── CredentialsRejected    the token is expired or revoked: the channel is paused, its deliveries wait
    └── Uncertain(reason)      the request may have reached the platform; never resent blindly

    AdapterConfigError         the channel's configuration is wrong; raised by the constructor

``Uncertain`` is retried only when the adapter declares ``idempotency = "native"`` (the platform drops a repeated
key) or ``"lookup"`` (the dispatcher calls ``lookup(key)`` first and resends only if the post is absent).
"""

from __future__ import annotations

import builtins
import dataclasses
import hashlib
import hmac
import html
import re
from collections.abc import Callable, Mapping
from datetime import datetime
from typing import Any, ClassVar, Literal, Protocol, cast, runtime_checkable
from urllib.parse import parse_qs, urlsplit

import httpx

__all__ = [
    "Adapter",
    "AdapterConfigError",
    "ChannelError",
    "CredentialsRejected",
    "Idempotency",
    "Limits",
    "Payload",
    "Permanent",
    "PostContent",
    "Receipt",
    "Retryable",
    "Uncertain",
    "base_option",
    "json_object",
    "parse_retry_after",
    "raise_for_transport",
    "require_option",
    "secret_from_env",
    "sign",
    "split_webhook",
    "status_error",
    "summarise",
    "text_option",
    "timeout_option",
]

Idempotency = Literal["native", "lookup", "none"]


class ChannelError(Exception):
    """A send did not succeed; the subclass says what the dispatcher should do."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


class Retryable(ChannelError):
    """The request did not take effect (rate limited, server busy, connection refused). Try again later."""

    def __init__(self, reason: str, after: float | None = None) -> None:
        super().__init__(reason)
        self.after = after


class Permanent(ChannelError):
    """The platform refused the post for good (bad credentials, text refused, unknown group)."""


class CredentialsRejected(ChannelError):
    """The platform refused the channel's credentials (expired or revoked token, wrong secret).

    Every delivery on the channel would fail the same way, so the dispatcher pauses the channel and puts the
    delivery back to wait, rather than failing deliveries one by one; a person renews the token and resumes.
    """


class Uncertain(ChannelError):
    """The request may have reached the platform, but no answer came back (timeout, dropped connection)."""


class AdapterConfigError(ValueError):
    """A channel's configuration is unusable. ``key`` names the option, the message says how to fix it."""

    def __init__(self, key: str, message: str) -> None:
        super().__init__(f"{key}: {message}")
        self.key = key
        self.message = message


@dataclasses.dataclass(frozen=True, kw_only=True)
class Limits:
    """What a channel accepts, declared as class data so queue-time validation needs no network."""

    max_length: int | None = None
    #: how the platform counts ``Payload.text`` (code points by default; Weibo, Telegram and WeCom differ)
    count: Callable[[str], int] = len
    unit: str = "characters"
    max_images: int = 0
    #: requests per minute the platform allows for one account or hook (None: no documented limit)
    rate_per_minute: float | None = None
    #: default cap on concurrent requests to this channel
    concurrency: int = 4


@dataclasses.dataclass(frozen=True, kw_only=True)
class PostContent:
    """A post as an adapter sees it, with the channel's overrides already applied."""

    title: str
    body: str  # Markdown
    link: str | None = None
    images: tuple[str, ...] = ()
    tags: tuple[str, ...] = ()
    author: str | None = None
    campaign: str | None = None
    timezone: str = "UTC"
    due_at: datetime | None = None  # UTC
    event_at: datetime | None = None  # UTC; when the event itself happens (SMS ``${event_date}``), not the send


@dataclasses.dataclass(frozen=True, kw_only=True)
class Payload:
    """What ``render`` produced: ``text`` is what the length limit applies to, ``data`` is the request body."""

    text: str
    data: Mapping[str, Any] = dataclasses.field(default_factory=dict)


@dataclasses.dataclass(frozen=True, kw_only=True)
class Receipt:
    """Proof of a successful send: the platform's id and a link to the live post, where it gives them."""

    remote_id: str | None = None
    url: str | None = None
    #: anything else worth keeping with the delivery (for SMS: each number's result), JSON-serialisable
    details: Mapping[str, Any] = dataclasses.field(default_factory=dict)


@runtime_checkable
class Adapter(Protocol):
    """One channel kind. Constructed once per configured channel: ``Kind(name, options, client=..., env=...)``.

    The constructor validates ``options`` (the channel's table from the config file) and raises
    ``AdapterConfigError`` naming the bad key. Secrets are read from ``env`` by the variable names the options give;
    they are never returned by ``describe``.
    """

    kind: ClassVar[str]
    #: what it can do beyond sending (a website CMS's articles, lookups, limits read from the platform)
    capabilities: Capabilities
    limits: Limits  # class data; an instance may narrow it from its config (an instance's own limit)
    idempotency: Idempotency  # class data; a webhook whose receiver honours the key may say "native"
    name: str

    def render(self, post: PostContent) -> Payload:
        """The channel's own form of ``post``. Pure: no I/O, so the queue can call it to validate.

        Raises ``Permanent(reason)`` when the post cannot go to this channel at all (a template parameter is
        missing, say); the queue refuses such a post when it is queued. Text over ``limits.max_length`` (as
        counted by ``limits.count`` on ``Payload.text``) is refused by the queue, so render need not check it.
        """
        ...

    async def publish(self, payload: Payload, key: str) -> Receipt:
        """Send ``payload``. ``key`` is the delivery's stable idempotency key, the same on every retry.

        Raises ``Retryable``, ``Permanent`` or ``Uncertain``; never anything else for a platform problem.
        """
        ...

    async def lookup(self, key: str) -> Receipt | None:
        """The receipt of an earlier send with ``key``, or None if the platform has none.

        Only called when ``idempotency == "lookup"``; others may raise ``NotImplementedError``.
        """
        ...

    async def refresh_limits(self) -> None:
        """Read the channel's real limits from the platform; only called when ``capabilities.platform_limits``."""
        ...

    async def check(self) -> str:
        """Verify credentials and reachability without posting; return a short description of what was checked."""
        ...

    def describe(self) -> dict[str, Any]:
        """The channel's options with secrets masked: safe to log and to show."""
        ...


# --- helpers shared by the adapters -----------------------------------------------------------------------------


def require_option(options: Mapping[str, Any], key: str, kind: type = str) -> Any:
    """``options[key]``, checked to be present and of ``kind``."""
    if key not in options:
        raise AdapterConfigError(key, f"is required; add `{key} = ...` to the channel's table")
    value = options[key]
    if not isinstance(value, kind) or (kind is str and not value):
        raise AdapterConfigError(key, f"must be a non-empty {kind.__name__}, got {value!r}")
    return value


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


def split_webhook(value: str, param: str, key: str) -> tuple[str, str | None]:
    """The credential inside a webhook address (``?param=`` or the last path segment) and the address's origin.

    ``value`` may also be the bare credential. Error messages never repeat the value: it is a secret.
    """
    if not value.startswith(("http://", "https://")):
        if not value.strip() or any(ch.isspace() for ch in value):
            raise AdapterConfigError(key, "the environment variable holds no usable key (empty or with spaces)")
        return value, None
    parts = urlsplit(value)
    found = parse_qs(parts.query).get(param, [""])[0] if param else parts.path.rstrip("/").rsplit("/", 1)[-1]
    if not found:
        where = f"{param}= parameter" if param else "token at the end of its path"
        raise AdapterConfigError(key, f"the webhook address in the environment variable has no {where}")
    return found, f"{parts.scheme}://{parts.netloc}"


def base_option(options: Mapping[str, Any], default: str) -> str:
    """The ``api_base`` option (or ``default``): an http(s) address, without a trailing slash."""
    value = options.get("api_base", default)
    if not isinstance(value, str) or not value.startswith(("http://", "https://")):
        raise AdapterConfigError("api_base", f"must start with http:// or https://, got {value!r}")
    return value.rstrip("/")


def timeout_option(options: Mapping[str, Any]) -> float:
    """The ``timeout`` option: a positive number of seconds, 10 by default."""
    value = options.get("timeout", 10)
    if isinstance(value, bool) or not isinstance(value, int | float) or value <= 0:
        raise AdapterConfigError("timeout", f"must be a positive number of seconds, got {value!r}")
    return float(value)


def text_option(options: Mapping[str, Any], key: str, default: str) -> str:
    """``options[key]`` (or ``default``), checked to be a non-empty string."""
    value = options.get(key, default)
    if not isinstance(value, str) or not value.strip():
        raise AdapterConfigError(key, f"must be a non-empty string, got {value!r}")
    return value


def json_object(response: httpx.Response) -> dict[str, Any] | None:
    """The response's body if it is a JSON object; None if it is not JSON or not an object."""
    try:
        document = response.json()
    except ValueError:
        return None
    return document if isinstance(document, dict) else None


def sign(secret: str, timestamp: str, body: bytes) -> str:
    """The ``X-Publisher-Signature`` value for ``body`` sent at ``timestamp`` (``webhook`` and ``cms_webhook``)."""
    mac = hmac.new(secret.encode(), timestamp.encode() + b"." + body, hashlib.sha256)
    return "sha256=" + mac.hexdigest()


def parse_retry_after(value: str | None) -> float | None:
    """Seconds to wait from a ``Retry-After`` header (delta-seconds or an HTTP date), or None."""
    if not value:
        return None
    value = value.strip()
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    from email.utils import parsedate_to_datetime

    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    from datetime import UTC

    return max(0.0, (when - datetime.now(UTC)).total_seconds())


def raise_for_transport(exc: httpx.TransportError) -> ChannelError:
    """Classify a transport failure by whether the request can have reached the platform.

    Failing to connect means nothing was sent: retry. A timeout or a broken connection after the request went out
    means the platform may have acted on it: uncertain.
    """
    where, full = _address(exc)
    # the message ("[Errno 111] Connection refused") says why; the full URL may hold a token, so never that
    said = str(exc).replace(full, where) if full else str(exc)
    cause = f"{type(exc).__name__}: {said}" if said else type(exc).__name__
    if isinstance(exc, httpx.ConnectError | httpx.ConnectTimeout | httpx.PoolTimeout):
        return Retryable(f"could not connect to {where}: {cause}")
    if isinstance(exc, httpx.WriteTimeout | httpx.WriteError):
        return Retryable(f"the request to {where} could not be sent whole: {cause}")
    return Uncertain(f"no answer from {where} after the request was sent: {cause}")


def _address(exc: httpx.TransportError) -> tuple[str, str]:
    """Scheme, host and port of the failed request (never its path or query, which may hold a token or numbers),
    and the full URL to keep out of the message."""
    try:
        url = exc.request.url
    except RuntimeError:  # raised without a request (a hand-made exception)
        return "the platform", ""
    port = f":{url.port}" if url.port is not None else ""
    return f"{url.scheme}://{url.host}{port}", str(url)


_HTML_START = re.compile(r"<(?:!doctype|html|head|body|title)\b", re.IGNORECASE)
_TITLE = re.compile(r"<title[^>]*>(.*?)(?:</title>|$)", re.IGNORECASE | re.DOTALL)  # the caller may have cut it
_NOT_SHOWN = re.compile(r"<(script|style)\b.*?</\1\s*>|<!--.*?-->", re.IGNORECASE | re.DOTALL)
_TAG = re.compile(r"<[^>]*>?")
SUMMARY_LENGTH = 80  # characters of an error page kept in a reason


def summarise(text: str, limit: int = SUMMARY_LENGTH) -> str:
    """``text`` fit for a reason: an HTML page becomes its title (or first text), and no more than ``limit``.

    A proxy's or a platform's error page would otherwise fill the delivery's reason and the log with markup.
    """
    found = _HTML_START.search(text)
    if found is None:
        return text
    before, page = text[: found.start()].rstrip(), text[found.start() :]
    title = _TITLE.search(page)
    words = title.group(1) if title else _TAG.sub(" ", _NOT_SHOWN.sub(" ", page))
    words = " ".join(html.unescape(_TAG.sub(" ", words)).split()) or "an HTML page"
    if len(words) > limit:
        words = words[: limit - 1] + "…"
    return f"{before} (HTML page: {words})" if before else f"HTML page: {words}"


def status_error(response: httpx.Response, reason: str) -> ChannelError:
    """The usual reading of an HTTP error status, for platforms with no error shape of their own."""
    status = response.status_code
    reason = summarise(reason)  # callers pass the body's start: an HTML error page is cut to its title
    if status == 429:
        return Retryable(f"rate limited: {reason}", after=parse_retry_after(response.headers.get("Retry-After")))
    if status == 503:
        return Retryable(f"service unavailable: {reason}", after=parse_retry_after(response.headers.get("Retry-After")))
    if status in (401, 403):
        return CredentialsRejected(f"HTTP {status}: the credentials were refused: {reason}")
    if status in (408, 500, 502, 504):
        # the server may have acted before failing: the post may exist
        return Uncertain(f"HTTP {status}: {reason}")
    return Permanent(f"HTTP {status}: {reason}")


# --- declared options --------------------------------------------------------------------------------------------


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
    #: the key names an environment variable (``token_env``) and the adapter gets that variable's value; a secret
    #: never appears in ``describe()``, the repr or an error message
    secret: bool = False
    choices: tuple[Any, ...] = ()
    min: float | None = None  # inclusive bounds of a number, or of a list's length
    max: float | None = None
    positive: bool = False  # a number above 0
    url: bool = False  # an http(s):// address; a trailing slash is dropped
    items: builtins.type | None = None  # what a list holds
    #: a further check of the typed value: returns the value to use, or raises ValueError with what is wrong
    check: Callable[[Any], Any] | None = None
    example: Any = REQUIRED  # the value shown in the example config (REQUIRED: the default, commented out)
    documented: bool = True  # False for keys the core adds itself (an SMS channel's ``contacts``)
    type_words: str = ""  # the type as the options table names it, where ``type`` alone says too little

    def __post_init__(self) -> None:
        # the scrubber (publisher/scrub.py) finds every secret by this suffix
        if self.secret != self.name.endswith("_env"):
            raise ValueError(f"option {self.name}: a secret is named *_env, and only a secret is")

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


def api_base(default: Any, help: str = "Where the API lives; change it only to point at a test stand-in.") -> Option:
    """The ``api_base`` option: where the platform's API lives."""
    return Option(name="api_base", url=True, default=default, help=help)


@dataclasses.dataclass(frozen=True, kw_only=True)
class Capabilities:
    """What an adapter can do beyond render, publish and check, declared rather than probed with getattr."""

    #: a website CMS: the post's other deliveries wait for its article and carry the article's URL as their link
    articles: bool = False
    #: ``lookup(key)`` reads an earlier send back (an instance may turn this on, a CMS hook with ``lookup_url``)
    lookup: bool = False
    #: ``refresh_limits()`` reads the channel's real limits from the platform when the daemon starts
    platform_limits: bool = False


class ChannelAdapter:
    """The shared part of every adapter: the constructor parses the declared ``options`` into ``self.config``, and
    ``describe()`` and the repr are built from the declaration, secrets masked. A kind implements ``setup`` (its
    own attributes and any check across options), ``render``, ``publish``, ``lookup`` and ``check``."""

    kind: ClassVar[str]
    options: ClassVar[tuple[Option, ...]] = ()
    capabilities: Capabilities = Capabilities()
    limits: Limits
    idempotency: Idempotency = "none"

    def __init__(
        self,
        name: str,
        options: Mapping[str, Any],
        *,
        client: httpx.AsyncClient | None = None,
        env: Mapping[str, str] | None = None,
        images: Any = None,
    ) -> None:
        from adapters.media import NO_IMAGES  # adapters.media imports this module

        self.name = name
        # None only for a kind that sends nothing over HTTP (the outbox)
        self.client: httpx.AsyncClient = cast(httpx.AsyncClient, client)
        self.images = images or NO_IMAGES
        self._given = dict(options)
        config = parse_options(type(self).options, options, env if env is not None else {}, self.kind)
        self.setup(config)
        # kept for describe(), without the secrets' values: vars(adapter) may end up in a log
        self.config = {
            o.name: o.shown(config[o.name], self._given) if o.secret else config[o.name] for o in self.options
        }

    def setup(self, config: dict[str, Any]) -> None:
        """Take the checked values into attributes; raise ``AdapterConfigError`` for what spans several keys."""

    async def lookup(self, key: str) -> Receipt | None:
        raise NotImplementedError(f"a {self.kind} channel cannot look a post up")

    async def refresh_limits(self) -> None:
        """Nothing to read unless ``capabilities.platform_limits``."""

    def describe(self) -> dict[str, Any]:
        """The channel's options with secrets masked: safe to log and to show."""
        described: dict[str, Any] = {"kind": self.kind}
        for option in type(self).options:
            if option.documented:
                value = self.config[option.name]
                described[option.name] = list(value) if isinstance(value, tuple) else value
        return described

    def __repr__(self) -> str:
        shown = ", ".join(
            f"{key}={value!r}"
            for key, value in self.describe().items()
            if key != "kind" and isinstance(value, str | int | float) and value is not None
        )
        return f"{type(self).__name__}({self.name!r}, {shown})"
