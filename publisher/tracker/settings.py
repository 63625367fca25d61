"""The tracker's part of the config file: ``[tracker]`` (how to poll) and ``[outlets.NAME]`` (what to poll).

Kept here rather than in ``publisher.config`` so the tracker's keys live beside the code that reads them;
``publisher.config`` calls ``parse_tracker`` and ``parse_outlets`` and stores what they return on ``Settings``.
Every refusal is a ``ConfigError`` naming the file and the full key.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping, Sequence
from typing import Any
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from publisher import __version__
from publisher.errors import ConfigError, ValidationError

__all__ = [
    "OUTLET_KINDS",
    "OutletSettings",
    "TrackerSettings",
    "check_feed",
    "parse_outlets",
    "parse_tracker",
    "resolve_feed",
]

OUTLET_KINDS = ("news_site", "portal", "official_account", "paper", "other")
MAX_REDIRECTS = 5  # the bound; a loop ends in an error after this many hops
RSSHUB_PREFIX = "rsshub:"


@dataclasses.dataclass(frozen=True, kw_only=True)
class TrackerSettings:
    rsshub_base: str = "https://rsshub.app"  # where ``rsshub:/ROUTE`` sources are fetched from
    min_interval: float = 600.0  # seconds: a source that changes often is polled at most this often
    max_interval: float = 21600.0  # seconds: a source that never changes is still polled this often
    backoff_max: float = 21600.0  # seconds: the longest wait after repeated errors
    per_host_concurrency: int = 2  # requests in flight to one host
    concurrency: int = 64  # requests in flight in all
    max_body_bytes: int = 8 * 1024 * 1024  # a larger answer is refused (streamed, never read whole)
    connect_timeout: float = 10.0
    read_timeout: float = 30.0  # seconds without a byte from the server
    total_timeout: float = 120.0  # seconds for one whole fetch, however the bytes trickle in
    user_agent: str = f"publisher-tracker/{__version__} (+https://github.com/publisher-scheduler)"
    check_interval: float = 60.0  # how often the daemon looks for due sources
    lease_seconds: float = 600.0  # a claimed source is another daemon's again after this long
    similarity: float = 0.6  # share of an entry's text found in one of our posts for it to count as a reprint
    keep_entries_days: int = 90  # entries that matched nothing are forgotten after this many days
    parse_workers: int = 2  # processes that parse when a pass has many feeds (0: parse in threads, in-process)

    def __post_init__(self) -> None:
        if self.min_interval > self.max_interval:
            raise ValueError("min_interval must not exceed max_interval")


@dataclasses.dataclass(frozen=True, kw_only=True)
class OutletSettings:
    name: str
    kind: str = "news_site"
    tier: str | None = None  # e.g. city, province, national
    region: str | None = None
    timezone: str | None = None  # for feeds whose dates carry no offset (default: [publisher] timezone)
    feeds: tuple[str, ...] = ()  # feed URLs or ``rsshub:/ROUTE``


def check_feed(feed: str) -> str:
    """``feed`` tidied, or ValidationError: an http(s) URL, or an RSSHub route ``rsshub:/weibo/user/1234``."""
    feed = feed.strip()
    if feed.startswith(RSSHUB_PREFIX):
        route = feed[len(RSSHUB_PREFIX) :].lstrip("/")
        if not route or " " in route:
            raise ValidationError(f"{feed!r}: an RSSHub route looks like rsshub:/weibo/user/1195230310")
        return RSSHUB_PREFIX + "/" + route
    parts = urlsplit(feed)
    if parts.scheme not in ("http", "https") or not parts.netloc:
        raise ValidationError(
            f"{feed!r} is not a feed URL: give an http(s) URL, or an RSSHub route such as rsshub:/weibo/user/1234"
        )
    return feed


def resolve_feed(feed: str, rsshub_base: str) -> str:
    """The URL to fetch for a stored source: RSSHub routes are resolved against the configured base."""
    if feed.startswith(RSSHUB_PREFIX):
        return rsshub_base.rstrip("/") + "/" + feed[len(RSSHUB_PREFIX) :].lstrip("/")
    return feed


class _Table:
    """Typed access to one TOML table; errors name the file and the full key."""

    def __init__(self, table: Mapping[str, Any], source: str, prefix: str, known: Sequence[str]) -> None:
        self.table, self.source, self.prefix = table, source, prefix
        for key in table:
            if key not in known:
                raise ConfigError(
                    source, f"{prefix}.{key}", f"is not a known setting; did you mean one of: {', '.join(known)}"
                )

    def fail(self, key: str, problem: str) -> ConfigError:
        return ConfigError(self.source, f"{self.prefix}.{key}", problem)

    def number(self, key: str, default: float, minimum: float, maximum: float | None = None) -> float:
        value = self.table.get(key, default)
        if isinstance(value, bool) or not isinstance(value, int | float) or value < minimum:
            raise self.fail(key, f"must be a number of at least {minimum:g}, got {value!r}")
        if maximum is not None and value > maximum:
            raise self.fail(key, f"must be at most {maximum:g}, got {value!r}")
        return float(value)

    def whole(self, key: str, default: int, minimum: int = 1) -> int:
        value = self.table.get(key, default)
        if isinstance(value, bool) or not isinstance(value, int) or value < minimum:
            raise self.fail(key, f"must be a whole number of at least {minimum}, got {value!r}")
        return value

    def text(self, key: str, default: str | None) -> str | None:
        value = self.table.get(key, default)
        if value is not None and (not isinstance(value, str) or not value.strip()):
            raise self.fail(key, f"must be a non-empty string, got {value!r}")
        return value


def parse_tracker(table: Mapping[str, Any], source: str) -> TrackerSettings:
    """``[tracker]``: every key optional; see config/publisher.example.toml."""
    defaults = TrackerSettings()
    reader = _Table(table, source, "tracker", [f.name for f in dataclasses.fields(TrackerSettings)])
    base = reader.text("rsshub_base", defaults.rsshub_base) or defaults.rsshub_base
    parts = urlsplit(base)
    if parts.scheme not in ("http", "https") or not parts.netloc:
        raise reader.fail("rsshub_base", f'must be an http(s) URL such as "https://rsshub.app", got {base!r}')
    min_interval = reader.number("min_interval", defaults.min_interval, 1)
    max_interval = reader.number("max_interval", defaults.max_interval, 1)
    if max_interval < min_interval:
        raise reader.fail("max_interval", f"must be at least min_interval ({min_interval:g}), got {max_interval:g}")
    return TrackerSettings(
        rsshub_base=base,
        min_interval=min_interval,
        max_interval=max_interval,
        backoff_max=reader.number("backoff_max", defaults.backoff_max, 1),
        per_host_concurrency=reader.whole("per_host_concurrency", defaults.per_host_concurrency),
        concurrency=reader.whole("concurrency", defaults.concurrency),
        max_body_bytes=reader.whole("max_body_bytes", defaults.max_body_bytes, 1024),
        connect_timeout=reader.number("connect_timeout", defaults.connect_timeout, 0.1),
        read_timeout=reader.number("read_timeout", defaults.read_timeout, 0.1),
        total_timeout=reader.number("total_timeout", defaults.total_timeout, 0.1),
        user_agent=reader.text("user_agent", defaults.user_agent) or defaults.user_agent,
        check_interval=reader.number("check_interval", defaults.check_interval, 1),
        lease_seconds=reader.number("lease_seconds", defaults.lease_seconds, 10),
        similarity=reader.number("similarity", defaults.similarity, 0.05, 1.0),
        keep_entries_days=reader.whole("keep_entries_days", defaults.keep_entries_days),
        parse_workers=reader.whole("parse_workers", defaults.parse_workers, 0),
    )


def parse_outlets(table: Mapping[str, Any], source: str) -> dict[str, OutletSettings]:
    """``[outlets.NAME]`` tables: kind, tier, region, timezone, feeds."""
    outlets: dict[str, OutletSettings] = {}
    for name, body in table.items():
        key = f"outlets.{name}"
        if not isinstance(body, dict):
            raise ConfigError(source, key, f'must be a table: [{key}] with feeds = ["https://..."]')
        reader = _Table(body, source, key, ["kind", "tier", "region", "timezone", "feeds"])
        kind = reader.text("kind", "news_site") or "news_site"
        if kind not in OUTLET_KINDS:
            raise reader.fail("kind", f"must be one of {', '.join(OUTLET_KINDS)}; got {kind!r}")
        zone = reader.text("timezone", None)
        if zone is not None:
            try:
                ZoneInfo(zone)
            except (ZoneInfoNotFoundError, ValueError):
                raise reader.fail(
                    "timezone", f"unknown time zone {zone!r}; use an IANA name such as Asia/Shanghai"
                ) from None
        feeds = body.get("feeds", [])
        if not isinstance(feeds, list) or not all(isinstance(f, str) for f in feeds):
            raise reader.fail("feeds", 'must be a list of feed URLs or RSSHub routes, e.g. ["rsshub:/weibo/user/1"]')
        checked: list[str] = []
        for feed in feeds:
            try:
                checked.append(check_feed(feed))
            except ValidationError as exc:
                raise reader.fail("feeds", str(exc)) from None
        outlets[name] = OutletSettings(
            name=name,
            kind=kind,
            tier=reader.text("tier", None),
            region=reader.text("region", None),
            timezone=zone,
            feeds=tuple(dict.fromkeys(checked)),
        )
    return outlets
