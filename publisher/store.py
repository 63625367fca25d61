"""The database: engine set-up, migrations, and every query the rest of the code needs.

SQL stays portable (SQLite and PostgreSQL). The one SQLite-specific part is ``_configure_sqlite``: WAL mode, a busy
timeout, foreign keys, and ``BEGIN IMMEDIATE`` so that a transaction takes the single write lock up front instead of
failing half-way when two processes write.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, create_engine, event, func, inspect, or_, select, update
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError
from sqlalchemy.orm import Session, sessionmaker

from publisher.errors import ConfigError
from publisher.models import Channel, Delivery, DeliveryState, Event, Post

__all__ = ["Claim", "Store", "open_store"]

MIGRATIONS = Path(__file__).with_name("migrations")

# States the dispatcher may pick up once due.
_DUE_STATES = (DeliveryState.QUEUED.value, DeliveryState.RETRY_WAIT.value)


def _configure_sqlite(engine: Engine) -> None:
    # --- SQLite only: everything that is not portable SQL lives here -------------------------------------------
    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        dbapi_connection.isolation_level = None  # let SQLAlchemy's "begin" hook below issue BEGIN itself
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.execute("PRAGMA busy_timeout=10000")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(connection: Any) -> None:
        connection.exec_driver_sql("BEGIN IMMEDIATE")


@event.listens_for(Session, "before_flush")
def _events_are_append_only(session: Session, _context: Any, _instances: Any) -> None:
    for obj in list(session.dirty) + list(session.deleted):
        if isinstance(obj, Event):
            raise RuntimeError("the event log is append-only: events are never changed or deleted")


@dataclass(frozen=True)
class Claim:
    """A delivery taken under lease by one worker, with what is needed to send it."""

    delivery_id: int
    post_id: int
    channel: str
    attempts: int  # including this one
    idempotency_key: str
    due_at: datetime


class Store:
    """Sessions and queries over one database."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self.sessions = sessionmaker(engine, expire_on_commit=False)

    @property
    def is_sqlite(self) -> bool:
        return self.engine.dialect.name == "sqlite"

    @contextlib.contextmanager
    def session(self) -> Iterator[Session]:
        """A transaction: committed on success, rolled back on any error."""
        with self.sessions.begin() as session:
            yield session

    # --- schema -------------------------------------------------------------------------------------------------

    def upgrade(self) -> str:
        """Create the database or bring it to the newest migration; returns the revision now in place."""
        from alembic import command
        from alembic.config import Config
        from alembic.runtime.migration import MigrationContext

        config = Config()
        config.set_main_option("script_location", str(MIGRATIONS))
        with self.engine.begin() as connection:
            config.attributes["connection"] = connection
            command.upgrade(config, "head")
        with self.engine.connect() as connection:
            revision = MigrationContext.configure(connection).get_current_revision()
        return revision or ""

    def is_initialised(self) -> bool:
        return inspect(self.engine).has_table("deliveries")

    # --- channels -----------------------------------------------------------------------------------------------

    def sync_channels(self, kinds: dict[str, str], now: datetime) -> None:
        """Make sure a row exists for every configured channel (name -> kind)."""
        with self.session() as session:
            existing = {c.name: c for c in session.scalars(select(Channel))}
            for name, kind in kinds.items():
                row = existing.get(name)
                if row is None:
                    session.add(Channel(name=name, kind=kind, created_at=now))
                elif row.kind != kind:
                    row.kind = kind

    # --- the dispatcher's queries -------------------------------------------------------------------------------

    def next_due_at(self, channels: Sequence[str] | None = None) -> datetime | None:
        """When the earliest open delivery becomes due (it may be in the past), or None if nothing is waiting."""
        query = select(func.min(Delivery.due_at)).where(Delivery.state.in_(_DUE_STATES), Delivery.ready.is_(True))
        if channels is not None:
            query = query.join(Channel).where(Channel.name.in_(channels), Channel.paused.is_(False))
        with self.sessions() as session:
            return session.scalar(query)

    def claim_due(self, now: datetime, owner: str, lease: timedelta, limits: dict[str, int]) -> list[Claim]:
        """Take up to ``limits[channel]`` due deliveries per channel under a lease held by ``owner``.

        Rows are locked with ``FOR UPDATE SKIP LOCKED`` where the database has it (PostgreSQL), so several workers
        never take the same row; SQLite serialises writers with ``BEGIN IMMEDIATE``.
        """
        claims: list[Claim] = []
        if not limits:
            return claims
        with self.session() as session:
            channel_ids = {
                c.id: c.name
                for c in session.scalars(
                    select(Channel).where(Channel.name.in_(list(limits)), Channel.paused.is_(False))
                )
            }
            for channel_id, name in channel_ids.items():
                if limits[name] <= 0:
                    continue
                rows = session.execute(
                    select(Delivery.id, Delivery.post_id, Delivery.attempts, Delivery.idempotency_key, Delivery.due_at)
                    .where(
                        Delivery.channel_id == channel_id,
                        Delivery.state.in_(_DUE_STATES),
                        Delivery.ready.is_(True),
                        Delivery.due_at <= now,
                    )
                    .order_by(Delivery.due_at, Delivery.id)
                    .limit(limits[name])
                    .with_for_update(skip_locked=True)
                ).all()
                if not rows:
                    continue
                ids = [row.id for row in rows]
                session.execute(
                    update(Delivery)
                    .where(Delivery.id.in_(ids))
                    .values(
                        state=DeliveryState.CLAIMED.value,
                        attempts=Delivery.attempts + 1,
                        lease_owner=owner,
                        lease_until=now + lease,
                        updated_at=now,
                    )
                )
                session.add_all(
                    Event(
                        at=now,
                        actor=owner,
                        action="claim",
                        post_id=row.post_id,
                        delivery_id=row.id,
                        from_state=None,
                        to_state=DeliveryState.CLAIMED.value,
                        reason=f"attempt {row.attempts + 1}",
                    )
                    for row in rows
                )
                claims.extend(
                    Claim(row.id, row.post_id, name, row.attempts + 1, row.idempotency_key, row.due_at) for row in rows
                )
        return claims

    def expired_leases(self, now: datetime) -> list[tuple[int, str, str | None]]:
        """Claimed deliveries whose lease ran out (their worker died): (delivery id, channel, lease owner)."""
        with self.sessions() as session:
            rows = session.execute(
                select(Delivery.id, Channel.name, Delivery.lease_owner)
                .join(Channel)
                .where(Delivery.state == DeliveryState.CLAIMED.value, Delivery.lease_until < now)
            ).all()
        return [(row[0], row[1], row[2]) for row in rows]

    def delivery(self, session: Session, delivery_id: int) -> Delivery:
        row = session.get(Delivery, delivery_id)
        if row is None:
            raise LookupError(f"delivery {delivery_id} does not exist")
        return row

    def post_with_deliveries(self, session: Session, post_id: int) -> Post | None:
        return session.get(Post, post_id)

    def open_deliveries_of(self, session: Session, post_id: int) -> list[Delivery]:
        return list(
            session.scalars(
                select(Delivery).where(
                    Delivery.post_id == post_id,
                    or_(Delivery.state.in_(_DUE_STATES), Delivery.state == DeliveryState.UNCERTAIN.value),
                )
            )
        )


def open_store(url: str, *, source: str = "config", echo: bool = False) -> Store:
    """An engine for ``url`` (any SQLAlchemy URL; SQLite files get their folder created and are tuned)."""
    try:
        parsed = make_url(url)
    except ArgumentError as exc:
        raise ConfigError(
            source, "database.url", f'{url!r} is not a database URL ({exc}); use e.g. "sqlite:///publisher.db"'
        ) from None
    kwargs: dict[str, Any] = {"echo": echo}
    if parsed.get_backend_name() == "sqlite":
        if parsed.database and parsed.database != ":memory:":
            Path(parsed.database).expanduser().parent.mkdir(parents=True, exist_ok=True)
        kwargs["connect_args"] = {"timeout": 10}
    else:
        kwargs["pool_pre_ping"] = True
    try:
        engine = create_engine(parsed, **kwargs)
    except Exception as exc:  # an unknown driver or dialect
        raise ConfigError(source, "database.url", f"cannot use {url!r}: {exc}") from None
    if engine.dialect.name == "sqlite":
        _configure_sqlite(engine)
    return Store(engine)
