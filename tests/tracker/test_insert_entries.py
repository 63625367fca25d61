"""New entries are written with the driver's own multi-row INSERT on SQLite (``store.feeds.insert_ignore``): what
it stores must be what SQLAlchemy stores, and a second copy of an entry must be ignored."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

from sqlalchemy import insert, select, text

from publisher.store import Store
from publisher.store.feeds import insert_ignore
from publisher.tracker.models import FeedEntry, Outlet, OutletSource

NOW = datetime(2026, 12, 4, 8, 30, 0, 250000, tzinfo=UTC)


def _row(n: int, published: datetime | None) -> dict[str, object]:
    return {
        "outlet_id": 1,
        "source_id": 1,
        "guid": f"g{n}",
        "guid_hash": f"h{n}",
        "link": f"http://a.example/{n}",
        "link_hash": f"l{n}",
        "content_hash": None,
        "title": f"标题{n}",
        "summary": "摘要",
        "body": "",
        "author": None,
        "published_at": published,
        "fetched_at": NOW,
    }


def test_entries_are_stored_as_sqlalchemy_stores_them_and_a_copy_is_ignored(store: Store) -> None:
    with store.session() as session:
        session.add(Outlet(id=1, name="a", created_at=NOW))
        session.flush()
        session.add(
            OutletSource(
                id=1, outlet_id=1, feed="http://a.example/feed", interval_seconds=900, next_poll_at=NOW, created_at=NOW
            )
        )
    shanghai = timezone(timedelta(hours=8))
    rows = [_row(n, NOW.astimezone(shanghai) - timedelta(hours=n) if n % 3 else None) for n in range(1500)]
    with store.session() as session:
        inserted = insert_ignore(session, FeedEntry, rows[:1000], ("id", "outlet_id", "guid_hash"))
        assert [r[2] for r in inserted] == [f"h{n}" for n in range(1000)]
        # a thousand rows take several statements; the second time, only the 500 new ones are written
        again = insert_ignore(session, FeedEntry, rows, ("id", "outlet_id", "guid_hash"))
        assert sorted(r[2] for r in again) == sorted(f"h{n}" for n in range(1000, 1500))
        # the reference: SQLAlchemy's own insert of the same values, under another key
        session.execute(insert(FeedEntry), [_row(9999, rows[1]["published_at"]) | {"guid_hash": "ref"}])  # type: ignore[arg-type]
        raw = "SELECT published_at, fetched_at FROM feed_entries WHERE guid_hash IN ('h1', 'ref') ORDER BY guid_hash"
        mine, reference = session.execute(text(raw)).all()
        assert tuple(mine) == tuple(reference)
        stored = session.scalars(select(FeedEntry).where(FeedEntry.guid_hash == "h1")).one()
        assert stored.published_at == NOW - timedelta(hours=1)
        assert stored.fetched_at == NOW
        assert session.scalar(select(FeedEntry.published_at).where(FeedEntry.guid_hash == "h3")) is None
