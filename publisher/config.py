"""Settings from a TOML file, checked at start so a mistake is reported with its file, key and fix.

Where the file comes from: ``--config PATH``, else ``$PUBLISHER_CONFIG``, else ``./publisher.toml``; with none of
these the embedded defaults apply (SQLite in the working folder and one ``outbox`` channel). Secrets are never in
the file: a channel names the environment variable that holds each one (``token_env = "WEIBO_TOKEN"``).
"""

from __future__ import annotations

import dataclasses
import ipaddress
import os
import re
import tomllib
from collections.abc import Mapping
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import httpx

import adapters
from adapters.base import Adapter
from adapters.errors import AdapterConfigError
from adapters.media import ImageSource
from publisher.errors import ConfigError
from publisher.media import MediaSettings
from publisher.outbound import OutboundPolicy  # not publisher.guard: that imports aiohttp
from publisher.reports.settings import ReportSettings, parse_reports
from publisher.services.team_settings import TeamSettings, parse_team
from publisher.tracker.settings import (
    AlertSettings,
    OutletSettings,
    TrackerSettings,
    parse_alerts,
    parse_outlets,
    parse_tracker,
)

__all__ = [
    "AnySecret",
    "ChannelSettings",
    "DaemonSettings",
    "Settings",
    "WebSettings",
    "WebhookSettings",
    "find_config_file",
    "load_settings",
]

DEFAULT_FILE = "publisher.toml"
EMBEDDED = "embedded defaults"

#: channel keys the core handles itself; the rest of a channel's table goes to its adapter
GENERIC_CHANNEL_KEYS = frozenset({"kind", "concurrency", "rate_per_minute", "quiet_hours", "posting_windows"})


@dataclasses.dataclass(frozen=True, kw_only=True)
class ChannelSettings:
    name: str
    kind: str
    options: Mapping[str, Any]  # what the adapter receives
    concurrency: int | None = None  # overrides the adapter's default cap
    rate_per_minute: float | None = None  # overrides the platform's documented default
    #: local times of day ("HH:MM-HH:MM", in the campaign's zone) when the channel stays silent / may post
    quiet_hours: tuple[str, ...] = ()
    posting_windows: tuple[str, ...] = ()


@dataclasses.dataclass(frozen=True, kw_only=True)
class DaemonSettings:
    lease_seconds: float = 300.0  # a claim not finished within this is taken back (its worker died)
    max_attempts: int = 8
    backoff_initial: float = 30.0  # seconds before the first retry; doubles each time, with jitter
    backoff_max: float = 3600.0
    poll_interval: float = 5.0  # safety net: look for work queued by other processes at least this often
    http_transport: str = "aiohttp"  # "aiohttp" (measured faster, see docs/development.md) or "httpx"
    shutdown_grace: float = 20.0  # seconds in-flight sends get to finish on SIGTERM
    breaker_threshold: int = 5  # failed sends in a row (timeouts, 5xx, 429) that pause a channel (publisher/breaker.py)
    breaker_cooldown: float = 60.0  # seconds before a paused channel is probed with `check()` and resumed if it passes


@dataclasses.dataclass(frozen=True, kw_only=True)
class WebSettings:
    """The web console (``[web]``): served by ``publisher web``, and by ``publisher run`` when ``enabled``."""

    enabled: bool = True  # serve the console inside `publisher run`
    host: str = "127.0.0.1"
    port: int = 8000
    #: the environment variable holding the key that signs session cookies; unset: a new key per start
    secret_key_env: str | None = None
    language: str = "zh"  # for people who have not chosen one: "zh" or "en"
    https_only: bool = False  # mark the session cookie Secure (set it when the console is served over HTTPS)
    #: the largest request body read, checked before sign-in and parsing (413 beyond)
    max_body_bytes: int = 1024 * 1024
    #: the same for the image upload routes (/api/media, the compose form): [media] max_bytes and room for the form
    max_upload_bytes: int = 21 * 1024 * 1024
    session_idle_minutes: float = 120.0  # a session unused this long ends (checked to the minute)
    session_max_hours: float = 12.0  # and every session ends this long after signing in, used or not
    #: argon2 hashes (19 MiB each) run at once; a sign-in finding none free gets 429 unhashed (memory stays flat)
    max_concurrent_password_checks: int = 2
    #: networks of reverse proxies whose X-Forwarded-For is believed (e.g. ["127.0.0.1/32"] behind a local nginx);
    #: empty: the client is the connecting address, and the header is ignored
    trusted_proxies: tuple[str, ...] = ()
    #: the console's address as people reach it, e.g. https://publicity.example.edu.cn, for links in reports and
    #: messages; unset: reports show a kept page's SHA-256 without a link
    public_url: str | None = None


@dataclasses.dataclass(frozen=True, kw_only=True)
class WebhookSettings:
    """``[webhooks]``: events told to other systems' addresses (``publisher webhook``, docs/webhooks.md)."""

    #: the environment variable holding the key that seals subscribers' signing secrets in the database; needed to
    #: add a subscriber and to send (without it, events still queue and wait)
    secret_key_env: str | None = None
    check_seconds: float = 5.0  # how often the daemon looks for events to send
    timeout: float = 10.0  # seconds a subscriber has to answer
    max_attempts: int = 10  # sends of one event before it is marked failed (a resend starts again)
    backoff_initial: float = 30.0  # seconds before the first retry, doubling (with jitter) up to backoff_max
    backoff_max: float = 6 * 3600.0
    pause_after: int = 20  # failed sends in a row (any events) before the subscriber is paused
    batch: int = 50  # events sent per round, at most 8 at once


@dataclasses.dataclass(frozen=True, kw_only=True)
class Settings:
    source: str  # the file read, or EMBEDDED
    database_url: str = "sqlite:///publisher.db"
    #: the environment variable holding the database URL (with its password); when it is set, it is used instead of
    #: `url`; when it is not, the file's own `url` is used, and without one the config is refused (the container's
    #: compose.yaml sets PUBLISHER_DATABASE_URL)
    database_url_env: str | None = None
    timezone: str = "UTC"  # for posts outside any campaign
    log_level: str = "INFO"
    log_format: str = "text"  # "text" or "json"
    daemon: DaemonSettings = dataclasses.field(default_factory=DaemonSettings)
    channels: Mapping[str, ChannelSettings] = dataclasses.field(default_factory=dict)
    contacts: Mapping[str, list[str]] = dataclasses.field(default_factory=dict)
    #: the web console; None for settings built in code (tests, the demo): then `publisher run` serves no console
    web: WebSettings | None = None
    tracker: TrackerSettings = dataclasses.field(default_factory=TrackerSettings)  # [tracker]: how feeds are polled
    outlets: Mapping[str, OutletSettings] = dataclasses.field(default_factory=dict)  # [outlets.NAME]
    reports: ReportSettings = dataclasses.field(default_factory=ReportSettings)  # [reports], [reports.NAME]
    alerts: AlertSettings | None = None  # [alerts]: new coverage told to the team on one of its channels
    team: TeamSettings | None = None  # [team]: approval requests, failures and a daily summary in the team's groups
    #: [outbound]: what requests made for user input (feeds, images by URL) may reach beyond public addresses
    outbound: OutboundPolicy = dataclasses.field(default_factory=OutboundPolicy)
    media: MediaSettings = dataclasses.field(default_factory=MediaSettings)  # [media]: caps on images
    webhooks: WebhookSettings = dataclasses.field(default_factory=WebhookSettings)  # [webhooks]: events told out

    @property
    def public_url(self) -> str | None:
        """``[web] public_url``: the console's address for links (reports, messages), or None when not known."""
        return self.web.public_url if self.web is not None else None

    def build_adapters(
        self, client: httpx.AsyncClient, env: Mapping[str, str] | None = None, *, images: ImageSource | None = None
    ) -> dict[str, Adapter]:
        """One adapter per channel. Secrets are read from ``env`` (default: the process environment); images through
        ``images`` (``publisher.media.MediaLoader``; without it an adapter refuses every image)."""
        return {name: self.build_adapter(name, client, env, images=images) for name in self.channels}

    def build_adapter(
        self,
        name: str,
        client: httpx.AsyncClient,
        env: Mapping[str, str] | None = None,
        *,
        images: ImageSource | None = None,
    ) -> Adapter:
        """The channel's adapter, behind the scrubber: whatever the platform answers reaches the core without any
        configured secret in it (publisher/scrub.py)."""
        from publisher.scrub import ScrubbedAdapter, for_settings

        environ = os.environ if env is None else env
        channel = self.channels[name]
        try:
            adapter = adapters.create(channel.kind, name, channel.options, client=client, env=environ, images=images)
        except AdapterConfigError as exc:
            raise ConfigError(self.source, f"channels.{name}.{exc.key}", exc.message) from None
        return ScrubbedAdapter.wrap(adapter, for_settings(self, environ))


def find_config_file(explicit: str | None) -> Path | None:
    """The config file to read, by the documented order, or None for the embedded defaults."""
    if explicit:
        return Path(explicit)
    from_env = os.environ.get("PUBLISHER_CONFIG")
    if from_env:
        return Path(from_env)
    local = Path(DEFAULT_FILE)
    return local if local.exists() else None


def load_settings(explicit: str | None = None, *, check_secrets: bool = False) -> Settings:
    """Read and check the configuration. ``check_secrets`` also requires every named secret to be set (the daemon
    needs them; commands that only queue do not)."""
    path = find_config_file(explicit)
    if path is None:
        return _defaults()
    source = str(path)
    try:
        raw = tomllib.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise ConfigError.of(
            "{file}: [{key}] the file does not exist; create it from config/publisher.example.toml",
            file=source,
            key="-",
        ) from None
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError.of(
            "{file}: [{key}] cannot read the file: {reason}", file=source, key="-", reason=exc
        ) from None
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError.of("{file}: [{key}] is not valid TOML: {reason}", file=source, key="-", reason=exc) from None
    settings = _parse(raw, source)
    variable = settings.database_url_env
    if variable and os.environ.get(variable):
        settings = dataclasses.replace(settings, database_url=os.environ[variable])
    elif variable and "url" not in raw.get("database", {}):
        # no fallback was written: the default SQLite file would quietly split a team's queue from its database
        raise ConfigError.of(
            "{file}: [{key}] names {variable}, which is not set; export it (the database URL) or set url",
            file=source,
            key="database.url_env",
            variable=variable,
        )
    _check_adapters(settings, check_secrets)
    return settings


def _defaults() -> Settings:
    outbox = ChannelSettings(name="outbox", kind="outbox", options={"folder": "outbox"})
    return Settings(source=EMBEDDED, channels={"outbox": outbox}, web=WebSettings())


class _Reader:
    """Typed access to one TOML table with errors that name the file and the full key."""

    def __init__(self, table: Mapping[str, Any], source: str, prefix: str, known: set[str] | None = None) -> None:
        self.table, self.source, self.prefix = table, source, prefix
        if known is not None:
            for key in table:
                if key not in known:
                    choices = ", ".join(sorted(known))
                    raise ConfigError.of(
                        "{file}: [{key}] is not a known setting; did you mean one of: {choices}",
                        file=source,
                        key=self.key(key),
                        choices=choices,
                    )

    def key(self, name: str) -> str:
        return f"{self.prefix}.{name}" if self.prefix else name

    def string(self, name: str, default: str, choices: tuple[str, ...] | None = None) -> str:
        value = self.table.get(name, default)
        if not isinstance(value, str) or not value:
            raise ConfigError.of(
                "{file}: [{key}] must be a non-empty string, got {value!r}",
                file=self.source,
                key=self.key(name),
                value=value,
            )
        if choices and value not in choices:
            raise ConfigError.of(
                "{file}: [{key}] must be one of {choices}; got {value!r}",
                file=self.source,
                key=self.key(name),
                choices=", ".join(choices),
                value=value,
            )
        return value

    def number(self, name: str, default: float, minimum: float = 0.0) -> float:
        value = self.table.get(name, default)
        if isinstance(value, bool) or not isinstance(value, int | float) or value <= minimum:
            raise ConfigError.of(
                "{file}: [{key}] must be a number greater than {minimum:g}, got {value!r}",
                file=self.source,
                key=self.key(name),
                minimum=minimum,
                value=value,
            )
        return float(value)

    def env_name(self, name: str) -> str | None:
        """An optional ``*_env`` key: the name of an environment variable (checked), or None."""
        return _env_name(self.table[name], self.source, self.key(name)) if name in self.table else None

    def table_of(self, name: str) -> Mapping[str, Any]:
        value = self.table.get(name, {})
        if not isinstance(value, dict):
            raise ConfigError.of(
                "{file}: [{key}] must be a table ([{key}]), got {value!r}",
                file=self.source,
                key=self.key(name),
                value=value,
            )
        return value


def _parse(raw: Mapping[str, Any], source: str) -> Settings:
    top = _Reader(
        raw,
        source,
        "",
        {
            "database",
            "publisher",
            "log",
            "daemon",
            "channels",
            "contacts",
            "web",
            "tracker",
            "outlets",
            "reports",
            "alerts",
            "team",
            "outbound",
            "media",
            "webhooks",
        },
    )
    database = _Reader(top.table_of("database"), source, "database", {"url", "url_env"})
    general = _Reader(top.table_of("publisher"), source, "publisher", {"timezone"})
    log = _Reader(top.table_of("log"), source, "log", {"level", "format"})
    timezone = general.string("timezone", "UTC")
    _check_timezone(timezone, source, "publisher.timezone")
    defaults = DaemonSettings()
    daemon_table = _Reader(top.table_of("daemon"), source, "daemon", {f.name for f in dataclasses.fields(defaults)})
    daemon = DaemonSettings(
        lease_seconds=daemon_table.number("lease_seconds", defaults.lease_seconds, minimum=5),
        max_attempts=int(daemon_table.number("max_attempts", defaults.max_attempts)),
        backoff_initial=daemon_table.number("backoff_initial", defaults.backoff_initial),
        backoff_max=daemon_table.number("backoff_max", defaults.backoff_max),
        poll_interval=daemon_table.number("poll_interval", defaults.poll_interval),
        http_transport=daemon_table.string("http_transport", defaults.http_transport, ("aiohttp", "httpx")),
        shutdown_grace=daemon_table.number("shutdown_grace", defaults.shutdown_grace),
        breaker_threshold=max(1, int(daemon_table.number("breaker_threshold", defaults.breaker_threshold))),
        breaker_cooldown=daemon_table.number("breaker_cooldown", defaults.breaker_cooldown),
    )
    contacts = _parse_contacts(top.table_of("contacts"), source)
    channels_table = top.table_of("channels")
    channels = {name: _parse_channel(name, table, source, contacts) for name, table in channels_table.items()}
    if not channels:
        raise ConfigError.of(
            '{file}: [{key}] no channel is configured; add at least one, e.g. [channels.outbox] kind = "outbox"',
            file=source,
            key="channels",
        )
    return Settings(
        source=source,
        database_url=database.string("url", "sqlite:///publisher.db"),
        database_url_env=database.env_name("url_env"),
        timezone=timezone,
        log_level=log.string("level", "INFO", ("DEBUG", "INFO", "WARNING", "ERROR")),
        log_format=log.string("format", "text", ("text", "json")),
        daemon=daemon,
        channels=channels,
        contacts=contacts,
        web=_parse_web(top.table_of("web"), source),
        tracker=parse_tracker(top.table_of("tracker"), source),
        outlets=parse_outlets(top.table_of("outlets"), source),
        reports=parse_reports(top.table_of("reports"), source, channels),
        alerts=parse_alerts(top.table_of("alerts"), source, channels),
        team=parse_team(top.table_of("team"), source, channels),
        outbound=_parse_outbound(top.table_of("outbound"), source),
        media=_parse_media(top.table_of("media"), source),
        webhooks=_parse_webhooks(top.table_of("webhooks"), source),
    )


def _parse_media(table: Mapping[str, Any], source: str) -> MediaSettings:
    """``[media] max_bytes``, ``max_pixels``: the caps every image passes (upload and send)."""
    defaults = MediaSettings()
    _Reader(table, source, "media", {"max_bytes", "max_pixels"})
    values = {}
    for key in ("max_bytes", "max_pixels"):
        value = table.get(key, getattr(defaults, key))
        if not isinstance(value, int) or isinstance(value, bool) or value < 1:
            raise ConfigError.of(
                "{file}: [{key}] must be a positive whole number, got {value!r}",
                file=source,
                key=f"media.{key}",
                value=value,
            )
        values[key] = value
    return MediaSettings(**values)


def _parse_webhooks(table: Mapping[str, Any], source: str) -> WebhookSettings:
    defaults = WebhookSettings()
    reader = _Reader(table, source, "webhooks", {f.name for f in dataclasses.fields(defaults)})
    return WebhookSettings(
        secret_key_env=reader.env_name("secret_key_env"),
        check_seconds=reader.number("check_seconds", defaults.check_seconds),
        timeout=reader.number("timeout", defaults.timeout),
        max_attempts=int(reader.number("max_attempts", defaults.max_attempts, minimum=0.5)),
        backoff_initial=reader.number("backoff_initial", defaults.backoff_initial),
        backoff_max=reader.number("backoff_max", defaults.backoff_max),
        pause_after=int(reader.number("pause_after", defaults.pause_after, minimum=0.5)),
        batch=int(reader.number("batch", defaults.batch, minimum=0.5)),
    )


def _parse_outbound(table: Mapping[str, Any], source: str) -> OutboundPolicy:
    """``[outbound] allow = [...]``: networks and host names beyond public addresses (default: none)."""
    _Reader(table, source, "outbound", {"allow"})
    return OutboundPolicy.parse(table.get("allow", []), source)


def _parse_contacts(table: Mapping[str, Any], source: str) -> dict[str, list[str]]:
    contacts: dict[str, list[str]] = {}
    for group, numbers in table.items():
        if not isinstance(numbers, list) or not all(isinstance(n, str) for n in numbers):
            raise ConfigError.of(
                '{file}: [{key}] must be a list of phone numbers, e.g. ["+8613800138000"]',
                file=source,
                key=f"contacts.{group}",
            )
        contacts[group] = numbers
    return contacts


def _parse_channel(name: str, table: Any, source: str, contacts: Mapping[str, list[str]]) -> ChannelSettings:
    key = f"channels.{name}"
    if not isinstance(table, dict):
        raise ConfigError.of(
            '{file}: [{key}] must be a table: [{key}] with kind = "..." and its options', file=source, key=key
        )
    reader = _Reader(table, source, key)
    kind = reader.string("kind", "")  # "" is refused: kind is required
    if kind not in adapters.REGISTRY:
        known = ", ".join(sorted(adapters.REGISTRY))
        raise ConfigError.of(
            "{file}: [{key}] unknown channel kind {kind!r}; choose one of: {known}",
            file=source,
            key=f"{key}.kind",
            kind=kind,
            known=known,
        )
    concurrency = table.get("concurrency")
    if concurrency is not None and (
        not isinstance(concurrency, int) or isinstance(concurrency, bool) or concurrency < 1
    ):
        raise ConfigError.of(
            "{file}: [{key}] must be a whole number of at least 1, got {value!r}",
            file=source,
            key=f"{key}.concurrency",
            value=concurrency,
        )
    rate = reader.number("rate_per_minute", 1.0) if "rate_per_minute" in table else None
    options = {k: v for k, v in table.items() if k not in GENERIC_CHANNEL_KEYS}
    for option in options:
        if option.endswith("_env"):
            _env_name(options[option], source, f"{key}.{option}")
    if kind.startswith("sms_"):
        options["contacts"] = dict(contacts)  # SMS channels name contact groups; they get the lists themselves
    quiet, windows = _hours(table, "quiet_hours", source, key), _hours(table, "posting_windows", source, key)
    return ChannelSettings(
        name=name,
        kind=kind,
        options=options,
        concurrency=concurrency,
        rate_per_minute=rate,
        quiet_hours=quiet,
        posting_windows=windows,
    )


def _check_adapters(settings: Settings, check_secrets: bool) -> None:
    """Build every adapter once, so bad options are refused now rather than when the first post is due."""
    env: Mapping[str, str] = os.environ if check_secrets else AnySecret(os.environ)
    settings.build_adapters(httpx.AsyncClient(), env)


class AnySecret(dict[str, str]):
    """An environment in which every variable is set: for commands that validate options but send nothing."""

    def __init__(self, real: Mapping[str, str]) -> None:
        super().__init__(real)

    def get(self, key: str, default: Any = None) -> str:
        # shaped to pass format checks (a DingTalk secret starts with SEC) without being anything real
        return super().get(key) or "SEC-placeholder-not-set"

    def __getitem__(self, key: str) -> str:
        return self.get(key)


_ENV_NAME = re.compile(r"[A-Z_][A-Z0-9_]*")


def _env_name(value: Any, source: str, key: str) -> str:
    """A ``*_env`` value: the NAME of an environment variable. The message never repeats the value, which may be the
    secret itself pasted in by mistake."""
    if not isinstance(value, str) or not _ENV_NAME.fullmatch(value):
        raise ConfigError.of(
            "{file}: [{key}] must name an environment variable (A-Z, 0-9, _), not hold the secret itself; put the "
            'secret in a variable and name it here, e.g. "MY_CHANNEL_TOKEN"',
            file=source,
            key=key,
        )
    return value


def _check_timezone(name: str, source: str, key: str) -> None:
    try:
        ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        raise ConfigError.of(
            "{file}: [{key}] unknown time zone {name!r}; use an IANA name such as Asia/Shanghai",
            file=source,
            key=key,
            name=name,
        ) from None


def _hours(table: Mapping[str, Any], name: str, source: str, key: str) -> tuple[str, ...]:
    """A channel's ``quiet_hours`` / ``posting_windows``: one "HH:MM-HH:MM" span or a list of them."""
    from publisher.slots import Window

    value = table.get(name, [])
    spans = [value] if isinstance(value, str) else value
    if not isinstance(spans, list) or not all(isinstance(span, str) for span in spans):
        raise ConfigError.of(
            '{file}: [{key}] must be "HH:MM-HH:MM" or a list of them, got {value!r}',
            file=source,
            key=f"{key}.{name}",
            value=value,
        )
    for span in spans:
        try:
            Window.parse(span)
        except ValueError as exc:
            raise ConfigError(source, f"{key}.{name}", str(exc)) from None
    return tuple(spans)


def _parse_web(table: Mapping[str, Any], source: str) -> WebSettings:
    defaults = WebSettings()
    reader = _Reader(table, source, "web", {f.name for f in dataclasses.fields(defaults)})
    port = table.get("port", defaults.port)
    if not isinstance(port, int) or isinstance(port, bool) or not 0 < port < 65536:
        raise ConfigError.of(
            "{file}: [{key}] must be a port number from 1 to 65535, got {value!r}",
            file=source,
            key="web.port",
            value=port,
        )
    flags = {}
    for flag in ("enabled", "https_only"):
        value = table.get(flag, getattr(defaults, flag))
        if not isinstance(value, bool):
            raise ConfigError.of(
                "{file}: [{key}] must be true or false, got {value!r}", file=source, key=f"web.{flag}", value=value
            )
        flags[flag] = value
    secret_env = _env_name(table["secret_key_env"], source, "web.secret_key_env") if "secret_key_env" in table else None
    checks = table.get("max_concurrent_password_checks", defaults.max_concurrent_password_checks)
    if not isinstance(checks, int) or isinstance(checks, bool) or not 0 < checks <= 64:
        raise ConfigError.of(
            "{file}: [{key}] must be a whole number from 1 to 64 (each check uses 64 MiB), got {value!r}",
            file=source,
            key="web.max_concurrent_password_checks",
            value=checks,
        )
    return WebSettings(
        enabled=flags["enabled"],
        host=reader.string("host", defaults.host),
        port=port,
        secret_key_env=secret_env,
        language=reader.string("language", defaults.language, ("zh", "en")),
        https_only=flags["https_only"],
        max_body_bytes=_bytes(table, "max_body_bytes", defaults.max_body_bytes, source),
        max_upload_bytes=_bytes(table, "max_upload_bytes", defaults.max_upload_bytes, source),
        session_idle_minutes=reader.number("session_idle_minutes", defaults.session_idle_minutes),
        session_max_hours=reader.number("session_max_hours", defaults.session_max_hours),
        max_concurrent_password_checks=checks,
        trusted_proxies=_networks(table.get("trusted_proxies", []), source, "web.trusted_proxies"),
        public_url=_public_url(table.get("public_url"), source),
    )


def _public_url(value: Any, source: str) -> str | None:
    """``[web] public_url``: an http(s) address with a host, nothing after its path (links are made by adding to
    it), kept without its trailing slash."""
    if value is None:
        return None
    if isinstance(value, str) and (address := value.strip()).isprintable() and " " not in address:
        try:
            parts = urlsplit(address)
            _ = parts.port  # a port that is not a number, or out of range, raises here
        except ValueError:
            parts = None
        if parts and parts.scheme in ("http", "https") and parts.hostname and not parts.query and not parts.fragment:
            return address.rstrip("/")
    raise ConfigError.of(
        "{file}: [{key}] must be the http(s) address people open the console at, such as "
        '"https://publicity.example.edu.cn", got {value!r}',
        file=source,
        key="web.public_url",
        value=value,
    )


def _bytes(table: Mapping[str, Any], name: str, default: int, source: str) -> int:
    """A size in bytes for ``[web] name``: a whole number from 1 KiB to 1 GiB."""
    value = table.get(name, default)
    if not isinstance(value, int) or isinstance(value, bool) or not 1024 <= value <= 1024**3:
        raise ConfigError.of(
            "{file}: [{key}] must be a whole number of bytes from 1024 to 1073741824 (1 GiB), got {value!r}",
            file=source,
            key=f"web.{name}",
            value=value,
        )
    return value


def _networks(value: Any, source: str, key: str) -> tuple[str, ...]:
    """Addresses or networks (``10.0.0.0/8``, ``::1``), checked now so a typo is not a silently untrusted proxy."""
    if not isinstance(value, list) or not all(isinstance(item, str) for item in value):
        raise ConfigError.of(
            '{file}: [{key}] must be a list of addresses or networks, e.g. ["10.0.0.0/8"]; got {value!r}',
            file=source,
            key=key,
            value=value,
        )
    for item in value:
        try:
            ipaddress.ip_network(item, strict=False)
        except ValueError:
            raise ConfigError.of(
                "{file}: [{key}] {item!r} is not an address or network (e.g. 10.0.0.0/8 or ::1)",
                file=source,
                key=key,
                item=item,
            ) from None
    return tuple(value)
