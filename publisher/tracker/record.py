"""Claiming due sources and writing what a poll found: source state, new entries, coverage, reprint groups.

Claims work like deliveries' (``Store.claim_due``): due sources are taken under a lease in one short transaction,
``FOR UPDATE SKIP LOCKED`` on PostgreSQL, so several daemons poll each source once per due time. The results are
written back in batches; a source whose lease was taken over meanwhile is left to its new holder.

Dedupe: an entry already stored for the same outlet with the same guid, canonical link or content hash is the
same article, seen again. New entries are inserted with ``ON CONFLICT DO NOTHING`` (SQLite and PostgreSQL both
have it), so two daemons polling two feeds of one outlet cannot store an article twice.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import bindparam, insert, or_, select, update
from sqlalchemy.orm import Session

from publisher.logs import log_event
from publisher.models import Campaign, Event
from publisher.store import Store
from publisher.tracker.match import MIN_SHINGLES, NUM_PERM, Match, Matcher, Prepared, minhash, overlap, prepare
from publisher.tracker.models import CoverageItem, FeedEntry, Outlet, OutletSource
from publisher.tracker.normalize import sha1
from publisher.tracker.parse import FeedItem
from publisher.tracker.settings import TrackerSettings
from publisher.tracker.sources import after_error, after_success

__all__ = [
    "Claimed",
    "Found",
    "Groups",
    "Polled",
    "Written",
    "claim_due",
    "insert_ignore",
    "keys_of",
    "record",
    "write_coverage",
]


@dataclasses.dataclass(frozen=True, kw_only=True)
class Claimed:
    source_id: int
    outlet_id: int
    outlet: str
    feed: str
    etag: str | None
    last_modified: str | None
    body_hash: str | None
    interval: float
    errors: int
    timezone: str | None


@dataclasses.dataclass(frozen=True, kw_only=True)
class Polled:
    """What one poll of one source came to."""

    claim: Claimed
    status: int | None = None
    error: str | None = None
    retry_after: float | None = None
    not_modified: bool = False
    same_bytes: bool = False  # the server ignored the validators but sent what it sent last time
    body_hash: str | None = None
    etag: str | None = None
    last_modified: str | None = None
    warning: str | None = None
    items: Sequence[FeedItem] = ()
    prepared: Sequence[Prepared] = ()  # each item's folded text, in the same order


@dataclasses.dataclass
class Written:
    sources: int = 0
    new_entries: int = 0
    coverage: int = 0
    errors: int = 0
    coverage_ids: list[int] = dataclasses.field(default_factory=list)


def claim_due(
    store: Store,
    now: datetime,
    owner: str,
    lease: timedelta,
    *,
    limit: int = 10000,
    force: bool = False,
    outlet: str | None = None,
) -> list[Claimed]:
    """Take the sources due by ``now`` (all enabled ones with ``force``) under a lease held by ``owner``."""
    with store.session() as session:
        query = (
            select(OutletSource, Outlet.name, Outlet.timezone)
            .join(Outlet, Outlet.id == OutletSource.outlet_id)
            .where(
                OutletSource.enabled.is_(True),
                Outlet.active.is_(True),
                or_(OutletSource.lease_until.is_(None), OutletSource.lease_until < now),
            )
            .order_by(OutletSource.next_poll_at, OutletSource.id)
            .limit(limit)
            .with_for_update(skip_locked=True, of=OutletSource)
        )
        if not force:
            query = query.where(OutletSource.next_poll_at <= now)
        if outlet is not None:
            query = query.where(Outlet.name == outlet)
        rows = session.execute(query).all()
        if not rows:
            return []
        session.execute(
            update(OutletSource)
            .where(OutletSource.id.in_([source.id for source, _, _ in rows]))
            .values(lease_owner=owner, lease_until=now + lease)
            .execution_options(synchronize_session=False)
        )
        return [
            Claimed(
                source_id=source.id,
                outlet_id=source.outlet_id,
                outlet=name,
                feed=source.feed,
                etag=source.etag,
                last_modified=source.last_modified,
                body_hash=source.body_hash,
                interval=source.interval_seconds,
                errors=source.errors,
                timezone=timezone,
            )
            for source, name, timezone in rows
        ]


def insert_ignore(
    session: Session, model: type[Any], rows: list[dict[str, Any]], returning: Sequence[Any]
) -> list[Any]:
    """INSERT ... ON CONFLICT DO NOTHING RETURNING, for SQLite and PostgreSQL; returns the rows inserted."""
    if not rows:
        return []
    from sqlalchemy.dialects import postgresql, sqlite

    insert: Any = postgresql.insert if session.get_bind().dialect.name == "postgresql" else sqlite.insert
    table = model.metadata.tables[model.__tablename__]  # Core, not the ORM: thousands of rows at a time
    columns = [table.c[column.key] for column in returning]
    statement = insert(table).on_conflict_do_nothing().returning(*columns)
    return list(session.connection().execute(statement, rows).all())


class Groups:
    """Reprint groups, per campaign: the same story carried by several outlets is one group.

    A new item joins the group of an item from another outlet that reprints the same post of ours, or whose text
    overlaps its own (shared shingles over the smaller text's) at or above the similarity threshold; otherwise it
    starts a group of its own. Candidates come from a MinHash LSH index (datasketch, inserts as it goes), so a
    campaign with thousands of items is not compared pair by pair. Loaded on first use per campaign, kept up to
    date through the pass.
    """

    def __init__(self, threshold: float) -> None:
        self.threshold = threshold
        self._campaigns: dict[int, _CampaignGroups] = {}

    def _load(self, session: Session, campaign_id: int) -> _CampaignGroups:
        if campaign_id not in self._campaigns:
            groups = _CampaignGroups()
            rows = session.execute(
                select(
                    CoverageItem.id,
                    CoverageItem.outlet_id,
                    CoverageItem.reprint_group,
                    CoverageItem.post_id,
                    FeedEntry.title,
                    FeedEntry.summary,
                    FeedEntry.body,
                )
                .join(FeedEntry, FeedEntry.id == CoverageItem.entry_id)
                .where(
                    CoverageItem.campaign_id == campaign_id,
                    CoverageItem.removed_at.is_(None),
                    CoverageItem.reprint_group.is_not(None),  # not the ones this batch is assigning
                )
            ).all()
            for row in rows:
                groups.add(
                    row.id,
                    row.outlet_id,
                    row.reprint_group or row.id,
                    row.post_id,
                    prepare(row.title, row.summary, row.body).shingles,
                )
            self._campaigns[campaign_id] = groups
        return self._campaigns[campaign_id]

    def assign(
        self, session: Session, campaign_id: int, item_id: int, outlet_id: int, post_id: int | None, entry: Prepared
    ) -> int:
        groups = self._load(session, campaign_id)
        group = item_id
        if post_id is not None and post_id in groups.by_post:
            group = groups.by_post[post_id]
        else:
            for other in groups.candidates(entry.shingles):
                other_outlet, other_group, other_shingles = groups.items[other]
                if other_outlet != outlet_id and overlap(entry.shingles, other_shingles) >= self.threshold:
                    group = other_group
                    break
        groups.add(item_id, outlet_id, group, post_id, entry.shingles)
        return group


class _CampaignGroups:
    def __init__(self) -> None:
        self.items: dict[int, tuple[int, int, set[str]]] = {}  # item -> (outlet, group, shingles)
        self.by_post: dict[int, int] = {}  # our post -> the group of its reprints
        self._lsh: Any = None

    def add(self, item_id: int, outlet_id: int, group: int, post_id: int | None, shingles: set[str]) -> None:
        self.items[item_id] = (outlet_id, group, shingles)
        if post_id is not None:
            self.by_post.setdefault(post_id, group)
        if len(shingles) >= MIN_SHINGLES:
            self._index().insert(item_id, minhash(shingles))

    def candidates(self, shingles: set[str]) -> list[int]:
        if len(shingles) < MIN_SHINGLES:
            return []
        return sorted(self._index().query(minhash(shingles)))

    def _index(self) -> Any:
        if self._lsh is None:
            from datasketch import MinHashLSH

            # Jaccard 0.3 proposes; the exact overlap decides (a summary against the full text has a low Jaccard)
            self._lsh = MinHashLSH(threshold=0.3, num_perm=NUM_PERM)
        return self._lsh


@dataclasses.dataclass(frozen=True)
class Found:
    """A new entry, stored: its id and outlet, what the feed said, and its folded text."""

    entry_id: int
    outlet_id: int
    item: FeedItem
    prepared: Prepared


def keys_of(item: FeedItem, prepared: Prepared) -> tuple[str | None, str | None, str | None]:
    """guid hash, canonical link hash, content hash (of the folded title and text; None when too short)."""
    text = prepared.compacted
    return (
        sha1(item.guid) if item.guid else None,
        sha1(item.link) if item.link else None,
        sha1(text) if len(text) >= 24 else None,
    )


def _new_entries(session: Session, polled: Sequence[Polled], now: datetime) -> list[Found]:
    """Insert the entries not seen before; returns each one inserted."""
    candidates: list[tuple[Polled, FeedItem, Prepared, tuple[str | None, str | None, str | None]]] = []
    for result in polled:
        for item, prepared in zip(result.items, result.prepared, strict=True):
            candidates.append((result, item, prepared, keys_of(item, prepared)))
    if not candidates:
        return []
    outlets = {result.claim.outlet_id for result, _, _, _ in candidates}
    known: set[tuple[int, int, str | None]] = set()  # (outlet, which key, hash)
    for position, column in enumerate((FeedEntry.guid_hash, FeedEntry.link_hash, FeedEntry.content_hash)):
        wanted = list({keys[position] for _, _, _, keys in candidates if keys[position]})
        for start in range(0, len(wanted), 500):
            chunk = wanted[start : start + 500]
            query = select(FeedEntry.outlet_id, column).where(FeedEntry.outlet_id.in_(outlets), column.in_(chunk))
            known.update((outlet, position, value) for outlet, value in session.execute(query))
    rows: list[dict[str, Any]] = []
    fresh: dict[tuple[int, str | None, str | None, str | None], tuple[FeedItem, Prepared]] = {}
    for result, item, prepared, keys in candidates:
        outlet = result.claim.outlet_id
        if any(key and (outlet, position, key) in known for position, key in enumerate(keys)):
            continue
        for position, key in enumerate(keys):  # the same article twice in this batch
            if key:
                known.add((outlet, position, key))
        fresh[(outlet, *keys)] = (item, prepared)
        rows.append(
            {
                "outlet_id": outlet,
                "source_id": result.claim.source_id,
                "guid": item.guid,
                "guid_hash": keys[0],
                "link": item.link,
                "link_hash": keys[1],
                "content_hash": keys[2],
                "title": item.title,
                "summary": item.summary,
                "body": item.body,
                "author": item.author,
                "published_at": item.published_at,
                "fetched_at": now,
            }
        )
    inserted = insert_ignore(
        session,
        FeedEntry,
        rows,
        (FeedEntry.id, FeedEntry.outlet_id, FeedEntry.guid_hash, FeedEntry.link_hash, FeedEntry.content_hash),
    )
    return [Found(row[0], row[1], *fresh[(row[1], row[2], row[3], row[4])]) for row in inserted]


def write_coverage(
    session: Session,
    found: Sequence[Found],
    matcher: Matcher,
    groups: Groups,
    now: datetime,
    actor: str,
) -> list[int]:
    """Match new entries and store a coverage item for each campaign they belong to (in one statement), each in
    its reprint group, each logged."""
    if matcher.empty or not found:
        return []
    pending: list[tuple[Found, Match]] = [(entry, match) for entry in found for match in matcher.match(entry.prepared)]
    if not pending:
        return []
    rows = [
        {
            "campaign_id": match.campaign_id,
            "outlet_id": entry.outlet_id,
            "entry_id": entry.entry_id,
            "title": entry.item.title or entry.item.summary[:80],
            "url": entry.item.link,
            "published_at": entry.item.published_at or now,
            "post_id": match.post_id,
            "matched_by": match.matched_by,
            "matched_terms": match.describe() or None,
            "score": round(match.score, 4),
            "origin": "feed",
            "created_at": now,
            "created_by": actor,
        }
        for entry, match in pending
    ]
    inserted = insert_ignore(
        session, CoverageItem, rows, (CoverageItem.id, CoverageItem.campaign_id, CoverageItem.entry_id)
    )
    ids = {(campaign, entry): item for item, campaign, entry in inserted}
    names = dict(
        session.execute(select(Campaign.id, Campaign.name).where(Campaign.id.in_({c for _, c, _ in inserted}))).all()
    )
    outlets = dict(
        session.execute(select(Outlet.id, Outlet.name).where(Outlet.id.in_({e.outlet_id for e in found}))).all()
    )
    updates, events, created = [], [], []
    for entry, match in pending:
        item_id = ids.get((match.campaign_id, entry.entry_id))
        if item_id is None:
            continue  # another daemon stored it first
        group = groups.assign(session, match.campaign_id, item_id, entry.outlet_id, match.post_id, entry.prepared)
        updates.append({"b_id": item_id, "b_group": group})
        reason = f"{names[match.campaign_id]}: {outlets[entry.outlet_id]}: {entry.item.title} ({match.describe()})"
        events.append({"at": now, "actor": actor, "action": "coverage.found", "reason": reason})
        created.append(item_id)
    if updates:
        table = CoverageItem.metadata.tables[CoverageItem.__tablename__]
        session.execute(
            update(table).where(table.c.id == bindparam("b_id")).values(reprint_group=bindparam("b_group")), updates
        )
        session.execute(insert(Event), events)
    return created


def record(
    store: Store,
    polled: Sequence[Polled],
    *,
    owner: str,
    now: datetime,
    settings: TrackerSettings,
    matcher: Matcher,
    groups: Groups,
) -> Written:
    """Write a batch of poll results in one transaction."""
    written = Written()
    with store.session() as session:
        held = set(
            session.scalars(
                select(OutletSource.id).where(
                    OutletSource.id.in_([p.claim.source_id for p in polled]), OutletSource.lease_owner == owner
                )
            )
        )
        mine = [p for p in polled if p.claim.source_id in held]
        found = _new_entries(session, [p for p in mine if p.items and not p.error], now)
        counted = _count_by_source(found, mine)
        for result in mine:
            _update_source(session, result, counted.get(result.claim.source_id, 0), owner, now, settings)
            written.errors += 1 if result.error else 0
        written.sources = len(mine)
        written.new_entries = len(found)
        written.coverage_ids = write_coverage(session, found, matcher, groups, now, "tracker")
        written.coverage = len(written.coverage_ids)
    return written


def _count_by_source(found: Sequence[Found], polled: Sequence[Polled]) -> dict[int, int]:
    """How many of the new entries came from each source (by identity of the item objects)."""
    owner_of = {id(item): p.claim.source_id for p in polled for item in p.items}
    counts: dict[int, int] = {}
    for entry in found:
        source = owner_of.get(id(entry.item))
        if source is not None:
            counts[source] = counts.get(source, 0) + 1
    return counts


def _update_source(
    session: Session, result: Polled, new_entries: int, owner: str, now: datetime, settings: TrackerSettings
) -> None:
    claim = result.claim
    values: dict[str, Any] = {
        "lease_owner": None,
        "lease_until": None,
        "last_polled_at": now,
        "last_status": result.status,
    }
    if result.error:
        errors = claim.errors + 1
        schedule = after_error(settings, claim.interval, errors, now, result.retry_after)
        values.update(errors=errors, last_error=result.error, last_error_at=now)
        if claim.errors == 0:
            session.add(
                Event(
                    at=now,
                    actor="tracker",
                    action="source.failing",
                    reason=f"{claim.outlet}: {claim.feed}: {result.error}",
                )
            )
        log_event("tracker.error", outlet=claim.outlet, feed=claim.feed, reason=result.error, errors=errors)
    else:
        schedule = after_success(settings, claim.interval, new_entries > 0, now)
        values.update(errors=0, last_success_at=now)
        if claim.errors:
            session.add(
                Event(
                    at=now,
                    actor="tracker",
                    action="source.recovered",
                    reason=f"{claim.outlet}: {claim.feed}: read again after {claim.errors} failures",
                )
            )
        if not result.not_modified and not result.same_bytes:
            values.update(last_warning=result.warning, body_hash=result.body_hash)
        if result.etag is not None or result.last_modified is not None:
            values.update(etag=result.etag, last_modified=result.last_modified)
        if new_entries:
            values.update(last_changed_at=now, entries_seen=OutletSource.entries_seen + new_entries)
    values.update(interval_seconds=schedule.interval, next_poll_at=schedule.next_poll_at)
    session.execute(
        update(OutletSource)
        .where(OutletSource.id == claim.source_id, OutletSource.lease_owner == owner)
        .values(**values)
        .execution_options(synchronize_session=False)
    )
