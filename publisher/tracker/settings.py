"""The tracker's part of the config file: ``[tracker]`` (how to poll) and ``[outlets.NAME]`` (what to poll).

Kept here rather than in ``publisher.config`` so the tracker's keys live beside the code that reads them;
``publisher.config`` calls ``parse_tracker`` and ``parse_outlets`` and stores what they return on ``Settings``.
Every refusal is a ``ConfigError`` naming the file and the full key.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Collection, Mapping, Sequence
from typing import Any
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from publisher import __version__
from publisher.errors import ConfigError, ValidationError

__all__ = [
    "OUTLET_KINDS",
    "TIERS",
    "AlertSettings",
    "ConfigTable",
    "OutletSettings",
    "TrackerSettings",
    "check_feed",
    "parse_alerts",
    "parse_outlets",
    "parse_tracker",
    "resolve_feed",
    "tier_of",
]

OUTLET_KINDS = ("news_site", "portal", "official_account", "paper", "other")
#: an outlet's tier as stored (the codes reports group by) and as people write it: 中央, 省, 市, 区/县, 校
TIERS = {"national": "中央", "province": "省", "city": "市", "district": "区/县", "school": "校"}
_TIER_SPELLINGS = {
    **{code: code for code in TIERS},
    **{word: code for code, word in TIERS.items()},
    **{word + "级": code for code, word in TIERS.items()},
    "central": "national",
    "国家": "national",
    "国家级": "national",
    "provincial": "province",
    "municipal": "city",
    "county": "district",
    "区": "district",
    "县": "district",
    "区县": "district",
    "区县级": "district",
    "区级": "district",
    "县级": "district",
    "学校": "school",
}
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
    # weighted share of an entry's text found in one of our posts for it to count as a reprint (match.SIMILARITY)
    similarity: float = 0.58
    story_similarity: float = 0.55  # weighted cosine of two outlets' items' texts for them to be one story (0-1]
    keep_entries_days: int = 90  # entries that matched nothing are forgotten after this many days
    parse_workers: int = 2  # processes that parse, fold and match when a pass has many feeds (0: threads, in-process)
    full_text: bool = True  # fetch the article page of a new entry whose feed text is shorter than full_text_below
    full_text_below: int = 200  # characters of summary or content under which an entry counts as headline-only
    full_text_per_pass: int = 200  # article pages fetched in one pass at most (newest entries first)
    # draw each kept page that proves a coverage item with headless Chromium, offline, and keep the picture
    screenshots: bool = False
    screenshot_browser: str = ""  # the Chromium to draw with (default: chromium, chromium-browser or google-chrome)
    screenshots_per_pass: int = 20  # pages drawn in one pass at most (a page takes Chromium about a second)

    def __post_init__(self) -> None:
        if self.min_interval > self.max_interval:
            raise ValueError("min_interval must not exceed max_interval")


@dataclasses.dataclass(frozen=True, kw_only=True)
class OutletSettings:
    name: str
    kind: str = "news_site"
    tier: str | None = None  # one of TIERS: national, province, city, district, school
    region: str | None = None
    timezone: str | None = None  # for feeds whose dates carry no offset (default: [publisher] timezone)
    feeds: tuple[str, ...] = ()  # feed URLs or ``rsshub:/ROUTE``
    full_text: bool = True  # fetch article pages of headline-only entries ([tracker] full_text must be on too)


def check_feed(feed: str) -> str:
    """``feed`` tidied, or ValidationError: an http(s) URL, or an RSSHub route ``rsshub:/weibo/user/1234``."""
    feed = feed.strip()
    if feed.startswith(RSSHUB_PREFIX):
        route = feed[len(RSSHUB_PREFIX) :].lstrip("/")
        if not route or " " in route:
            raise ValidationError.of("{feed!r}: an RSSHub route looks like rsshub:/weibo/user/1195230310", feed=feed)
        return RSSHUB_PREFIX + "/" + route
    parts = urlsplit(feed)
    if parts.scheme not in ("http", "https") or not parts.netloc:
        raise ValidationError.of(
            "{feed!r} is not a feed URL: give an http(s) URL, or an RSSHub route such as rsshub:/weibo/user/1234",
            feed=feed,
        )
    return feed


def tier_of(text: str | None) -> str | None:
    """The tier code (``TIERS``) of what someone wrote (市, 市级, city, 区/县, county, ...); None for nothing written;
    ValidationError for anything else, so reports never count a misspelt tier apart."""
    if text is None or not text.strip():
        return None
    code = _TIER_SPELLINGS.get(text.strip().lower().replace(" ", ""))
    if code is None:
        raise ValidationError.of(
            "unknown tier {tier!r}; choose one of: {choices}",
            tier=text.strip(),
            choices=", ".join(f"{word} ({code})" for code, word in TIERS.items()),
        )
    return code


def resolve_feed(feed: str, rsshub_base: str) -> str:
    """The URL to fetch for a stored source: RSSHub routes are resolved against the configured base."""
    if feed.startswith(RSSHUB_PREFIX):
        return rsshub_base.rstrip("/") + "/" + feed[len(RSSHUB_PREFIX) :].lstrip("/")
    return feed


class ConfigTable:
    """Typed access to one TOML table; errors name the file and the full key."""

    def __init__(self, table: Mapping[str, Any], source: str, prefix: str, known: Sequence[str]) -> None:
        self.table, self.source, self.prefix = table, source, prefix
        for key in table:
            if key not in known:
                raise ConfigError.of(
                    "{file}: [{key}] is not a known setting; did you mean one of: {choices}",
                    file=source,
                    key=f"{prefix}.{key}",
                    choices=", ".join(known),
                )

    def fail(self, key: str, problem: BaseException) -> ConfigError:
        """``key`` refused by another check (a feed, a tier, a cron expression), said in the reader's language."""
        return ConfigError.within(self.source, f"{self.prefix}.{key}", problem)

    def where(self, key: str) -> dict[str, str]:
        """The ``file`` and ``key`` of a ``ConfigError.of`` about ``key``."""
        return {"file": self.source, "key": f"{self.prefix}.{key}"}

    def number(self, key: str, default: float, minimum: float, maximum: float | None = None) -> float:
        value = self.table.get(key, default)
        if isinstance(value, bool) or not isinstance(value, int | float) or value < minimum:
            raise ConfigError.of(
                "{file}: [{key}] must be a number of at least {minimum:g}, got {value!r}",
                **self.where(key),
                minimum=minimum,
                value=value,
            )
        if maximum is not None and value > maximum:
            raise ConfigError.of(
                "{file}: [{key}] must be at most {maximum:g}, got {value!r}",
                **self.where(key),
                maximum=maximum,
                value=value,
            )
        return float(value)

    def flag(self, key: str, default: bool) -> bool:
        value = self.table.get(key, default)
        if not isinstance(value, bool):
            raise ConfigError.of("{file}: [{key}] must be true or false, got {value!r}", **self.where(key), value=value)
        return value

    def whole(self, key: str, default: int, minimum: int = 1) -> int:
        value = self.table.get(key, default)
        if isinstance(value, bool) or not isinstance(value, int) or value < minimum:
            raise ConfigError.of(
                "{file}: [{key}] must be a whole number of at least {minimum}, got {value!r}",
                **self.where(key),
                minimum=minimum,
                value=value,
            )
        return value

    def text(self, key: str, default: str | None) -> str | None:
        value = self.table.get(key, default)
        if value is not None and (not isinstance(value, str) or not value.strip()):
            raise ConfigError.of(
                "{file}: [{key}] must be a non-empty string, got {value!r}", **self.where(key), value=value
            )
        return value


def parse_tracker(table: Mapping[str, Any], source: str) -> TrackerSettings:
    """``[tracker]``: every key optional; see config/publisher.example.toml."""
    defaults = TrackerSettings()
    reader = ConfigTable(table, source, "tracker", [f.name for f in dataclasses.fields(TrackerSettings)])
    base = reader.text("rsshub_base", defaults.rsshub_base) or defaults.rsshub_base
    parts = urlsplit(base)
    if parts.scheme not in ("http", "https") or not parts.netloc:
        raise ConfigError.of(
            '{file}: [{key}] must be an http(s) URL such as "https://rsshub.app", got {value!r}',
            **reader.where("rsshub_base"),
            value=base,
        )
    min_interval = reader.number("min_interval", defaults.min_interval, 1)
    max_interval = reader.number("max_interval", defaults.max_interval, 1)
    if max_interval < min_interval:
        raise ConfigError.of(
            "{file}: [{key}] must be at least min_interval ({least:g}), got {value:g}",
            **reader.where("max_interval"),
            least=min_interval,
            value=max_interval,
        )
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
        story_similarity=reader.number("story_similarity", defaults.story_similarity, 0.05, 1.0),
        keep_entries_days=reader.whole("keep_entries_days", defaults.keep_entries_days),
        parse_workers=reader.whole("parse_workers", defaults.parse_workers, 0),
        full_text=reader.flag("full_text", defaults.full_text),
        full_text_below=reader.whole("full_text_below", defaults.full_text_below),
        full_text_per_pass=reader.whole("full_text_per_pass", defaults.full_text_per_pass, 0),
        screenshots=reader.flag("screenshots", defaults.screenshots),
        screenshot_browser=reader.text("screenshot_browser", None) or "",
        screenshots_per_pass=reader.whole("screenshots_per_pass", defaults.screenshots_per_pass, 0),
    )


def parse_outlets(table: Mapping[str, Any], source: str) -> dict[str, OutletSettings]:
    """``[outlets.NAME]`` tables: kind, tier, region, timezone, feeds."""
    outlets: dict[str, OutletSettings] = {}
    for name, body in table.items():
        key = f"outlets.{name}"
        if not isinstance(body, dict):
            raise ConfigError.of(
                '{file}: [{key}] must be a table: [{key}] with feeds = ["https://..."]', file=source, key=key
            )
        reader = ConfigTable(body, source, key, ["kind", "tier", "region", "timezone", "feeds", "full_text"])
        kind = reader.text("kind", "news_site") or "news_site"
        if kind not in OUTLET_KINDS:
            raise ConfigError.of(
                "{file}: [{key}] must be one of {choices}; got {value!r}",
                **reader.where("kind"),
                choices=", ".join(OUTLET_KINDS),
                value=kind,
            )
        zone = reader.text("timezone", None)
        if zone is not None:
            try:
                ZoneInfo(zone)
            except (ZoneInfoNotFoundError, ValueError):
                raise ConfigError.of(
                    "{file}: [{key}] unknown time zone {name!r}; use an IANA name such as Asia/Shanghai",
                    **reader.where("timezone"),
                    name=zone,
                ) from None
        feeds = body.get("feeds", [])
        if not isinstance(feeds, list) or not all(isinstance(f, str) for f in feeds):
            raise ConfigError.of(
                '{file}: [{key}] must be a list of feed URLs or RSSHub routes, e.g. ["rsshub:/weibo/user/1"]',
                **reader.where("feeds"),
            )
        checked: list[str] = []
        for feed in feeds:
            try:
                checked.append(check_feed(feed))
            except ValidationError as exc:
                raise reader.fail("feeds", exc) from None
        try:
            tier = tier_of(reader.text("tier", None))
        except ValidationError as exc:
            raise reader.fail("tier", exc) from None
        outlets[name] = OutletSettings(
            name=name,
            kind=kind,
            tier=tier,
            region=reader.text("region", None),
            timezone=zone,
            feeds=tuple(dict.fromkeys(checked)),
            full_text=reader.flag("full_text", True),
        )
    return outlets


@dataclasses.dataclass(frozen=True, kw_only=True)
class AlertSettings:
    """``[alerts]``: new coverage told to the team on one of its channels (publisher.tracker.alerts)."""

    channel: str  # a configured channel, usually the team's group robot (WeCom, DingTalk, Feishu)
    cron: str = "*/15 * * * *"  # when the new items are sent: every 15 minutes; "0 18 * * *" for a daily digest
    campaigns: tuple[str, ...] = ()  # only these campaigns' coverage (default: every campaign)
    language: str = "zh"  # zh or en
    most_items: int = 20  # items listed in one message; the rest are counted


def parse_alerts(table: Mapping[str, Any], source: str, channels: Collection[str]) -> AlertSettings | None:
    """``[alerts]``: None when the table is absent."""
    if not table:
        return None
    from publisher.scheduler import cron_trigger  # APScheduler only when alerts are configured

    defaults = AlertSettings(channel="")
    reader = ConfigTable(table, source, "alerts", [f.name for f in dataclasses.fields(AlertSettings)])
    channel = reader.text("channel", None)
    if channel is None:
        raise ConfigError.of(
            '{file}: [{key}] is required: the channel the team reads, e.g. channel = "team-wecom"',
            **reader.where("channel"),
        )
    if channel not in channels:
        raise ConfigError.of(
            "{file}: [{key}] unknown channel {channel!r}; configured: {configured}",
            **reader.where("channel"),
            channel=channel,
            configured=", ".join(sorted(channels)),
        )
    cron = reader.text("cron", defaults.cron) or defaults.cron
    try:
        cron_trigger(cron, "UTC")
    except ValidationError as exc:
        raise reader.fail("cron", exc) from None
    campaigns = table.get("campaigns", [])
    if not isinstance(campaigns, list) or not all(isinstance(c, str) and c.strip() for c in campaigns):
        raise ConfigError.of(
            '{file}: [{key}] must be a list of campaign names, e.g. ["阅读月"]', **reader.where("campaigns")
        )
    language = reader.text("language", defaults.language) or defaults.language
    if language not in ("zh", "en"):
        raise ConfigError.of(
            "{file}: [{key}] must be one of {choices}; got {value!r}",
            **reader.where("language"),
            choices="zh, en",
            value=language,
        )
    return AlertSettings(
        channel=channel,
        cron=cron,
        campaigns=tuple(c.strip() for c in campaigns),
        language=language,
        most_items=reader.whole("most_items", defaults.most_items),
    )
