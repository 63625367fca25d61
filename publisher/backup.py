"""``publisher backup FILE`` and ``publisher restore FILE``: a copy of the whole database, taken while daemons run.

SQLite: the online backup API (``sqlite3.Connection.backup``) reads a consistent snapshot while the daemon goes on
writing (WAL mode: readers do not block the writer), into one self-contained file. PostgreSQL: ``pg_dump
--format=custom`` and ``pg_restore --clean --if-exists --no-owner`` with the configured URL; the password goes to
them through ``PGPASSWORD``, never on a command line or in a message.

A restore refuses a backup whose schema is newer than this program's migrations (upgrade publisher first), restores
an older one and then migrates it (as ``publisher init`` does), refuses while a daemon is working on the target, and
asks for ``force`` before it replaces a database that holds posts.
"""

from __future__ import annotations

import dataclasses
import os
import re
import shutil
import sqlite3
import subprocess
from collections.abc import Callable, Mapping
from datetime import datetime, timedelta
from pathlib import Path

from publisher import __version__
from publisher.errors import PublisherError
from publisher.store import URL, Store, open_store, parse_url
from publisher.store.backup import (
    drop_tables,
    holds_data,
    known_revisions,
    live_daemons,
    live_leases,
    revisions,
    sqlite_file,
)

__all__ = ["BackupError", "Done", "backup", "restore"]

#: a daemon heard from this recently is working on the database (``publisher.heartbeat.ALIVE_SECONDS``)
ALIVE = timedelta(seconds=30)
_SQLITE_MAGIC = b"SQLite format 3\x00"
_PG_MAGIC = b"PGDMP"
_TIMEOUT = 3600.0  # seconds for pg_dump / pg_restore: a large database, a slow disk


class BackupError(PublisherError):
    """A backup or restore was refused or failed; the message says why and what to do."""


@dataclasses.dataclass(frozen=True)
class Done:
    """What a backup or restore did, for its one line of output."""

    action: str  # "backed up" or "restored"
    file: Path
    size: int  # bytes of the backup file
    revision: str  # the backup's schema
    database: str  # the database's URL, without its password
    migrated_to: str | None = None  # the schema after a restore, when the backup's was older

    def line(self, t: Callable[..., str] = str.format) -> str:
        """What was done, in one line; ``t`` says it in the reader's language (the CLI's translator)."""
        size = human_size(self.size)
        if self.migrated_to and self.migrated_to != self.revision:
            schema = t("schema {revision}, migrated to {newest}", revision=self.revision, newest=self.migrated_to)
        else:
            schema = t("schema {revision}", revision=self.revision)
        said = {"database": self.database, "file": self.file, "size": size, "schema": schema}
        if self.action == "backed up":
            return t("backed up {database} to {file} ({size}, {schema})", **said)
        return t("restored {file} ({size}, {schema}) into {database}", **said)


def human_size(size: int) -> str:
    value = float(size)
    for unit in ("bytes", "KB", "MB", "GB"):
        if value < 1024 or unit == "GB":
            return f"{size} bytes" if unit == "bytes" else f"{value:.1f} {unit}"
        value /= 1024
    raise AssertionError("unreachable")


def shown(url: URL) -> str:
    """The URL as printed: the password masked."""
    return url.render_as_string(hide_password=True)


# --- backup -------------------------------------------------------------------------------------------------------


def backup(database_url: str, file: Path, *, force: bool = False, source: str = "config") -> Done:
    """Copy the database at ``database_url`` into ``file`` (refused if it exists, unless ``force``)."""
    if file.exists() and not force:
        raise BackupError.of("{file} exists already; choose another name, or add --force to replace it", file=file)
    if file.is_dir():
        raise BackupError.of("{file} is a folder; name a file to write the backup to", file=file)
    url = parse_url(database_url, source=source)
    partial = file.with_name(f".{file.name}.partial")  # written beside it, then renamed: never half a backup
    store = open_store(database_url, source=source)
    try:
        revision = _backup_sqlite(store, partial) if store.is_sqlite else _backup_postgresql(store, url, partial)
        os.replace(partial, file)
    finally:
        store.engine.dispose()
        partial.unlink(missing_ok=True)
    return Done("backed up", file, file.stat().st_size, revision, shown(url))


def _backup_sqlite(store: Store, partial: Path) -> str:
    path = sqlite_file(store)
    if path is None:
        raise BackupError.of("{database} is not a database file; nothing to back up", database=shown(store.engine.url))
    if not path.is_file():
        raise BackupError.of("there is no database at {path}; nothing to back up (see `publisher init`)", path=path)
    partial.parent.mkdir(parents=True, exist_ok=True)
    partial.unlink(missing_ok=True)
    source = sqlite3.connect(path, timeout=10)
    try:
        target = sqlite3.connect(partial)
        try:
            source.backup(target)  # one step under a read snapshot: the daemon's writes go on meanwhile (WAL)
            target.execute("PRAGMA journal_mode=DELETE")  # one self-contained file, no -wal beside it
            found = [row[0] for row in _alembic_rows(target)]
        finally:
            target.close()
    except sqlite3.Error as exc:
        raise BackupError.of("cannot back up {path}: {reason}", path=path, reason=exc) from None
    finally:
        source.close()
    return _joined(found)


def _backup_postgresql(store: Store, url: URL, partial: Path) -> str:
    target, env = libpq(url)
    partial.parent.mkdir(parents=True, exist_ok=True)
    _run(["pg_dump", "--format=custom", f"--file={partial}", f"--dbname={target}"], env, url)
    return _joined(revisions(store))  # read after the dump: a missing pg_dump is reported before any connection


# --- restore ------------------------------------------------------------------------------------------------------


def restore(
    database_url: str,
    file: Path,
    *,
    now: datetime,
    channels: Mapping[str, str],
    force: bool = False,
    source: str = "config",
) -> Done:
    """Replace the database at ``database_url`` with the backup ``file``, then migrate it to this version's schema.

    ``channels`` (name -> kind) are the configured channels, synced afterwards as ``publisher init`` does.
    """
    if not file.is_file():
        raise BackupError.of("there is no backup file {file}", file=file)
    url = parse_url(database_url, source=source)
    kind = _kind_of(file)
    wanted = "sqlite" if url.get_backend_name() == "sqlite" else "postgresql"
    if kind != wanted:
        if kind == "sqlite":
            raise BackupError.of(
                "{file} is a SQLite backup, but the configured database is {database}; restore it with a "
                "configuration that names a database of the same kind",
                file=file,
                database=shown(url),
            )
        raise BackupError.of(
            "{file} is a PostgreSQL (pg_dump) backup, but the configured database is {database}; restore it with a "
            "configuration that names a database of the same kind",
            file=file,
            database=shown(url),
        )
    found = _sqlite_revisions(file) if kind == "sqlite" else _archive_revisions(file, url)
    revision = _check_revisions(found, file)
    store = open_store(database_url, source=source)
    try:
        _check_target(store, now, force)
        store.engine.dispose()  # no connection of ours open while the database is replaced
        if kind == "sqlite":
            _restore_sqlite(store, file)
        else:
            _restore_postgresql(store, url, file)
        store.engine.dispose()
        migrated = store.upgrade()  # an older backup is brought to this version's schema
        store.sync_channels(dict(channels), now)
    finally:
        store.engine.dispose()
    return Done("restored", file, file.stat().st_size, revision, shown(url), migrated_to=migrated)


def _kind_of(file: Path) -> str:
    with file.open("rb") as handle:
        head = handle.read(len(_SQLITE_MAGIC))
    if head.startswith(_SQLITE_MAGIC):
        return "sqlite"
    if head.startswith(_PG_MAGIC):
        return "postgresql"
    raise BackupError.of(
        "{file} is not a publisher backup (neither a SQLite database nor a pg_dump custom archive)", file=file
    )


def _check_revisions(found: list[str], file: Path) -> str:
    if not found:
        raise BackupError.of("{file} is not a publisher backup: it has no schema revision (alembic_version)", file=file)
    unknown = sorted(set(found) - known_revisions())
    if unknown:
        raise BackupError.of(
            "{file} holds a newer schema (revision {revisions}) than publisher {version} knows; upgrade publisher "
            "first, then restore it",
            file=file,
            revisions=", ".join(unknown),
            version=__version__,
        )
    return _joined(found)


def _check_target(store: Store, now: datetime, force: bool) -> None:
    if not store.is_initialised():
        return
    daemons = live_daemons(store, now - ALIVE)
    leases = live_leases(store, now)
    if daemons or leases:
        database, alive = shown(store.engine.url), ", ".join(daemons)
        if not leases:
            raise BackupError.of(
                "{database} is in use (daemons alive: {daemons}): stop every daemon and `dispatch --once` "
                "(`publisher status` shows them), then restore",
                database=database,
                daemons=alive,
            )
        if not daemons:
            raise BackupError.of(
                "{database} is in use ({leases} deliveries claimed under a lease): stop every daemon and "
                "`dispatch --once` (`publisher status` shows them), then restore",
                database=database,
                leases=leases,
            )
        raise BackupError.of(
            "{database} is in use (daemons alive: {daemons}; {leases} deliveries claimed under a lease): stop every "
            "daemon and `dispatch --once` (`publisher status` shows them), then restore",
            database=database,
            daemons=alive,
            leases=leases,
        )
    if holds_data(store) and not force:
        raise BackupError.of(
            "{database} holds posts already; a restore replaces everything in it with the backup: add --force to go "
            "on (take a backup of it first if you may need it)",
            database=shown(store.engine.url),
        )


def _restore_sqlite(store: Store, file: Path) -> None:
    path = sqlite_file(store)
    if path is None:
        raise BackupError.of(
            "{database} is not a database file; cannot restore into it", database=shown(store.engine.url)
        )
    path.parent.mkdir(parents=True, exist_ok=True)
    try:
        source = sqlite3.connect(_read_only(file), uri=True)
        try:
            target = sqlite3.connect(path, timeout=10)
            try:
                source.backup(target)  # through SQLite, so the target's -wal file stays consistent
            finally:
                target.close()
        finally:
            source.close()
    except sqlite3.Error as exc:
        raise BackupError.of("cannot restore {file} into {path}: {reason}", file=file, path=path, reason=exc) from None


def _restore_postgresql(store: Store, url: URL, file: Path) -> None:
    target, env = libpq(url)
    # tables the backup does not hold (added by a newer migration) would stop the older schema's migration
    listing = _run(["pg_restore", "--list", str(file)], env, url)
    held = set(re.findall(r"^\d+; \d+ \d+ TABLE \S+ (\S+) ", listing, flags=re.MULTILINE))
    if held and store.is_initialised():
        drop_tables(store, store.table_names() - held)
        store.engine.dispose()
    command = ["pg_restore", "--clean", "--if-exists", "--no-owner", "--no-privileges", "--single-transaction"]
    _run([*command, "--exit-on-error", f"--dbname={target}", str(file)], env, url)


# --- helpers ------------------------------------------------------------------------------------------------------


def libpq(url: URL) -> tuple[str, dict[str, str]]:
    """SQLAlchemy's ``postgresql+psycopg://`` URL as a libpq URL without its password, and the environment for
    pg_dump / pg_restore with the password in ``PGPASSWORD``."""
    plain = URL.create(
        "postgresql", username=url.username, host=url.host, port=url.port, database=url.database, query=url.query
    )
    env = dict(os.environ)
    if url.password is not None:
        env["PGPASSWORD"] = str(url.password)
    env.setdefault("PGCONNECT_TIMEOUT", "10")
    return plain.render_as_string(hide_password=False), env


def _run(command: list[str], env: dict[str, str], url: URL) -> str:
    tool = command[0]
    if shutil.which(tool, path=env.get("PATH")) is None:
        raise BackupError.of(
            "{tool} is not installed (or not on PATH); backups of PostgreSQL need the PostgreSQL client tools "
            "(e.g. `apt install postgresql-client`), of a version at least the server's",
            tool=tool,
        )
    try:
        done = subprocess.run(command, env=env, capture_output=True, text=True, timeout=_TIMEOUT, check=False)
    except subprocess.TimeoutExpired:
        raise BackupError.of("{tool} did not finish within {seconds:.0f} s", tool=tool, seconds=_TIMEOUT) from None
    if done.returncode != 0:
        message = " ".join(done.stderr.strip().splitlines()[-3:]) or f"exit status {done.returncode}"
        if url.password:
            message = message.replace(str(url.password), "***")
        raise BackupError.of("{tool} failed on {database}: {reason}", tool=tool, database=shown(url), reason=message)
    return done.stdout


def _read_only(file: Path) -> str:
    return file.resolve().as_uri() + "?mode=ro"


def _alembic_rows(connection: sqlite3.Connection) -> list[tuple[str]]:
    try:
        return list(connection.execute("SELECT version_num FROM alembic_version"))
    except sqlite3.OperationalError:  # no such table: not a publisher database
        return []


def _sqlite_revisions(file: Path) -> list[str]:
    try:
        connection = sqlite3.connect(_read_only(file), uri=True)
        try:
            return sorted(row[0] for row in _alembic_rows(connection))
        finally:
            connection.close()
    except sqlite3.DatabaseError as exc:
        raise BackupError.of("cannot read {file}: {reason}", file=file, reason=exc) from None


def _archive_revisions(file: Path, url: URL) -> list[str]:
    """The rows of ``alembic_version`` in a pg_dump archive, read without a database."""
    _, env = libpq(url)
    script = _run(["pg_restore", "--data-only", "--table=alembic_version", "--file=-", str(file)], env, url)
    match = re.search(r"^COPY \S*alembic_version \(version_num\) FROM stdin;\n(.*?)^\\\.$", script, re.M | re.S)
    return sorted(line for line in match.group(1).splitlines() if line) if match else []


def _joined(found: list[str]) -> str:
    return "+".join(sorted(found)) or "none"
