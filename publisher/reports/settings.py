"""The reports' part of the config file: ``[reports]`` (language, the team's own paragraph) and ``[reports.NAME]``
(a report written on a schedule, and optionally announced on a channel).

``publisher.config`` calls ``parse_reports`` and keeps what it returns on ``Settings.reports``. Every refusal is a
``ConfigError`` naming the file and the full key.

```toml
[reports]
language = "zh"                      # zh (Simplified), zh-Hant or en: the default of --lang
narrative_zh = "{since}，{outlets}等{outlet_count}家媒体先后刊发活动报道{count}篇。"   # optional
narrative_en = "{since}, {outlet_count} outlets carried {count} reports."             # optional

[reports.weekly]
campaign = "书香润童心阅读月"
cron = "0 9 * * MON"                 # minute hour day month weekday
timezone = "Asia/Shanghai"           # default: the campaign's
formats = ["html", "xlsx"]           # any of csv (a zip), xlsx, json, md, html
folder = "reports"                   # where the files go
period = "campaign"                  # "campaign": from its start; "since_last": since the previous run
channel = "parents-group"            # optional: announce it there (queued like any post)
link_base = "https://example.org/reports/"   # optional: where the folder is served, for links in the message
```
"""

from __future__ import annotations

import dataclasses
from collections.abc import Collection, Mapping
from typing import Any

from publisher.errors import ConfigError, ValidationError
from publisher.reports.labels import LANGUAGES
from publisher.reports.narrative import check_template

__all__ = ["FORMATS", "PERIODS", "ReportSettings", "ScheduledReport", "parse_reports"]

FORMATS = ("csv", "xlsx", "json", "md", "html")
PERIODS = ("campaign", "since_last")
_GENERAL = ("language", "narrative_zh", "narrative_en")
_SCHEDULED = ("campaign", "cron", "timezone", "formats", "folder", "language", "period", "channel", "link_base")


@dataclasses.dataclass(frozen=True, kw_only=True)
class ScheduledReport:
    name: str
    campaign: str
    cron: str
    timezone: str | None = None  # None: the campaign's zone
    formats: tuple[str, ...] = ("html", "xlsx")
    folder: str = "reports"
    language: str | None = None  # None: [reports] language
    period: str = "campaign"
    channel: str | None = None
    link_base: str | None = None


@dataclasses.dataclass(frozen=True, kw_only=True)
class ReportSettings:
    language: str = "zh"
    narrative_zh: str | None = None
    narrative_en: str | None = None
    scheduled: Mapping[str, ScheduledReport] = dataclasses.field(default_factory=dict)

    @property
    def templates(self) -> dict[str, str | None]:
        return {"zh": self.narrative_zh, "en": self.narrative_en}


def _text(table: Mapping[str, Any], key: str, source: str, prefix: str) -> str | None:
    value = table.get(key)
    if value is not None and (not isinstance(value, str) or not value.strip()):
        raise ConfigError.of(
            "{file}: [{key}] must be a non-empty string, got {value!r}", file=source, key=f"{prefix}.{key}", value=value
        )
    return value


def _choice(value: str | None, choices: tuple[str, ...], source: str, key: str) -> None:
    if value is not None and value not in choices:
        raise ConfigError.of(
            "{file}: [{key}] must be one of {choices}; got {value!r}",
            file=source,
            key=key,
            choices=", ".join(choices),
            value=value,
        )


def parse_reports(table: Mapping[str, Any], source: str, channels: Collection[str] = ()) -> ReportSettings:
    """``[reports]`` and its ``[reports.NAME]`` tables. ``channels`` are the configured channel names."""
    general = {k: v for k, v in table.items() if not isinstance(v, dict)}
    for key in general:
        if key not in _GENERAL:
            raise ConfigError.of(
                "{file}: [{key}] is not a known setting; did you mean one of: {choices} (or a [reports.NAME] table)",
                file=source,
                key=f"reports.{key}",
                choices=", ".join(_GENERAL),
            )
    language = _text(table, "language", source, "reports") or "zh"
    _choice(language, LANGUAGES, source, "reports.language")
    templates: dict[str, str | None] = {}
    for key in ("narrative_zh", "narrative_en"):
        templates[key] = _text(table, key, source, "reports")
        if templates[key] is not None:
            try:
                check_template(str(templates[key]))
            except ValueError as exc:
                raise ConfigError(source, f"reports.{key}", str(exc)) from None
    scheduled = {
        name: _scheduled(name, body, source, channels) for name, body in table.items() if isinstance(body, dict)
    }
    return ReportSettings(
        language=language,
        narrative_zh=templates["narrative_zh"],
        narrative_en=templates["narrative_en"],
        scheduled=scheduled,
    )


def _scheduled(name: str, body: Mapping[str, Any], source: str, channels: Collection[str]) -> ScheduledReport:
    from publisher.scheduler import check_timezone, cron_trigger

    prefix = f"reports.{name}"
    for key in body:
        if key not in _SCHEDULED:
            raise ConfigError.of(
                "{file}: [{key}] is not a known setting; did you mean one of: {choices}",
                file=source,
                key=f"{prefix}.{key}",
                choices=", ".join(_SCHEDULED),
            )
    campaign = _text(body, "campaign", source, prefix)
    cron = _text(body, "cron", source, prefix)
    if campaign is None or cron is None:
        missing = "campaign" if campaign is None else "cron"
        raise ConfigError.of(
            '{file}: [{key}] is required, e.g. campaign = "阅读月", cron = "0 9 * * MON"',
            file=source,
            key=f"{prefix}.{missing}",
        )
    zone = _text(body, "timezone", source, prefix)
    try:
        if zone is not None:
            check_timezone(zone)
    except ValidationError:
        raise ConfigError.of(
            "{file}: [{key}] unknown time zone {name!r}; use an IANA name such as Asia/Shanghai",
            file=source,
            key=f"{prefix}.timezone",
            name=zone,
        ) from None
    try:
        cron_trigger(cron, "UTC")
    except ValidationError as exc:
        raise ConfigError.within(source, f"{prefix}.cron", exc) from None
    formats = body.get("formats", ["html", "xlsx"])
    if isinstance(formats, str):
        formats = [formats]
    if not isinstance(formats, list) or not formats or not all(f in FORMATS for f in formats):
        raise ConfigError.of(
            "{file}: [{key}] must be a list of formats from {choices}, got {value!r}",
            file=source,
            key=f"{prefix}.formats",
            choices=", ".join(FORMATS),
            value=formats,
        )
    language = _text(body, "language", source, prefix)
    _choice(language, LANGUAGES, source, f"{prefix}.language")
    period = _text(body, "period", source, prefix) or "campaign"
    _choice(period, PERIODS, source, f"{prefix}.period")
    channel = _text(body, "channel", source, prefix)
    if channel is not None and channels and channel not in channels:
        raise ConfigError.of(
            "{file}: [{key}] unknown channel {channel!r}; configured: {configured}",
            file=source,
            key=f"{prefix}.channel",
            channel=channel,
            configured=", ".join(sorted(channels)),
        )
    link_base = _text(body, "link_base", source, prefix)
    if link_base is not None and not link_base.startswith(("http://", "https://")):
        raise ConfigError.of(
            "{file}: [{key}] must be an http(s) URL, got {value!r}",
            file=source,
            key=f"{prefix}.link_base",
            value=link_base,
        )
    return ScheduledReport(
        name=name,
        campaign=campaign,
        cron=cron,
        timezone=zone,
        formats=tuple(dict.fromkeys(formats)),
        folder=_text(body, "folder", source, prefix) or "reports",
        language=language,
        period=period,
        channel=channel,
        link_base=link_base,
    )
