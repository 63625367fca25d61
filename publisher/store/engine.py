"""Engine set-up, sessions and migrations; the store's own exceptions.

SQL stays portable (SQLite and PostgreSQL). The one SQLite-specific part is ``_configure_sqlite``: WAL mode, a busy
timeout, foreign keys, and ``BEGIN IMMEDIATE`` so that a transaction takes the single write lock up front instead of
failing half-way when two processes write.
"""

from __future__ import annotations

import contextlib
import logging
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, create_engine, event, inspect, text
from sqlalchemy.engine import URL, make_url
from sqlalchemy.exc import ArgumentError, IntegrityError, InterfaceError, OperationalError
from sqlalchemy.orm import Session, sessionmaker

from publisher.errors import ConfigError
from publisher.models import Event

__all__ = [
    "DUE_CHANNEL",
    "MIGRATIONS",
    "OUTAGE_ERRORS",
    "URL",
    "Conflict",
    "Session",
    "StoreBase",
    "open_engine",
    "parse_url",
]

MIGRATIONS = Path(__file__).parent.parent / "migrations"
#: the PostgreSQL channel on which daemons are woken when work falls due (``Store.notify_due``, ``publisher.notify``)
DUE_CHANNEL = "publisher_due"
#: errors that mean "the database cannot be used right now" (away, read-only, full), not a mistake in a query
OUTAGE_ERRORS: tuple[type[Exception], ...] = (OperationalError, InterfaceError)


class Conflict(Exception):
    """A write broke a unique key: another process (or an earlier run) wrote the same row first."""


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


class StoreBase:
    """An engine and its sessions; the ``Store`` adds the queries of each concern (``publisher.store``)."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self.sessions = sessionmaker(engine, expire_on_commit=False)

    @property
    def is_sqlite(self) -> bool:
        return self.engine.dialect.name == "sqlite"

    def notify_due(self, session: Session) -> None:
        """Wake the daemons listening on PostgreSQL: a delivery was queued, approved, moved or is to be resent.

        NOTIFY is transactional: it is delivered when ``session`` commits, and not at all if it rolls back. Nothing
        on SQLite, where one daemon polls (``daemon.poll_interval``), as it also does on PostgreSQL as a safety net.
        """
        if not self.is_sqlite:
            session.execute(text(f"NOTIFY {DUE_CHANNEL}"))

    @contextlib.contextmanager
    def session(self) -> Iterator[Session]:
        """A transaction: committed on success, rolled back on any error."""
        with self.sessions.begin() as session:
            yield session

    @contextlib.contextmanager
    def unique_write(self) -> Iterator[Session]:
        """A transaction whose unique-key violation is raised as ``Conflict`` (another process won the race)."""
        try:
            with self.sessions.begin() as session:
                yield session
        except IntegrityError as exc:
            raise Conflict(str(exc.orig)) from exc

    # --- schema -------------------------------------------------------------------------------------------------

    def upgrade(self) -> str:
        """Create the database or bring it to the newest migration; returns the revision now in place."""
        with _quiet_alembic():
            from alembic import command
            from alembic.config import Config
            from alembic.runtime.migration import MigrationContext

            config = Config()
            config.set_main_option("script_location", str(MIGRATIONS))
            with self.engine.begin() as connection:
                config.attributes["connection"] = connection
                # "heads": features developed side by side may each add a migration branch until a merge joins them
                command.upgrade(config, "heads")
            with self.engine.connect() as connection:
                heads = MigrationContext.configure(connection).get_current_heads()
        return "+".join(sorted(heads))

    def is_initialised(self) -> bool:
        return inspect(self.engine).has_table("deliveries")

    def table_names(self) -> set[str]:
        return set(inspect(self.engine).get_table_names())


@contextlib.contextmanager
def _quiet_alembic() -> Iterator[None]:
    """Alembic's INFO lines ("Context impl", "Will assume transactional DDL", each step) off while migrating: the
    daemon's start is one line (``daemon.start``); its warnings and errors still show."""
    alembic = logging.getLogger("alembic")
    level = alembic.level
    alembic.setLevel(max(level, logging.WARNING))
    try:
        yield
    finally:
        alembic.setLevel(level)


def parse_url(url: str, *, source: str = "config") -> URL:
    """``url`` as a SQLAlchemy URL; ``ConfigError`` about ``[database] url`` of ``source`` if it is not one."""
    try:
        return make_url(url)
    except ArgumentError as exc:
        raise _not_a_url(url, exc, source) from None


def _not_a_url(url: str, exc: Exception, source: str) -> ConfigError:
    return ConfigError.of(
        '{file}: [{key}] {url!r} is not a database URL ({reason}); use e.g. "sqlite:///publisher.db"',
        file=source,
        key="database.url",
        url=url,
        reason=exc,
    )


def open_engine(url: str, *, source: str = "config", echo: bool = False) -> Engine:
    """An engine for ``url`` (any SQLAlchemy URL; SQLite files get their folder created and are tuned)."""
    try:
        parsed = make_url(url)
    except ArgumentError as exc:
        raise _not_a_url(url, exc, source) from None
    kwargs: dict[str, Any] = {"echo": echo}
    if parsed.get_backend_name() == "sqlite":
        if parsed.database and parsed.database != ":memory:" and not parsed.database.startswith("file:"):
            Path(parsed.database).expanduser().parent.mkdir(parents=True, exist_ok=True)  # not for URI filenames
        kwargs["connect_args"] = {"timeout": 10}
    else:
        kwargs["pool_pre_ping"] = True
    try:
        engine = create_engine(parsed, **kwargs)
    except Exception as exc:  # an unknown driver or dialect
        raise ConfigError.of(
            "{file}: [{key}] cannot use {url!r}: {reason}", file=source, key="database.url", url=url, reason=exc
        ) from None
    if engine.dialect.name == "sqlite":
        _configure_sqlite(engine)
    return engine
