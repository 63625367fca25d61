"""What ``publisher backup`` and ``publisher restore`` ask of a database (``publisher.backup`` holds the steps).

The schema's revision(s) in ``alembic_version``, the revisions this program's migrations know, whether a database
holds anything a restore would overwrite, and whether a daemon is working on it now.
"""

from __future__ import annotations

import functools
from datetime import datetime
from pathlib import Path

from sqlalchemy import func, inspect, select, text

from publisher.models import Delivery, DeliveryState, Event, Heartbeat, Post
from publisher.store.engine import MIGRATIONS, StoreBase

__all__ = ["drop_tables", "holds_data", "known_revisions", "live_daemons", "live_leases", "revisions", "sqlite_file"]


@functools.cache
def known_revisions() -> frozenset[str]:
    """Every revision among this program's migration scripts."""
    from alembic.config import Config
    from alembic.script import ScriptDirectory

    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    return frozenset(script.revision for script in ScriptDirectory.from_config(config).walk_revisions())


def revisions(store: StoreBase) -> list[str]:
    """The revision(s) the database's schema is at (``alembic_version``); empty for a database never migrated."""
    if not inspect(store.engine).has_table("alembic_version"):
        return []
    with store.engine.connect() as connection:
        return sorted(connection.execute(text("SELECT version_num FROM alembic_version")).scalars())


def holds_data(store: StoreBase) -> bool:
    """Whether the database holds posts or history (a restore would replace them)."""
    if not inspect(store.engine).has_table("posts"):
        return False
    with store.sessions() as session:
        return any(session.scalar(select(func.count()).select_from(model)) for model in (Post, Event))


def live_daemons(store: StoreBase, since: datetime) -> list[str]:
    """Daemons heard from since ``since`` (their heartbeat rows)."""
    if not inspect(store.engine).has_table(Heartbeat.__tablename__):
        return []
    with store.sessions() as session:
        return list(
            session.scalars(select(Heartbeat.name).where(Heartbeat.last_seen >= since).order_by(Heartbeat.name))
        )


def live_leases(store: StoreBase, now: datetime) -> int:
    """How many deliveries are claimed under a lease that has not run out."""
    if not inspect(store.engine).has_table(Delivery.__tablename__):
        return 0
    with store.sessions() as session:
        query = select(func.count()).where(Delivery.state == DeliveryState.CLAIMED.value, Delivery.lease_until >= now)
        return int(session.scalar(query) or 0)


def sqlite_file(store: StoreBase) -> Path | None:
    """The SQLite database's file, or None (PostgreSQL, or an in-memory database)."""
    name = store.engine.url.database
    if not store.is_sqlite or not name or name == ":memory:" or name.startswith("file:"):
        return None
    return Path(name).expanduser()


def drop_tables(store: StoreBase, names: set[str]) -> None:
    """Drop the tables ``names`` (PostgreSQL: with what depends on them), before a restore that does not hold them."""
    present = set(inspect(store.engine).get_table_names()) & names
    if not present:
        return
    quote = store.engine.dialect.identifier_preparer.quote
    cascade = "" if store.is_sqlite else " CASCADE"
    with store.engine.begin() as connection:
        for name in sorted(present):
            connection.execute(text(f"DROP TABLE IF EXISTS {quote(name)}{cascade}"))
