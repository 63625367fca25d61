"""Fresh PostgreSQL databases for the tests, the crash harness and the benchmarks, made quickly from a template.

The cluster is the throwaway one ``tests/integration/postgres.sh start`` makes (its URLs are in
``/tmp/publisher-postgres.env``). The schema is migrated once into a template database. A test that runs other
processes on its database gets a copy of its own (``fresh``: ``CREATE DATABASE … TEMPLATE``, dropped ``WITH (FORCE)``
afterwards). The many in-process tests share one copy emptied before each test (``clean``): any connection a test
left is ended, every table is emptied and every sequence restarted, so each test starts as on a new database. That
takes a few milliseconds, where a copy takes 0.4 s or more (creating a database creates hundreds of files, and on
these machines' disks each file takes about half a millisecond to create).
"""

from __future__ import annotations

import contextlib
import itertools
import os
import subprocess
from collections.abc import Iterator
from pathlib import Path

import psycopg
from sqlalchemy.engine import make_url

__all__ = [
    "ENV_ADMIN_URL",
    "ENV_DATA",
    "ENV_URL",
    "Databases",
    "control_reason",
    "libpq_url",
    "missing_reason",
    "server",
]

ENV_URL = "PUBLISHER_TEST_POSTGRES_URL"  # postgresql+psycopg://postgres@127.0.0.1:5433/publisher_test
ENV_ADMIN_URL = "PUBLISHER_TEST_POSTGRES_ADMIN_URL"  # the same cluster's "postgres" database
ENV_DATA = "PUBLISHER_TEST_POSTGRES_DATA"  # the cluster's data folder (for pg_ctl: outages in the tests)


def missing_reason() -> str | None:
    """Why PostgreSQL tests cannot run here, or None when the cluster is configured."""
    if os.environ.get(ENV_URL):
        return None
    return (
        f"{ENV_URL} is not set: start the test cluster with `bash tests/integration/postgres.sh start` and load "
        "/tmp/publisher-postgres.env (scripts/test.sh does both)"
    )


def libpq_url(url: str) -> str:
    """A SQLAlchemy URL (``postgresql+psycopg://…``) as the plain ``postgresql://…`` that psycopg itself reads."""
    return make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)


class Databases:
    """Makes and drops databases on the cluster of ``url`` (a SQLAlchemy URL)."""

    def __init__(self, url: str, admin_url: str | None = None) -> None:
        self.url = make_url(url)
        admin = make_url(admin_url) if admin_url else self.url.set(database="postgres")
        self.admin_url = admin.render_as_string(hide_password=False)
        self._admin = psycopg.connect(libpq_url(self.admin_url), autocommit=True)
        self.prefix = f"publisher_{os.getpid()}"
        self.template = f"{self.prefix}_template"
        self._numbers = itertools.count(1)
        self._shared: str | None = None
        self._shared_conn: psycopg.Connection[tuple[object, ...]] | None = None
        self._cleanup = ""

    def admin(self, sql: str) -> None:
        """Run ``sql`` on the cluster's admin database (connecting again if the server restarted meanwhile)."""
        try:
            self._admin.execute(sql)  # type: ignore[arg-type]
        except psycopg.OperationalError:
            self._admin.close()
            self._admin = psycopg.connect(libpq_url(self.admin_url), autocommit=True)
            self._admin.execute(sql)  # type: ignore[arg-type]

    def url_of(self, name: str) -> str:
        return self.url.set(database=name).render_as_string(hide_password=False)

    def make_template(self) -> None:
        """Create the template and migrate it to the newest revision (once per test session)."""
        from publisher.store import open_store

        self._drop(self.template)
        self.admin(f'CREATE DATABASE "{self.template}"')
        store = open_store(self.url_of(self.template))
        try:
            store.upgrade()
        finally:
            store.engine.dispose()  # a template may have no open connection when it is copied

    def create(self, label: str = "t") -> str:
        """A new database copied from the template; returns its SQLAlchemy URL."""
        name = f"{self.prefix}_{label}{next(self._numbers)}"
        strategy = " STRATEGY FILE_COPY" if self._admin.info.server_version >= 150000 else ""  # faster when small
        self.admin(f'CREATE DATABASE "{name}" TEMPLATE "{self.template}"{strategy}')
        return self.url_of(name)

    def drop(self, url: str) -> None:
        database = make_url(url).database
        if database is None or not database.startswith(self.prefix):
            raise ValueError(f"{url} is not a database these tests made")
        self._drop(database)

    @contextlib.contextmanager
    def clean(self) -> Iterator[str]:
        """The shared test database, emptied: no rows (but the schema's revision), sequences back at 1."""
        if self._shared is None:
            self._shared = self.create("shared")
            self._shared_conn = psycopg.connect(libpq_url(self._shared), autocommit=True)
            tables = self._shared_conn.execute(
                "SELECT tablename FROM pg_tables WHERE schemaname = 'public' AND tablename <> 'alembic_version'"
            ).fetchall()
            deletes = "".join(f'DELETE FROM "{name}";' for (name,) in tables)
            # replica role: no foreign-key triggers, so the tables can be emptied in any order
            self._cleanup = f"SET session_replication_role = replica;{deletes}RESET session_replication_role;"
        conn = self._shared_conn
        assert conn is not None
        try:
            conn.execute(
                "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                "WHERE datname = current_database() AND pid <> pg_backend_pid()"
            )
        except psycopg.OperationalError:  # the server restarted since (an outage test)
            conn.close()
            conn = self._shared_conn = psycopg.connect(libpq_url(self._shared), autocommit=True)
        with conn.transaction():
            conn.execute(self._cleanup)  # type: ignore[arg-type]
            conn.execute("SELECT setval(oid::regclass, 1, false) FROM pg_class WHERE relkind = 'S'")
        yield self._shared

    @contextlib.contextmanager
    def fresh(self, label: str = "t") -> Iterator[str]:
        url = self.create(label)
        try:
            yield url
        finally:
            self.drop(url)

    def _drop(self, name: str) -> None:
        self.admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')

    def close(self) -> None:
        if self._shared_conn is not None:
            self._shared_conn.close()
        with contextlib.suppress(psycopg.Error):
            if self._shared is not None:
                self.drop(self._shared)
            self._drop(self.template)
        self._admin.close()


# --- the cluster itself: stopped and started again, for the outage tests ----------------------------------------------

SCRIPT = Path(__file__).resolve().parent / "integration" / "postgres.sh"


def control_reason() -> str | None:
    """Why this process cannot stop and start the test cluster, or None if it can."""
    if not os.environ.get(ENV_DATA):
        return f"{ENV_DATA} is not set (the env file of `bash tests/integration/postgres.sh start`)"
    if os.geteuid() != 0:
        return "stopping the test cluster needs root (pg_ctl runs as the postgres user through runuser)"
    return None


def server(action: str) -> None:
    """``pause``: stop the server as a crash would (``pg_ctl -m immediate``), keeping its data; ``resume``: start it."""
    subprocess.run(["bash", str(SCRIPT), action], check=True, capture_output=True, timeout=60)
