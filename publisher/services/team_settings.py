"""``[team]``: where the team hears what needs it (``publisher.services.team``): approval requests in the
approvers' group, failures and uncertain deliveries in the editors' group, a daily summary. Each campaign may name
its own groups under ``[team."NAME"]`` (a table inside ``[team]`` named as the campaign); a campaign without its
own uses the table's."""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Collection, Mapping
from typing import Any

from publisher.errors import ConfigError
from publisher.tracker.settings import ConfigTable

__all__ = ["TeamChannels", "TeamSettings", "parse_team"]

_ROLES = ("approvers", "editors", "summary")
_HOUR_MINUTE = re.compile(r"^([01]?\d|2[0-3]):([0-5]\d)$")


@dataclasses.dataclass(frozen=True)
class TeamChannels:
    """A campaign's own groups."""

    approvers: str | None = None  # approval requests, with the post's link in the console
    editors: str | None = None  # failed and uncertain deliveries
    summary: str | None = None  # the daily summary: sent, waiting, failed, new coverage


@dataclasses.dataclass(frozen=True)
class TeamSettings(TeamChannels):
    """Approval requests, failures and a daily summary in the team's groups (publisher.services.team)."""

    summary_at: str = "18:00"  # HH:MM in [publisher] timezone
    language: str = "zh"  # zh or en
    #: [team."NAME"]: a campaign's own groups (approvers, editors, summary), before the table's
    campaigns: Mapping[str, TeamChannels] = dataclasses.field(default_factory=dict)

    def channel(self, campaign: str | None, role: str) -> str | None:
        """The channel for ``role`` of ``campaign``: the campaign's own, else the table's."""
        own = self.campaigns.get(campaign) if campaign else None
        found: str | None = getattr(own, role) if own is not None else None
        return found or getattr(self, role)


def _channels(table: Mapping[str, Any], source: str, key: str, channels: Collection[str]) -> TeamChannels:
    found: dict[str, str] = {}
    for role in _ROLES:
        value = table.get(role)
        if value is None:
            continue
        if not isinstance(value, str) or value not in channels:
            raise ConfigError.of(
                "{file}: [{key}] unknown channel {channel!r}; configured: {configured}",
                file=source,
                key=f"{key}.{role}",
                channel=value,
                configured=", ".join(sorted(channels)),
            )
        found[role] = value
    return TeamChannels(**found)


def parse_team(table: Mapping[str, Any], source: str, channels: Collection[str]) -> TeamSettings | None:
    """``[team]``: None when the table is absent."""
    if not table:
        return None
    own_tables = {name: value for name, value in table.items() if isinstance(value, Mapping)}
    ConfigTable(
        {k: v for k, v in table.items() if k not in own_tables}, source, "team", (*_ROLES, "summary_at", "language")
    )
    summary_at = table.get("summary_at", "18:00")
    if not isinstance(summary_at, str) or not _HOUR_MINUTE.match(summary_at):
        raise ConfigError.of(
            '{file}: [{key}] must be a time of day as HH:MM, e.g. "18:00"; got {value!r}',
            file=source,
            key="team.summary_at",
            value=summary_at,
        )
    language = table.get("language", "zh")
    if language not in ("zh", "en"):
        raise ConfigError.of(
            "{file}: [{key}] must be one of {choices}; got {value!r}",
            file=source,
            key="team.language",
            choices="zh, en",
            value=language,
        )
    campaigns: dict[str, TeamChannels] = {}
    for name, own in own_tables.items():  # [team."阅读月"]: that campaign's own groups
        key = f"team.{name}"
        ConfigTable(own, source, key, _ROLES)
        campaigns[name] = _channels(own, source, key, channels)
    return TeamSettings(
        **dataclasses.asdict(_channels(table, source, "team", channels)),
        summary_at=summary_at,
        language=language,
        campaigns=campaigns,
    )
