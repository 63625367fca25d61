"""The reports' queries: the figures (small, computed in the database) and the rows (streamed, never all in memory).

``open_report`` opens one read transaction, so every table of one report comes from the same snapshot of the
database, and returns a ``Report``: ``summary`` holds the aggregates (coverage per outlet, over time, per channel);
``coverage()`` and ``posts()`` stream their rows in chunks (``yield_per``: a server-side cursor on PostgreSQL, a
stepped cursor on SQLite), so a campaign of a million items is written with flat memory.

On SQLite the report reads through an engine of its own that begins a *deferred* (read) transaction: the store's
engine begins ``IMMEDIATE`` (it takes the write lock), which would hold the daemon's writes for as long as a large
report streams. In WAL mode a reader sees a snapshot and blocks no writer. That engine is also ``query_only``; on
PostgreSQL the transaction is REPEATABLE READ and READ ONLY.
"""

from __future__ import annotations

import contextlib
import dataclasses
import weakref
from collections.abc import Iterator, Sequence
from datetime import UTC, date, datetime, time, timedelta
from typing import Any, NamedTuple
from zoneinfo import ZoneInfo

from sqlalchemy import (
    Connection,
    DateTime,
    Engine,
    case,
    create_engine,
    distinct,
    event,
    func,
    literal,
    select,
    type_coerce,
)
from sqlalchemy.pool import NullPool

from publisher.errors import NotFoundError, ValidationError
from publisher.models import OPEN_STATES, Campaign, Channel, Delivery, DeliveryCheck, DeliveryState, Post
from publisher.store.engine import StoreBase
from publisher.tracker.models import ArticlePage, CoverageItem, FeedEntry, Outlet

__all__ = [
    "Bucket",
    "ChannelRow",
    "CoverageLine",
    "OutletRow",
    "PostLine",
    "Report",
    "Scope",
    "Summary",
    "open_report",
    "read_connection",
]

CHUNK = 5000  # rows fetched from the database at a time
DAILY_UP_TO = timedelta(days=31)  # a period up to this long is counted per day, a longer one per week
_WAITING = frozenset(state.value for state in OPEN_STATES)  # counted as "waiting": not sent, failed or cancelled yet


@dataclasses.dataclass(frozen=True, kw_only=True)
class Scope:
    """What one report covers: a campaign and a period, ``start`` inclusive and ``end`` exclusive (UTC)."""

    campaign_id: int
    campaign: str
    timezone: str
    campaign_starts_at: datetime | None
    campaign_ends_at: datetime | None
    start: datetime | None = None  # None: from the beginning
    end: datetime | None = None  # None: up to now

    @property
    def zone(self) -> ZoneInfo:
        return ZoneInfo(self.timezone)


class OutletRow(NamedTuple):
    outlet: str
    kind: str
    tier: str | None
    region: str | None
    items: int
    first: datetime | None  # in the campaign's zone
    last: datetime | None


class Bucket(NamedTuple):
    start: date  # the first day, in the campaign's zone
    end: date  # the last day (inclusive)
    items: int


class ChannelRow(NamedTuple):
    channel: str
    kind: str
    posts: int  # posts with a sent delivery on this channel
    sent: int
    failed: int
    uncertain: int
    waiting: int
    cancelled: int


class CoverageLine(NamedTuple):
    id: int
    published: datetime | None  # the wall time in the campaign's zone, naive (``Report.aware`` adds the zone)
    outlet: str
    tier: str | None
    title: str
    url: str | None
    matched_by: str
    matched_terms: str | None
    reprint_group: int
    post_id: int | None
    note: str | None
    sha256: str | None = None  # of the article page the tracker kept as evidence, if it kept one


class PostLine(NamedTuple):
    channel: str
    post_id: int
    title: str
    at: datetime  # sent, or due if not sent; in the campaign's zone
    url: str | None
    state: str  # the delivery's state, or "pending"/"rejected" while the post waits for or failed approval
    detail: str | None  # the last error, for a delivery that did not go out
    # what the latest read-back of a sent post found (publisher.services.readback): online, gone, hidden or unknown
    # (None: never read back), when, in the campaign's zone, and the platform's counts
    read_back: str | None = None
    checked_at: datetime | None = None
    metrics: dict[str, int] | None = None


@dataclasses.dataclass(frozen=True, kw_only=True)
class Summary:
    scope: Scope
    generated_at: datetime  # in the campaign's zone
    first_day: date | None  # the period shown, in the campaign's zone (None: nothing to show)
    last_day: date | None
    bucket: str  # "day" or "week"
    coverage: int
    stories: int  # distinct reprint groups
    reprints: int  # items that reprint one of our posts
    outlets: list[OutletRow]
    timeline: list[Bucket]
    channels: list[ChannelRow]
    posts: int  # posts with at least one sent delivery
    sent: int
    deliveries: int

    @property
    def empty(self) -> bool:
        return self.coverage == 0 and self.deliveries == 0


# --- the read connection ----------------------------------------------------------------------------------------------

_READERS: weakref.WeakKeyDictionary[StoreBase, Engine] = weakref.WeakKeyDictionary()


def _reader(store: StoreBase) -> Engine:
    engine = store.engine
    if engine.dialect.name != "sqlite" or engine.url.database in (None, "", ":memory:"):
        return engine
    reader = _READERS.get(store)
    if reader is None:
        reader = create_engine(engine.url, poolclass=NullPool, connect_args={"timeout": 10})

        @event.listens_for(reader, "connect")
        def _on_connect(dbapi_connection: Any, _record: Any) -> None:
            dbapi_connection.isolation_level = None  # SQLAlchemy's "begin" below issues BEGIN itself
            cursor = dbapi_connection.cursor()
            cursor.execute("PRAGMA busy_timeout=10000")
            cursor.execute("PRAGMA query_only=ON")
            cursor.close()

        @event.listens_for(reader, "begin")
        def _on_begin(connection: Any) -> None:
            connection.exec_driver_sql("BEGIN")  # deferred: a read snapshot, no write lock

        _READERS[store] = reader
    return reader


@contextlib.contextmanager
def read_connection(store: StoreBase) -> Iterator[Connection]:
    """One read transaction: a consistent snapshot for every query of one report."""
    engine = _reader(store)
    with engine.connect() as connection:
        if engine.dialect.name == "postgresql":  # one snapshot for every query, and no write by mistake
            connection = connection.execution_options(isolation_level="REPEATABLE READ", postgresql_readonly=True)
        with connection.begin():
            yield connection


# --- the report -------------------------------------------------------------------------------------------------------


def _local(value: datetime | None, zone: ZoneInfo) -> datetime | None:
    return value.astimezone(zone) if value is not None else None


class Report:
    """A report being written: the figures, and the rows streamed from the open snapshot."""

    def __init__(self, connection: Connection, summary: Summary) -> None:
        self._connection = connection
        self.summary = summary
        self._outlets = {row.id: row for row in connection.execute(select(Outlet.id, Outlet.name, Outlet.tier))}
        self._kept: dict[int, str] | None = None  # item id -> SHA-256 of its kept page, read once per report

    def kept_pages(self) -> dict[int, str]:
        """The SHA-256 of the kept article page of each of the campaign's items that has one: one query for the whole
        report, so the million-row stream below stays a single-table read rather than a three-table join.

        Filtered on the campaign alone, not the period or removals: the items are then read from the (campaign,
        entry) index without a visit to each row (a third less time on SQLite), and the stream only asks for its own
        items, so an extra id in the dict is never shown."""
        if self._kept is None:
            query = (
                select(CoverageItem.id, ArticlePage.sha256)
                .join(FeedEntry, FeedEntry.id == CoverageItem.entry_id)
                .join(ArticlePage, ArticlePage.link_hash == FeedEntry.link_hash)
                .where(CoverageItem.campaign_id == self.scope.campaign_id, ArticlePage.html_gz.is_not(None))
            )
            self._kept = {item_id: digest for item_id, digest in self._connection.execute(query) if digest}
        return self._kept

    @property
    def scope(self) -> Scope:
        return self.summary.scope

    def aware(self, wall: datetime) -> datetime:
        """A ``CoverageLine.published`` wall time with the campaign's zone (and so its UTC offset) attached."""
        return wall.replace(tzinfo=self.scope.zone)

    def _fixed_offset(self) -> timedelta | None:
        """The campaign zone's UTC offset if it is the same on every day of the report (no daylight-saving change in
        it: always so for Asia/Shanghai), else None. With it, a stored UTC time becomes local by one addition."""
        first, last = self.summary.first_day, self.summary.last_day
        if first is None or last is None:
            return None
        zone = self.scope.zone
        offsets: set[timedelta | None] = set()
        day = first - timedelta(days=1)
        while day <= last + timedelta(days=1) and len(offsets) < 2:
            offsets.add(datetime.combine(day, time(12), tzinfo=zone).utcoffset())
            day += timedelta(days=1)
        return offsets.pop() if len(offsets) == 1 else None

    def coverage(self) -> Iterator[CoverageLine]:
        """Every coverage item of the period, oldest first (then by id)."""
        query = (
            select(
                CoverageItem.id,
                # read as a plain DateTime, skipping the UTC decorator: a million items make this worth it
                type_coerce(CoverageItem.published_at, DateTime()),
                CoverageItem.outlet_id,
                CoverageItem.title,
                CoverageItem.url,
                CoverageItem.matched_by,
                CoverageItem.matched_terms,
                CoverageItem.reprint_group,
                CoverageItem.post_id,
                CoverageItem.note,
            )
            .where(*_coverage_filter(self.scope))
            .order_by(CoverageItem.published_at, CoverageItem.id)
        )
        zone = self.scope.zone
        offset = self._fixed_offset()

        def wall(stored: datetime | None) -> datetime | None:
            """The local wall time of a stored UTC time (naive on SQLite, aware on PostgreSQL)."""
            if stored is None:
                return None
            if stored.tzinfo is None:
                if offset is not None:
                    return stored + offset
                stored = stored.replace(tzinfo=UTC)
            return stored.astimezone(zone).replace(tzinfo=None)

        outlets = {outlet_id: (row.name, row.tier) for outlet_id, row in self._outlets.items()}
        kept = self.kept_pages().get
        make = tuple.__new__  # a NamedTuple's own __new__ is Python code: this runs once per item
        result = self._connection.execution_options(yield_per=CHUNK).execute(query)
        rows = (row for chunk in result.partitions() for row in chunk)  # a chunk at a time, not row by row
        for item_id, published, outlet_id, title, url, how, terms, group, post_id, note in rows:
            name, tier = outlets[outlet_id]
            yield make(
                CoverageLine,
                (
                    item_id,
                    published + offset if offset and published and published.tzinfo is None else wall(published),
                    name,
                    tier,
                    title,
                    url,
                    how,
                    terms,
                    group if group is not None else item_id,
                    post_id,
                    note,
                    kept(item_id),
                ),
            )

    def posts(self) -> Iterator[PostLine]:
        """Every delivery of the campaign's posts in the period, by channel, then by time."""
        when = func.coalesce(Delivery.sent_at, Delivery.due_at)
        query = (
            select(
                Channel.name,
                Post.id,
                Post.title,
                Delivery.sent_at,
                Delivery.due_at,
                Delivery.remote_url,
                Delivery.state,
                Post.approval,
                Delivery.last_error,
                DeliveryCheck.state,
                DeliveryCheck.checked_at,
                DeliveryCheck.metrics,
            )
            .join(Post, Post.id == Delivery.post_id)
            .join(Channel, Channel.id == Delivery.channel_id)
            .outerjoin(DeliveryCheck, DeliveryCheck.delivery_id == Delivery.id)  # by its primary key
            .where(*_delivery_filter(self.scope))
            .order_by(Channel.name, when, Delivery.id)
        )
        zone = self.scope.zone
        result = self._connection.execution_options(yield_per=CHUNK).execute(query)
        for channel, post_id, title, sent_at, due_at, url, state, approval, error, found, checked, metrics in result:
            shown = state
            if state in _WAITING and approval in ("pending", "rejected"):
                shown = approval
            at = sent_at if sent_at is not None else due_at
            yield PostLine(
                channel,
                post_id,
                title,
                at.astimezone(zone),
                url,
                shown,
                error if state != DeliveryState.SENT.value else None,
                found if checked is not None else None,
                checked.astimezone(zone) if checked is not None else None,
                dict(metrics) if checked is not None and metrics else None,
            )


@contextlib.contextmanager
def open_report(
    store: StoreBase,
    campaign: str,
    *,
    start: datetime | None = None,
    end: datetime | None = None,
    now: datetime,
) -> Iterator[Report]:
    """The report on ``campaign`` for [``start``, ``end``) (UTC; None: open), read from one snapshot."""
    if start is not None and end is not None and end <= start:
        raise ValidationError.of("the period is empty: the end must be after the start", cli=" (--to after --from)")
    with read_connection(store) as connection:
        row = connection.execute(
            select(Campaign.id, Campaign.name, Campaign.timezone, Campaign.starts_at, Campaign.ends_at).where(
                Campaign.name == campaign
            )
        ).first()
        if row is None:
            raise NotFoundError.of("there is no campaign {name}", cli="; see `publisher campaign list`", name=campaign)
        scope = Scope(
            campaign_id=row.id,
            campaign=row.name,
            timezone=row.timezone,
            campaign_starts_at=row.starts_at,
            campaign_ends_at=row.ends_at,
            start=start,
            end=end,
        )
        yield Report(connection, _summary(connection, scope, now))


# --- the figures ------------------------------------------------------------------------------------------------------


def _coverage_filter(scope: Scope) -> list[Any]:
    where: list[Any] = [CoverageItem.campaign_id == scope.campaign_id, CoverageItem.removed_at.is_(None)]
    if scope.start is not None:
        where.append(CoverageItem.published_at >= scope.start)
    if scope.end is not None:
        where.append(CoverageItem.published_at < scope.end)
    return where


def _delivery_filter(scope: Scope) -> list[Any]:
    when = func.coalesce(Delivery.sent_at, Delivery.due_at)
    where: list[Any] = [Post.campaign_id == scope.campaign_id]
    if scope.start is not None:
        where.append(when >= scope.start)
    if scope.end is not None:
        where.append(when < scope.end)
    return where


def _summary(connection: Connection, scope: Scope, now: datetime) -> Summary:
    """The figures. Coverage is read in one pass: counted per (outlet, day or week) in the database, then summed
    here both ways; the distinct stories take a second pass."""
    zone = scope.zone
    where = _coverage_filter(scope)
    # two queries, each a walk down the (campaign, published) index to its first row
    earliest = connection.execute(select(func.min(CoverageItem.published_at)).where(*where)).scalar()
    latest = connection.execute(select(func.max(CoverageItem.published_at)).where(*where)).scalar()
    channels = _channels(connection, scope)
    first_day, last_day = _period(connection, scope, [v for v in (earliest, latest) if v is not None], now)
    bucket = "day" if first_day is None or last_day is None or last_day - first_day < DAILY_UP_TO else "week"
    days = _days(first_day, last_day, bucket) if first_day and last_day else []
    per_outlet: dict[int, list[Any]] = {}  # outlet id -> [items, first, last]
    per_bucket = [0] * len(days)
    reprints = 0
    for outlet_id, index, items, first, last, reprinting in connection.execute(_grouped(scope, days, bucket)):
        slot = per_outlet.setdefault(outlet_id, [0, first, last])
        slot[0] += items
        slot[1] = min(v for v in (slot[1], first) if v is not None) if first or slot[1] else None
        slot[2] = max(v for v in (slot[2], last) if v is not None) if last or slot[2] else None
        reprints += reprinting
        if index is not None and 0 <= index < len(days):
            per_bucket[index] += items
    named = {
        row.id: row
        for row in connection.execute(
            select(Outlet.id, Outlet.name, Outlet.kind, Outlet.tier, Outlet.region).where(
                Outlet.id.in_(list(per_outlet) or [-1])
            )
        )
    }
    outlets = sorted(
        (
            OutletRow(
                named[outlet_id].name,
                named[outlet_id].kind,
                named[outlet_id].tier,
                named[outlet_id].region,
                int(items),
                _local(first, zone),
                _local(last, zone),
            )
            for outlet_id, (items, first, last) in per_outlet.items()
        ),
        key=lambda o: (-o.items, o.first or now, o.outlet),  # ties: who reported first
    )
    step = timedelta(days=1 if bucket == "day" else 7)
    timeline = [
        Bucket(day, min(day + step - timedelta(days=1), last_day or day), count)
        for day, count in zip(days, per_bucket, strict=True)
    ]
    stories = connection.execute(
        select(func.count(distinct(func.coalesce(CoverageItem.reprint_group, CoverageItem.id)))).where(*where)
    ).scalar_one()
    return Summary(
        scope=scope,
        generated_at=now.astimezone(zone),
        first_day=first_day,
        last_day=last_day,
        bucket=bucket,
        coverage=sum(o.items for o in outlets),
        stories=int(stories),
        reprints=int(reprints),
        outlets=outlets,
        timeline=timeline,
        channels=channels,
        posts=_sent_posts(connection, scope),
        sent=sum(c.sent for c in channels),
        deliveries=sum(c.sent + c.failed + c.uncertain + c.waiting + c.cancelled for c in channels),
    )


def _channels(connection: Connection, scope: Scope) -> list[ChannelRow]:
    rows = connection.execute(
        select(
            Channel.name,
            Channel.kind,
            Delivery.state,
            func.count(),
            func.count(distinct(Post.id)),
        )
        .join(Post, Post.id == Delivery.post_id)
        .join(Channel, Channel.id == Delivery.channel_id)
        .where(*_delivery_filter(scope))
        .group_by(Channel.name, Channel.kind, Delivery.state)
    ).all()
    counts: dict[tuple[str, str], dict[str, int]] = {}
    for name, kind, state, count, posts in rows:
        slot = counts.setdefault((name, kind), {})
        group = "waiting" if state in _WAITING else state
        slot[group] = slot.get(group, 0) + int(count)
        if state == DeliveryState.SENT.value:
            slot["posts"] = int(posts)
    return sorted(
        (
            ChannelRow(
                name,
                kind,
                c.get("posts", 0),
                c.get("sent", 0),
                c.get("failed", 0),
                c.get("uncertain", 0),
                c.get("waiting", 0),
                c.get("cancelled", 0),
            )
            for (name, kind), c in counts.items()
        ),
        key=lambda c: (-c.sent, c.channel),
    )


def _sent_posts(connection: Connection, scope: Scope) -> int:
    query = (
        select(func.count(distinct(Delivery.post_id)))
        .join(Post, Post.id == Delivery.post_id)
        .where(*_delivery_filter(scope), Delivery.state == DeliveryState.SENT.value)
    )
    return int(connection.execute(query).scalar_one())


def _period(
    connection: Connection, scope: Scope, published: Sequence[datetime], now: datetime
) -> tuple[date | None, date | None]:
    """The days the timeline spans: the period asked for, else the campaign's dates, else the data's, up to now."""
    zone = scope.zone
    delivered = connection.execute(
        select(
            func.min(func.coalesce(Delivery.sent_at, Delivery.due_at)),
            func.max(func.coalesce(Delivery.sent_at, Delivery.due_at)),
        )
        .join(Post, Post.id == Delivery.post_id)
        .where(*_delivery_filter(scope))
    ).one()
    seen = [_as_utc(v) for v in [*published, *delivered] if v is not None]
    first = scope.start
    if first is None:
        starts = [_as_utc(scope.campaign_starts_at)] if scope.campaign_starts_at else []
        first = min([*starts, *seen], default=None)
    if scope.end is not None:
        last: datetime | None = scope.end - timedelta(microseconds=1)
    else:
        # up to now, or the campaign's end (excluded) if that came first; a post still queued for later (or
        # cancelled) does not stretch the period into the future
        ends = _as_utc(scope.campaign_ends_at) - timedelta(microseconds=1) if scope.campaign_ends_at else None
        horizon = min(now, ends) if ends else now
        last = max([*(v for v in seen if v <= now), horizon]) if seen or first is not None else None
    if first is None or last is None:
        return None, None
    first_day, last_day = first.astimezone(zone).date(), last.astimezone(zone).date()
    return (first_day, last_day) if last_day >= first_day else (first_day, first_day)


def _as_utc(value: Any) -> datetime:
    """A value read through ``func.min``/``max`` over a ``coalesce``: typed by SQLAlchemy or a plain SQLite string."""
    from publisher.clock import utc

    if isinstance(value, datetime):
        return utc(value)
    return utc(datetime.fromisoformat(str(value)))


def _days(first: date, last: date, bucket: str) -> list[date]:
    """The first day of every bucket from ``first`` to ``last``: each day, or each week from its Monday."""
    step = timedelta(days=1 if bucket == "day" else 7)
    day = first if bucket == "day" else first - timedelta(days=first.weekday())
    days: list[date] = []
    while day <= last:
        days.append(day)
        day += step
    return days


def _grouped(scope: Scope, days: Sequence[date], bucket: str) -> Any:
    """Coverage counted per outlet and per bucket in one pass: (outlet, bucket index, items, first, last, reprints).

    Each item is put in its bucket by a CASE over the buckets' boundaries in UTC, computed in the campaign's zone
    (so daylight saving moves the boundaries, not the days). Items outside every bucket get index -1 (or the count
    of buckets, past the end); they still count for their outlet.
    """
    zone = scope.zone
    if days:
        step = timedelta(days=1 if bucket == "day" else 7)
        bounds = [datetime.combine(d, time(0), tzinfo=zone) for d in [*days, days[-1] + step]]
        position: Any = case(
            (CoverageItem.published_at < bounds[0], -1),
            *((CoverageItem.published_at < bound, index) for index, bound in enumerate(bounds[1:])),
            else_=len(days),
        )
    else:
        position = literal(-1)
    placed = (  # GROUP BY a named column, not a parametrised CASE (PostgreSQL would see two expressions)
        select(
            CoverageItem.outlet_id,
            position.label("bucket"),
            CoverageItem.published_at,
            CoverageItem.post_id,
        )
        .where(*_coverage_filter(scope))
        .subquery()
    )
    return select(
        placed.c.outlet_id,
        placed.c.bucket,
        func.count(),
        func.min(placed.c.published_at),
        func.max(placed.c.published_at),
        func.count(placed.c.post_id),
    ).group_by(placed.c.outlet_id, placed.c.bucket)
