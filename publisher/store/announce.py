"""Own sources' rows (``publisher.services.announce`` holds the rules): the feeds of our own website announced on
other channels, and the articles of each already seen."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import delete, func, select, update
from sqlalchemy.orm import Session

from publisher.models import Campaign, OwnSource, OwnSourceEntry
from publisher.store.feeds import insert_ignore

__all__ = [
    "add_own_source",
    "claim_articles",
    "due_own_sources",
    "own_source",
    "own_sources",
    "remove_own_source",
    "set_announced",
    "update_own_source",
]


def add_own_source(session: Session, source: OwnSource) -> None:
    session.add(source)
    session.flush()


def own_source(session: Session, name: str) -> OwnSource | None:
    return session.scalars(select(OwnSource).where(OwnSource.name == name)).first()


def own_sources(session: Session) -> list[tuple[OwnSource, str | None, int]]:
    """Every own source with its campaign's name and how many articles it has announced, by name."""
    announced = (
        select(func.count())
        .where(OwnSourceEntry.source_id == OwnSource.id, OwnSourceEntry.post_id.is_not(None))
        .scalar_subquery()
    )
    rows = session.execute(
        select(OwnSource, Campaign.name, announced)
        .outerjoin(Campaign, Campaign.id == OwnSource.campaign_id)
        .order_by(OwnSource.name)
    )
    return [(source, campaign, int(count)) for source, campaign, count in rows]


def remove_own_source(session: Session, name: str) -> bool:
    source = own_source(session, name)
    if source is None:
        return False
    session.execute(delete(OwnSourceEntry).where(OwnSourceEntry.source_id == source.id))
    session.delete(source)
    return True


def due_own_sources(session: Session, now: datetime) -> list[OwnSource]:
    return list(session.scalars(select(OwnSource).where(OwnSource.next_poll_at <= now).order_by(OwnSource.id)))


def update_own_source(session: Session, source_id: int, **values: Any) -> None:
    session.execute(update(OwnSource).where(OwnSource.id == source_id).values(**values))


def claim_articles(
    session: Session, source_id: int, keys: Sequence[tuple[str | None, str | None]], now: datetime
) -> dict[tuple[str | None, str | None], int]:
    """Record these articles (guid hash, link hash) as seen, those not seen before; returns each one this call
    recorded, with its row's id. A guid or a link seen before, in an earlier read or earlier in ``keys``, makes an
    article not new (the database's unique keys decide, so two daemons cannot both take one)."""
    rows = [
        {"source_id": source_id, "guid_hash": guid, "link_hash": link, "post_id": None, "seen_at": now}
        for guid, link in keys
    ]
    inserted = insert_ignore(session, OwnSourceEntry, rows, ("id", "guid_hash", "link_hash"))
    return {(guid, link): row_id for row_id, guid, link in inserted}


def set_announced(session: Session, entry_id: int, post_id: int) -> None:
    session.execute(update(OwnSourceEntry).where(OwnSourceEntry.id == entry_id).values(post_id=post_id))
