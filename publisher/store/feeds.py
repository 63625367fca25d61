"""The tracker's outlets, their feed sources and the entries read from them: claims on due sources, batched writes
of poll results, de-duplicated inserts (``publisher.tracker`` holds the rules: schedules, matching, grouping)."""

from __future__ import annotations

import sqlite3
from collections.abc import Collection, Sequence
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import bindparam, delete, exists, or_, select, update
from sqlalchemy.orm import Session

from publisher.models import Campaign
from publisher.store.engine import StoreBase
from publisher.tracker.models import CoverageItem, FeedEntry, Outlet, OutletSource

__all__ = [
    "ENTRY_KEYS",
    "active_outlets",
    "campaign_names_by_id",
    "claim_sources",
    "config_outlets",
    "entries_after",
    "grouped_items",
    "held_sources",
    "insert_ignore",
    "known_entry_keys",
    "next_poll_due",
    "outlet_named",
    "outlet_names_by_id",
    "prune_unused_entries",
    "set_reprint_groups",
    "sources_of",
    "update_sources",
]

#: the columns an entry is recognised by (``publisher.tracker.work.keys_of`` gives them in this order)
ENTRY_KEYS = (FeedEntry.guid_hash, FeedEntry.link_hash, FeedEntry.content_hash)
#: values bound in one SQLite statement, under its limit (999 before SQLite 3.32, 32766 since)
SQLITE_VARIABLES = 30_000 if sqlite3.sqlite_version_info >= (3, 32) else 999


# --- outlets and sources ------------------------------------------------------------------------------------------


def outlet_named(session: Session, name: str, *, active: bool | None = None) -> Outlet | None:
    query = select(Outlet).where(Outlet.name == name)
    if active is not None:
        query = query.where(Outlet.active.is_(active))
    return session.scalar(query)


def sources_of(session: Session, outlet_ids: Collection[int]) -> list[OutletSource]:
    """The sources of these outlets, oldest first."""
    query = select(OutletSource).where(OutletSource.outlet_id.in_(list(outlet_ids))).order_by(OutletSource.id)
    return list(session.scalars(query))


def config_outlets(session: Session) -> list[Outlet]:
    """The active outlets that came from the config file."""
    return list(session.scalars(select(Outlet).where(Outlet.origin == "config", Outlet.active.is_(True))))


def active_outlets(session: Session, name: str | None = None) -> list[Outlet]:
    """Active outlets by name (only ``name``, when given)."""
    query = select(Outlet).where(Outlet.active.is_(True)).order_by(Outlet.name)
    if name is not None:
        query = query.where(Outlet.name == name)
    return list(session.scalars(query))


def next_poll_due(store: StoreBase, outlet: str | None = None) -> datetime | None:
    """When the earliest enabled feed (of ``outlet``, if named) of an active outlet is next due; None without one."""
    with store.session() as session:
        query = (
            select(OutletSource.next_poll_at)  # the column itself, not min(): it keeps its UTC type on SQLite
            .join(Outlet, Outlet.id == OutletSource.outlet_id)
            .where(OutletSource.enabled.is_(True), Outlet.active.is_(True))
            .order_by(OutletSource.next_poll_at)
            .limit(1)
        )
        if outlet is not None:
            query = query.where(Outlet.name == outlet)
        found: datetime | None = session.scalar(query)
        return found


def claim_sources(
    store: StoreBase,
    now: datetime,
    owner: str,
    lease: timedelta,
    *,
    limit: int,
    force: bool,
    outlet: str | None,
) -> list[tuple[OutletSource, str, str | None]]:
    """Take the sources due by ``now`` (every enabled one with ``force``) under a lease held by ``owner``; each
    with its outlet's name and time zone. ``FOR UPDATE SKIP LOCKED`` on PostgreSQL: two daemons never take one."""
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
        rows = [(source, name, timezone) for source, name, timezone in session.execute(query)]
        if rows:
            session.execute(
                update(OutletSource)
                .where(OutletSource.id.in_([source.id for source, _, _ in rows]))
                .values(lease_owner=owner, lease_until=now + lease)
                .execution_options(synchronize_session=False)
            )
        return rows


def held_sources(session: Session, source_ids: Collection[int], owner: str) -> set[int]:
    """Which of these sources ``owner`` still holds the lease on."""
    query = select(OutletSource.id).where(OutletSource.id.in_(list(source_ids)), OutletSource.lease_owner == owner)
    return set(session.scalars(query))


def update_sources(session: Session, owner: str, results: Sequence[tuple[int, dict[str, Any], int]]) -> None:
    """Write polls' results, each (source id, values, new entries added to its count), on the sources still leased
    to ``owner``: one executemany per set of columns written (a batch's sources mostly share one), not a statement
    per source."""
    by_columns: dict[tuple[str, ...], list[dict[str, Any]]] = {}
    for source_id, values, new_entries in results:
        row = {f"v_{name}": value for name, value in values.items()}
        row.update(b_id=source_id, b_owner=owner, b_new=new_entries)
        by_columns.setdefault(tuple(sorted(values)), []).append(row)
    for columns, rows in by_columns.items():
        statement = (
            update(OutletSource)
            .where(OutletSource.id == bindparam("b_id"), OutletSource.lease_owner == bindparam("b_owner"))
            .values(
                {name: bindparam(f"v_{name}") for name in columns}
                | {"entries_seen": OutletSource.entries_seen + bindparam("b_new")}
            )
        )
        session.connection().execute(statement, rows)


# --- entries ------------------------------------------------------------------------------------------------------


def insert_ignore(
    session: Session, model: type[Any], rows: list[dict[str, Any]], returning: Sequence[str]
) -> list[Any]:
    """INSERT ... ON CONFLICT DO NOTHING RETURNING ``returning`` (column names), for SQLite and PostgreSQL; returns
    the rows inserted."""
    if not rows:
        return []
    from sqlalchemy.dialects import postgresql

    dialect = session.get_bind().dialect
    table = model.metadata.tables[model.__tablename__]  # Core, not the ORM: thousands of rows at a time
    if dialect.name == "sqlite":
        return _insert_ignore_sqlite(session, table, rows, returning)
    statement = postgresql.insert(table).on_conflict_do_nothing().returning(*(table.c[name] for name in returning))
    return list(session.connection().execute(statement, rows).all())


def _insert_ignore_sqlite(
    session: Session, table: Any, rows: list[dict[str, Any]], returning: Sequence[str]
) -> list[Any]:
    """The SQLite form, as multi-row INSERTs of the driver's own: SQLAlchemy's executemany with RETURNING spent
    twice SQLite's time per row on its bookkeeping (a first pass writes 50,000 entries). Each value still goes
    through its column type's bind processing (UTC times), so what is stored is what SQLAlchemy would store."""
    dialect = session.get_bind().dialect
    columns = list(rows[0])
    processors = [table.c[name].type._cached_bind_processor(dialect) for name in columns]
    chunk = max(1, SQLITE_VARIABLES // len(columns))
    quote = dialect.identifier_preparer.quote
    names, back = ", ".join(map(quote, columns)), ", ".join(map(quote, returning))
    into = dialect.identifier_preparer.format_table(table)
    one = "(" + ", ".join("?" * len(columns)) + ")"
    cursor = session.connection().connection.driver_connection.cursor()  # type: ignore[union-attr]
    inserted: list[Any] = []
    for start in range(0, len(rows), chunk):
        part = rows[start : start + chunk]
        values: list[Any] = []
        for row in part:
            values.extend(
                process(row[name]) if process else row[name] for name, process in zip(columns, processors, strict=True)
            )
        many = ", ".join([one] * len(part))
        # names from the model, quoted by the dialect; every value bound
        sql = f"INSERT INTO {into} ({names}) VALUES {many} ON CONFLICT DO NOTHING RETURNING {back}"  # noqa: S608
        inserted.extend(cursor.execute(sql, values).fetchall())
    return inserted


def known_entry_keys(
    session: Session, outlets: Collection[int], wanted: Sequence[Collection[str]]
) -> set[tuple[int, int, str | None]]:
    """Of the hashes in ``wanted`` (one collection per column of ``ENTRY_KEYS``), those already stored for these
    outlets, as (outlet, position of the column, hash)."""
    known: set[tuple[int, int, str | None]] = set()
    for position, column in enumerate(ENTRY_KEYS):
        values = list(wanted[position])
        for start in range(0, len(values), 500):
            chunk = values[start : start + 500]
            query = select(FeedEntry.outlet_id, column).where(FeedEntry.outlet_id.in_(list(outlets)), column.in_(chunk))
            known.update((outlet, position, value) for outlet, value in session.execute(query))
    return known


def entries_after(session: Session, last_id: int, limit: int) -> list[FeedEntry]:
    """The next ``limit`` entries by id after ``last_id``."""
    return list(session.scalars(select(FeedEntry).where(FeedEntry.id > last_id).order_by(FeedEntry.id).limit(limit)))


def prune_unused_entries(store: StoreBase, before: datetime) -> int:
    """Delete the entries first seen before ``before`` that no coverage item points to; returns how many."""
    used = exists().where(CoverageItem.entry_id == FeedEntry.id)
    with store.session() as session:
        result = session.execute(delete(FeedEntry).where(FeedEntry.fetched_at < before, ~used))
        return int(getattr(result, "rowcount", 0) or 0)


# --- coverage found in feeds --------------------------------------------------------------------------------------


def grouped_items(session: Session, campaign_id: int) -> list[Any]:
    """The campaign's kept, grouped items from feeds, with their entries' texts (id, outlet_id, reprint_group,
    post_id, title, summary, body)."""
    query = (
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
    )
    return list(session.execute(query).all())


def campaign_names_by_id(session: Session, ids: Collection[int]) -> dict[int, str]:
    return dict(session.execute(select(Campaign.id, Campaign.name).where(Campaign.id.in_(list(ids)))).all())


def outlet_names_by_id(session: Session, ids: Collection[int]) -> dict[int, str]:
    return dict(session.execute(select(Outlet.id, Outlet.name).where(Outlet.id.in_(list(ids)))).all())


def set_reprint_groups(session: Session, groups: dict[int, int]) -> None:
    """item id -> its reprint group, in one executemany."""
    if not groups:
        return
    table = CoverageItem.metadata.tables[CoverageItem.__tablename__]
    session.execute(
        update(table).where(table.c.id == bindparam("b_id")).values(reprint_group=bindparam("b_group")),
        [{"b_id": item, "b_group": group} for item, group in groups.items()],
    )
