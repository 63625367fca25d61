"""Outlets and their sources in the database: added from the CLI, or synced from ``[outlets.NAME]`` in the config.

Outlets are never deleted: ``remove`` marks one inactive and disables its sources, so its coverage keeps its name.
Adding a removed outlet again brings it back. Every change is written to the event log.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping, Sequence
from datetime import datetime

from publisher.errors import NotFoundError, ValidationError
from publisher.models import Action
from publisher.store import Session, Store
from publisher.store.events import add_event
from publisher.store.feeds import active_outlets, config_outlets, outlet_named, sources_of
from publisher.tracker.models import Outlet, OutletSource
from publisher.tracker.settings import OUTLET_KINDS, OutletSettings, TrackerSettings, check_feed
from publisher.tracker.sources import first_poll

__all__ = ["OutletSpec", "SourceHealth", "add_outlet", "outlet_health", "remove_outlet", "sync_outlets"]


@dataclasses.dataclass(frozen=True, kw_only=True)
class OutletSpec:
    name: str
    kind: str = "news_site"
    tier: str | None = None
    region: str | None = None
    timezone: str | None = None
    feeds: Sequence[str] = ()


@dataclasses.dataclass(frozen=True, kw_only=True)
class SourceHealth:
    outlet: str
    kind: str
    tier: str | None
    region: str | None
    origin: str
    feed: str | None
    status: str  # ok | failing (N) | never polled | disabled | no feed
    last_success_at: datetime | None
    last_error: str | None
    last_error_at: datetime | None
    last_warning: str | None
    next_poll_at: datetime | None
    interval_seconds: float | None
    entries_seen: int


def _event(session: Session, now: datetime, actor: str, action: Action, reason: str) -> None:
    add_event(session, at=now, actor=actor, action=action, reason=reason)


def _check(spec: OutletSpec) -> OutletSpec:
    name = spec.name.strip()
    if not name:
        raise ValidationError("an outlet needs a name")
    if spec.kind not in OUTLET_KINDS:
        raise ValidationError(f"unknown outlet kind {spec.kind!r}; choose one of: {', '.join(OUTLET_KINDS)}")
    if spec.timezone:
        from publisher.scheduler import check_timezone

        check_timezone(spec.timezone)
    feeds = tuple(dict.fromkeys(check_feed(f) for f in spec.feeds))
    return dataclasses.replace(spec, name=name, feeds=feeds)


def _apply(
    session: Session,
    spec: OutletSpec,
    origin: str,
    settings: TrackerSettings,
    now: datetime,
    actor: str,
    *,
    drop_other_feeds: bool,
) -> list[str]:
    """Create or update one outlet and its sources; returns what changed, for the log."""
    changes: list[str] = []
    outlet = outlet_named(session, spec.name)
    if outlet is None:
        outlet = Outlet(name=spec.name, kind=spec.kind, origin=origin, active=True, created_at=now)
        session.add(outlet)
        changes.append("added")
    elif not outlet.active:
        outlet.active = True
        changes.append("restored")
    for column in ("kind", "tier", "region", "timezone"):
        value = getattr(spec, column)
        if getattr(outlet, column) != value:
            setattr(outlet, column, value)
            if "added" not in changes:
                changes.append(f"{column} = {value}")
    outlet.origin = origin
    session.flush()
    existing = {s.feed: s for s in sources_of(session, [outlet.id])}
    for feed in spec.feeds:
        source = existing.get(feed)
        if source is None:
            schedule = first_poll(settings, now)
            session.add(
                OutletSource(
                    outlet_id=outlet.id,
                    feed=feed,
                    enabled=True,
                    interval_seconds=schedule.interval,
                    next_poll_at=schedule.next_poll_at,
                    errors=0,
                    entries_seen=0,
                    created_at=now,
                )
            )
            changes.append(f"+{feed}")
        elif not source.enabled:
            source.enabled = True
            source.next_poll_at = now
            changes.append(f"+{feed}")
    if drop_other_feeds:
        for feed, source in existing.items():
            if feed not in spec.feeds and source.enabled:
                source.enabled = False
                changes.append(f"-{feed}")
    if changes:
        _event(session, now, actor, Action.OUTLET_CHANGE, f"{spec.name}: {'; '.join(changes)}")
    return changes


def add_outlet(store: Store, spec: OutletSpec, settings: TrackerSettings, now: datetime, actor: str) -> None:
    """Add an outlet (with its feeds, if any: a paper needs none), or add feeds to one added before."""
    spec = _check(spec)
    with store.session() as session:
        outlet = outlet_named(session, spec.name)
        if outlet is not None and outlet.origin == "config" and outlet.active:
            raise ValidationError(f"outlet {spec.name} is defined in the config file; change it there")
        if outlet is not None and outlet.active and not spec.feeds:
            raise ValidationError(f"outlet {spec.name} already exists; give --feed to add a feed to it")
        _apply(session, spec, "cli", settings, now, actor, drop_other_feeds=False)


def remove_outlet(store: Store, name: str, now: datetime, actor: str, reason: str | None = None) -> None:
    with store.session() as session:
        outlet = outlet_named(session, name, active=True)
        if outlet is None:
            raise NotFoundError(f"there is no outlet {name}; see `publisher outlet list`")
        if outlet.origin == "config":
            raise ValidationError(f"outlet {name} is defined in the config file; remove its [outlets.{name}] there")
        outlet.active = False
        for source in sources_of(session, [outlet.id]):
            source.enabled = False
        _event(session, now, actor, Action.OUTLET_REMOVE, f"{name}: {reason or 'removed'} (its coverage is kept)")


def sync_outlets(
    store: Store, outlets: Mapping[str, OutletSettings], settings: TrackerSettings, now: datetime, actor: str = "config"
) -> None:
    """Make the database match the config file's outlets: new ones added, changed ones updated, dropped ones
    (that came from the file) removed."""
    with store.session() as session:
        for name, outlet in outlets.items():
            spec = OutletSpec(
                name=name,
                kind=outlet.kind,
                tier=outlet.tier,
                region=outlet.region,
                timezone=outlet.timezone,
                feeds=outlet.feeds,
            )
            _apply(session, spec, "config", settings, now, actor, drop_other_feeds=True)
        for row in config_outlets(session):
            if row.name not in outlets:
                row.active = False
                for source in sources_of(session, [row.id]):
                    source.enabled = False
                _event(session, now, actor, Action.OUTLET_REMOVE, f"{row.name}: no longer in the config file")


def find_outlet(session: Session, name: str) -> Outlet:
    outlet = outlet_named(session, name)
    if outlet is None:
        raise NotFoundError(f"there is no outlet {name}; add it with `publisher outlet add {name}`")
    return outlet


def outlet_health(store: Store, name: str | None = None) -> list[SourceHealth]:
    """One row per source of every active outlet (one row for an outlet without feeds), by outlet name."""
    with store.sessions() as session:
        outlets = active_outlets(session, name)
        sources: dict[int, list[OutletSource]] = {}
        for source in sources_of(session, [o.id for o in outlets]):
            sources.setdefault(source.outlet_id, []).append(source)
    rows: list[SourceHealth] = []
    for outlet in outlets:
        mine: list[OutletSource | None] = [s for s in sources.get(outlet.id, []) if s.enabled]
        rows.extend(_health(outlet, source) for source in mine or [None])
    return rows


def _health(outlet: Outlet, source: OutletSource | None) -> SourceHealth:
    return SourceHealth(
        outlet=outlet.name,
        kind=outlet.kind,
        tier=outlet.tier,
        region=outlet.region,
        origin=outlet.origin,
        feed=source.feed if source else None,
        status=_status(source) if source else "no feed",
        last_success_at=source.last_success_at if source else None,
        last_error=source.last_error if source else None,
        last_error_at=source.last_error_at if source else None,
        last_warning=source.last_warning if source else None,
        next_poll_at=source.next_poll_at if source else None,
        interval_seconds=source.interval_seconds if source else None,
        entries_seen=source.entries_seen if source else 0,
    )


def _status(source: OutletSource) -> str:
    if not source.enabled:
        return "disabled"
    if source.errors:
        return f"failing ({source.errors})"
    if source.last_polled_at is None:
        return "never polled"
    return "ok (warning)" if source.last_warning else "ok"
