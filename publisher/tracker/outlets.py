"""Outlets and their sources in the database: added from the CLI, or synced from ``[outlets.NAME]`` in the config.

Outlets are never deleted: ``remove`` marks one inactive and disables its sources, so its coverage keeps its name.
Adding a removed outlet again brings it back. Every change is written to the event log.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Mapping, Sequence
from datetime import datetime

from publisher.errors import NotFoundError, PublisherError, ValidationError
from publisher.models import Action
from publisher.store import Session, Store
from publisher.store.events import add_event
from publisher.store.feeds import active_outlets, config_outlets, outlet_named, sources_of
from publisher.tracker.models import Outlet, OutletSource
from publisher.tracker.outlet_files import FileProblem, FileRow
from publisher.tracker.settings import OUTLET_KINDS, OutletSettings, TrackerSettings, check_feed, tier_of
from publisher.tracker.sources import first_poll

__all__ = [
    "KEEP",
    "ImportRefused",
    "Imported",
    "OutletSpec",
    "RowProblem",
    "SourceHealth",
    "add_outlet",
    "edit_outlet",
    "import_outlets",
    "outlet_health",
    "outlet_specs",
    "remove_outlet",
    "sync_outlets",
]

# the columns' sizes (publisher.tracker.models): longer text is refused with a reason, not cut by the database
NAME_MAX, REGION_MAX, FEED_MAX = 200, 100, 2000


class _Keep:
    """``edit_outlet``'s default: leave this field as it is."""

    def __repr__(self) -> str:
        return "KEEP"


KEEP = _Keep()


@dataclasses.dataclass(frozen=True, kw_only=True)
class OutletSpec:
    name: str
    kind: str = "news_site"
    tier: str | None = None
    region: str | None = None
    timezone: str | None = None
    feeds: Sequence[str] = ()
    #: fetch the article pages of its headline-only entries (docs/tracker.md); None: as it is (on for a new outlet)
    full_text: bool | None = None


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
        raise ValidationError.of("an outlet needs a name")
    if len(name) > NAME_MAX:
        raise ValidationError.of("an outlet's name is at most {most} characters long", most=NAME_MAX)
    if spec.kind not in OUTLET_KINDS:
        raise ValidationError.of(
            "unknown outlet kind {kind!r}; choose one of: {choices}", kind=spec.kind, choices=", ".join(OUTLET_KINDS)
        )
    region = spec.region.strip() if spec.region and spec.region.strip() else None
    if region is not None and len(region) > REGION_MAX:
        raise ValidationError.of("a region is at most {most} characters long", most=REGION_MAX)
    timezone = spec.timezone.strip() if spec.timezone and spec.timezone.strip() else None
    if timezone:
        from publisher.scheduler import check_timezone

        check_timezone(timezone)
    for feed in spec.feeds:
        if len(feed) > FEED_MAX:
            raise ValidationError.of("a feed address is at most {most} characters long", most=FEED_MAX)
    feeds = tuple(dict.fromkeys(check_feed(f) for f in spec.feeds))
    return dataclasses.replace(spec, name=name, tier=tier_of(spec.tier), region=region, timezone=timezone, feeds=feeds)


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
    for column in ("kind", "tier", "region", "timezone", "full_text"):
        value = getattr(spec, column)
        if column == "full_text" and value is None:
            continue
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
            raise _in_config(spec.name)
        if outlet is not None and outlet.active and not spec.feeds:
            raise ValidationError.of(
                "outlet {name} already exists",
                cli="; give --feed to add a feed to it, or change it with `publisher outlet edit`",
                name=spec.name,
            )
        _apply(session, spec, "cli", settings, now, actor, drop_other_feeds=False)


def _in_config(name: str) -> ValidationError:
    return ValidationError.of(
        "outlet {name} is defined in the config file; change its [outlets.{name}] there", name=name
    )


def edit_outlet(
    store: Store,
    name: str,
    now: datetime,
    actor: str,
    *,
    kind: str | _Keep = KEEP,
    tier: str | _Keep | None = KEEP,
    region: str | _Keep | None = KEEP,
    timezone: str | _Keep | None = KEEP,
    full_text: bool | None = None,
) -> list[str]:
    """Change an outlet's kind, tier, region or time zone (None clears one), or whether its article pages are
    fetched (None: unchanged); returns what changed, for the log."""
    with store.session() as session:
        outlet = outlet_named(session, name, active=True)
        if outlet is None:
            raise NotFoundError.of("there is no outlet {name}", cli="; see `publisher outlet list`", name=name)
        if outlet.origin == "config":
            raise _in_config(name)
        spec = _check(
            OutletSpec(
                name=outlet.name,
                kind=outlet.kind if isinstance(kind, _Keep) else kind,
                tier=None if isinstance(tier, _Keep) else tier,
                region=outlet.region if isinstance(region, _Keep) else region,
                timezone=outlet.timezone if isinstance(timezone, _Keep) else timezone,
                full_text=full_text,
            )
        )
        # an old free-text tier the edit does not touch stays as written rather than being refused
        if isinstance(tier, _Keep):
            spec = dataclasses.replace(spec, tier=outlet.tier)
        return _apply(session, spec, "cli", TrackerSettings(), now, actor, drop_other_feeds=False)


def outlet_specs(store: Store) -> list[OutletSpec]:
    """Every active outlet with its enabled feeds, by name: what ``outlet export`` writes."""
    with store.sessions() as session:
        outlets = active_outlets(session)
        feeds: dict[int, list[str]] = {}
        for source in sources_of(session, [o.id for o in outlets]):
            if source.enabled:
                feeds.setdefault(source.outlet_id, []).append(source.feed)
    return [
        OutletSpec(
            name=o.name,
            kind=o.kind,
            tier=o.tier,
            region=o.region,
            timezone=o.timezone,
            feeds=tuple(feeds.get(o.id, ())),
        )
        for o in outlets
    ]


# --- outlets in bulk: every row checked first, then all written in one transaction, or none ------------------------


@dataclasses.dataclass(frozen=True, kw_only=True)
class RowProblem:
    """Why one row of an import is refused: where (a spreadsheet's row, or an OPML line), which column, and why."""

    place: str  # "row" | "line"
    number: int
    column: str | None
    error: PublisherError


class ImportRefused(ValidationError):
    """Some rows of an import are refused, each named in ``problems``; nothing was written."""

    problems: tuple[RowProblem, ...] = ()


@dataclasses.dataclass(frozen=True)
class Imported:
    name: str
    changes: list[str]  # as the event log says them: ["added", "+FEED"], ["tier = city"]; empty when unchanged


class _DryRun(Exception):
    """Leaves the import's transaction, so that it is rolled back, with what it would have done."""

    def __init__(self, done: list[Imported]) -> None:
        super().__init__("dry run")
        self.done = done


def _row_spec(row: FileRow, problems: list[RowProblem]) -> OutletSpec | None:
    """One row checked column by column; each refusal is added to ``problems`` naming its column."""
    cells = row.cells
    found: list[RowProblem] = []

    def check(column: str, value: str, test: Callable[[str], object]) -> None:
        try:
            test(value)
        except PublisherError as exc:
            found.append(RowProblem(place=row.place, number=row.number, column=column, error=exc))

    name = cells.get("name", "")
    kind = cells.get("kind", "")
    if not name:
        found.append(
            RowProblem(
                place=row.place, number=row.number, column="name", error=ValidationError.of("an outlet needs a name")
            )
        )
    check("name", name, lambda v: _check(OutletSpec(name=v)) if v else None)
    check("kind", kind, lambda v: _check(OutletSpec(name="-", kind=v)) if v else None)
    check("tier", cells.get("tier", ""), tier_of)
    check("region", cells.get("region", ""), lambda v: _check(OutletSpec(name="-", region=v)))
    check("timezone", cells.get("timezone", ""), lambda v: _check(OutletSpec(name="-", timezone=v)))
    feeds = cells.get("feeds", "").split()
    for feed in feeds:
        check("feeds", feed, lambda v: _check(OutletSpec(name="-", feeds=[v])))
    problems.extend(found)
    if found:
        return None
    return _check(
        OutletSpec(
            name=name,
            kind=kind or "news_site",
            tier=cells.get("tier") or None,
            region=cells.get("region") or None,
            timezone=cells.get("timezone") or None,
            feeds=feeds,
        )
    )


def _merge(first: tuple[FileRow, OutletSpec], row: FileRow, spec: OutletSpec, problems: list[RowProblem]) -> OutletSpec:
    """Two rows naming one outlet (an OPML file has one outline a feed): feeds together; the rest must agree."""
    earlier_row, earlier = first
    merged = dataclasses.replace(earlier, feeds=tuple(dict.fromkeys([*earlier.feeds, *spec.feeds])))
    for column in ("kind", "tier", "region", "timezone"):
        mine, theirs = getattr(spec, column), getattr(earlier, column)
        written = row.cells.get(column, "")
        if not written or mine == theirs:
            continue
        if not earlier_row.cells.get(column, ""):
            merged = dataclasses.replace(merged, **{column: mine})
            continue
        said = {"name": spec.name, "number": earlier_row.number, "column": column, "other": theirs, "value": mine}
        error = (
            ValidationError.of("outlet {name} is also on row {number}, with {column} {other!r}, not {value!r}", **said)
            if earlier_row.place == "row"
            else ValidationError.of(
                "outlet {name} is also on line {number}, with {column} {other!r}, not {value!r}", **said
            )
        )
        problems.append(RowProblem(place=row.place, number=row.number, column=column, error=error))
    return merged


def _config_differs(session: Session, outlet: Outlet, spec: OutletSpec) -> bool:
    current = (outlet.kind, outlet.tier, outlet.region, outlet.timezone)
    if current != (spec.kind, spec.tier, spec.region, spec.timezone):
        return True
    feeds = {s.feed for s in sources_of(session, [outlet.id]) if s.enabled}
    return not set(spec.feeds) <= feeds


def import_outlets(
    store: Store,
    rows: Sequence[FileRow],
    file_problems: Sequence[FileProblem],
    settings: TrackerSettings,
    now: datetime,
    actor: str,
    *,
    dry_run: bool = False,
) -> list[Imported]:
    """Add or update the outlets of a file (``publisher.tracker.outlet_files``): every row is checked first, and
    unless all pass, ImportRefused names each refused row and nothing is written. A row sets its outlet's kind,
    tier, region and time zone as written (an empty cell clears one) and adds its feeds; feeds are never dropped.
    ``dry_run``: everything is done in a transaction that is then rolled back, so the answer is exact."""
    problems = [RowProblem(place=p.place, number=p.number, column=p.column, error=p.error) for p in file_problems]
    specs: dict[str, tuple[FileRow, OutletSpec]] = {}
    for row in rows:
        spec = _row_spec(row, problems)
        if spec is None:
            continue
        first = specs.get(spec.name)
        specs[spec.name] = (first[0], _merge(first, row, spec, problems)) if first else (row, spec)
    if not rows and not problems:
        problems.append(
            RowProblem(place="row", number=1, column=None, error=ValidationError.of("the file has no outlets"))
        )
    with store.sessions() as session:
        for name, (row, spec) in specs.items():
            outlet = outlet_named(session, name, active=True)
            if outlet is not None and outlet.origin == "config" and _config_differs(session, outlet, spec):
                problems.append(RowProblem(place=row.place, number=row.number, column=None, error=_in_config(name)))
    if problems:
        problems.sort(key=lambda p: p.number)
        refused = ImportRefused.of("problems in the file: {count}; nothing was written", count=len(problems))
        refused.problems = tuple(problems)
        raise refused
    done: list[Imported] = []
    try:
        with store.session() as session:
            for name, (_, spec) in specs.items():
                outlet = outlet_named(session, name, active=True)
                if outlet is not None and outlet.origin == "config":
                    done.append(Imported(name, []))  # checked above: the file says what the config says
                    continue
                done.append(Imported(name, _apply(session, spec, "cli", settings, now, actor, drop_other_feeds=False)))
            if dry_run:
                raise _DryRun(done)
    except _DryRun as rolled_back:
        return rolled_back.done
    return done


def remove_outlet(store: Store, name: str, now: datetime, actor: str, reason: str | None = None) -> None:
    with store.session() as session:
        outlet = outlet_named(session, name, active=True)
        if outlet is None:
            raise NotFoundError.of("there is no outlet {name}", cli="; see `publisher outlet list`", name=name)
        if outlet.origin == "config":
            raise _in_config(name)
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
                full_text=outlet.full_text,
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
        raise NotFoundError.of(
            "there is no outlet {name}", cli=f"; add it with `publisher outlet add {name}`", name=name
        )
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
