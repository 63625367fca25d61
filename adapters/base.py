"""The contract between the dispatcher and every channel adapter.

An adapter turns one post into one channel's own format (``render``) and sends it (``publish``). It knows nothing
of the database or the scheduler: the dispatcher calls it and turns what it returns or raises into delivery states.
What it raises is in ``adapters.errors``, how its options are declared in ``adapters.options``, and the helpers
that read a platform's HTTP answers in ``adapters.http``.
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
from collections.abc import AsyncIterator, Awaitable, Callable, Mapping
from contextlib import AbstractAsyncContextManager
from datetime import datetime
from typing import Any, ClassVar, Literal, Protocol, cast, runtime_checkable

import httpx

from adapters.options import Option, parse_options

__all__ = [
    "Adapter",
    "Capabilities",
    "ChannelAdapter",
    "Idempotency",
    "Limits",
    "MemoryCache",
    "Payload",
    "PostContent",
    "ReadBack",
    "ReadBackState",
    "Receipt",
    "StateCache",
    "read_back_safely",
]

Idempotency = Literal["native", "lookup", "none"]


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


ReadBackState = Literal["online", "gone", "hidden", "unknown"]


@dataclasses.dataclass(frozen=True, kw_only=True)
class ReadBack:
    """What a channel says now of a post sent earlier (``read_back``).

    ``online``: still there for readers; ``gone``: deleted, trashed, redacted, banned; ``hidden``: still on the
    platform but no longer public (a WordPress draft or private post); ``unknown``: the platform could not be asked
    or gave no clear answer (``detail`` says why; ask again at the next check). ``metrics`` are the platform's own
    counters under its own names (``comments``, ``favourites``, ``reblogs``, ``replies``, ``reads``...), only those
    it gives; ``url`` is the post's current address where the platform says it.
    """

    state: ReadBackState
    detail: str = ""
    metrics: Mapping[str, int] = dataclasses.field(default_factory=dict)
    url: str | None = None
    #: what the read-back did with extra copies of the post it found on the way (a request that landed late made a
    #: twin), as a Receipt's details say it: ``trashed``, ``duplicates_left``, ``duplicate_error``
    copies: Mapping[str, Any] = dataclasses.field(default_factory=dict)

    @classmethod
    def unknown(cls, reason: str) -> ReadBack:
        return cls(state="unknown", detail=reason)


async def read_back_safely(read: Awaitable[ReadBack]) -> ReadBack:
    """``read``'s answer, or ``unknown`` with the reason when it failed: a read-back never raises for a platform
    problem (the next scheduled check asks again), a connection failure included."""
    from adapters.errors import ChannelError

    try:
        return await read
    except ChannelError as exc:
        return ReadBack.unknown(f"could not read the post back: {exc.reason}")
    except httpx.HTTPError as exc:  # its message may carry the request's URL, and a token in it: not kept
        return ReadBack.unknown(f"could not read the post back: {type(exc).__name__}")
    except (ValueError, KeyError, TypeError) as exc:  # an answer of an unexpected shape
        return ReadBack.unknown(f"could not read the post back: {type(exc).__name__}: {str(exc)[:200]}")


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

    async def read_back(self, sent: Receipt, key: str) -> ReadBack:
        """Whether the post sent as ``sent`` (its ``remote_id`` and ``url``, and ``details`` where kept) with
        delivery key ``key`` is still online, and its counters. Only called when ``capabilities.read_back``.

        Never raises for a platform problem, a transport failure included: whatever stops the answer is
        ``ReadBack.unknown(reason)``, and the next scheduled check asks again.
        """
        ...

    async def check(self) -> str:
        """Verify credentials and reachability without posting; return a short description of what was checked."""
        ...

    def describe(self) -> dict[str, Any]:
        """The channel's options with secrets masked: safe to log and to show."""
        ...


@dataclasses.dataclass(frozen=True, kw_only=True)
class Capabilities:
    """What an adapter can do beyond render, publish and check, declared rather than probed with getattr."""

    #: a website CMS: the post's other deliveries wait for its article and carry the article's URL as their link
    articles: bool = False
    #: ``lookup(key)`` reads an earlier send back (an instance may turn this on, a CMS hook with ``lookup_url``)
    lookup: bool = False
    #: ``refresh_limits()`` reads the channel's real limits from the platform when the daemon starts
    platform_limits: bool = False
    #: the adapter keeps small values (an access token, what it did for a delivery key) in its attribute ``cache``, a
    #: ``StateCache``: in-process by default; the daemon sets one stored in the database, shared by every daemon
    shared_state: bool = False
    #: ``read_back(receipt, key)`` says whether a sent post is still online (deleted, banned, unpublished) and its
    #: counters (comments, favourites, reads) where the platform gives them
    read_back: bool = False


class StateCache(Protocol):
    """Small values with an expiry (seconds since the epoch); ``lock(name)`` lets one caller at a time (in this
    process, or in every daemon for a stored one) renew a value."""

    async def get(self, name: str) -> tuple[str, float] | None: ...

    async def put(self, name: str, value: str, expires_at: float) -> None: ...

    def lock(self, name: str) -> AbstractAsyncContextManager[None]: ...


class MemoryCache:
    """The in-process ``StateCache``: what an adapter keeps until the core hands it a stored one."""

    def __init__(self) -> None:
        self.values: dict[str, tuple[str, float]] = {}
        self._locks: dict[str, asyncio.Lock] = {}

    async def get(self, name: str) -> tuple[str, float] | None:
        return self.values.get(name)

    async def put(self, name: str, value: str, expires_at: float) -> None:
        self.values[name] = (value, expires_at)

    @contextlib.asynccontextmanager
    async def lock(self, name: str) -> AsyncIterator[None]:
        lock = self._locks.setdefault(name, asyncio.Lock())
        async with lock:
            yield


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

    async def read_back(self, sent: Receipt, key: str) -> ReadBack:
        raise NotImplementedError(f"a {self.kind} channel cannot read a sent post back")

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
