"""What the command line reads, and whether the database is there to read.

- ``open_ready``: a store over a database that exists and is at this version's schema. It never creates, nor
  migrates: a missing SQLite file, an empty database or an older schema is a ``NotReady`` error that names the
  database and `publisher init` (only `init`, `demo` and the daemon create or upgrade one).
- ``delivery_lines``: `publisher post list` in one query of the columns it prints, paged by ``PostFilter.limit``
  (no post, delivery or event objects are built: 10,000 posts list in a fraction of a second).
- ``campaigns``, ``schedules``, ``channels``: the rows the listing commands print.
- ``outage_message``: the one line for a database that is away, read-only or full, or None for another error.
"""

from __future__ import annotations

import ast
import functools
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from sqlalchemy import inspect, select, text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError

from publisher.errors import PublisherError
from publisher.models import Campaign, Channel, Delivery, Post, Schedule
from publisher.store import Store, open_store
from publisher.store.deliveries import PostFilter, state_matches
from publisher.store.engine import MIGRATIONS, OUTAGE_ERRORS, StoreBase

__all__ = [
    "DeliveryLine",
    "NotReady",
    "campaigns",
    "channels",
    "delivery_lines",
    "open_ready",
    "outage_message",
    "schedules",
    "schema_heads",
]

_INIT = "run `publisher init`"


class NotReady(PublisherError):
    """The configured database does not exist yet, or is not at this version's schema."""


@functools.cache
def _revisions() -> tuple[frozenset[str], frozenset[str]]:
    """Every migration revision, and the newest ones (the heads), read from the migration files' headers:
    importing Alembic would cost more than the command that asks."""
    revisions: set[str] = set()
    replaced: set[str] = set()
    for path in (MIGRATIONS / "versions").glob("*.py"):
        values: dict[str, object] = {}
        for node in ast.parse(path.read_text(encoding="utf-8")).body:
            if not isinstance(node, ast.Assign) or len(node.targets) != 1:
                continue
            target = node.targets[0]
            if isinstance(target, ast.Name) and target.id in ("revision", "down_revision"):
                values[target.id] = ast.literal_eval(node.value)
        revision, down = values.get("revision"), values.get("down_revision")
        if isinstance(revision, str):
            revisions.add(revision)
            replaced.update([down] if isinstance(down, str) else list(down) if isinstance(down, tuple) else [])
    return frozenset(revisions), frozenset(revisions - replaced)


def schema_heads() -> frozenset[str]:
    """The schema revisions this version of publisher works on."""
    return _revisions()[1]


def open_ready(url: str, *, source: str = "config") -> Store:
    """A store over ``url`` if that database exists and is at this version's schema; ``NotReady`` otherwise."""
    try:
        parsed = make_url(url)
    except ArgumentError:
        parsed = None  # open_store says what is wrong with it, naming the config file
    if parsed is not None and parsed.get_backend_name() == "sqlite":
        name = parsed.database or ""
        # checked before connecting: connecting would create the file (and opening the store, its folder)
        if name and name != ":memory:" and not name.startswith("file:") and not Path(name).expanduser().is_file():
            raise NotReady(
                f"there is no database at {Path(name).expanduser().absolute()}: {_INIT} to create it "
                f"(or correct [database] url in {source})"
            )
    store = open_store(url, source=source)
    try:
        _check_schema(store)
    except BaseException:
        store.engine.dispose()
        raise
    return store


def _check_schema(store: StoreBase) -> None:
    where = store.engine.url.render_as_string(hide_password=True)
    with store.engine.connect() as connection:
        tables = inspect(connection)
        if not tables.has_table("deliveries"):
            raise NotReady(f"the database {where} holds no publisher tables: {_INIT} to create them")
        found = (
            {row[0] for row in connection.execute(text("SELECT version_num FROM alembic_version"))}
            if tables.has_table("alembic_version")
            else set()
        )
    known, wanted = _revisions()
    if found == wanted:
        return
    shown, needed = "+".join(sorted(found)) or "none", "+".join(sorted(wanted))
    if not found <= known:
        raise NotReady(f"the database {where} is at schema {shown}, newer than this publisher ({needed}): upgrade it")
    raise NotReady(f"the database {where} is at schema {shown}; this version needs {needed}: {_INIT} to upgrade it")


def outage_message(error: BaseException, url: str) -> str | None:
    """One line a person can act on when the database is away, read-only or full; None for any other error."""
    if not isinstance(error, OUTAGE_ERRORS):
        return None
    from publisher.outage import explain

    try:
        parsed = make_url(url)
    except ArgumentError:
        parsed = make_url("sqlite://")
    return explain(error, parsed)


@dataclass(frozen=True, slots=True)
class DeliveryLine:
    """One delivery as `publisher post list` prints it."""

    post: int
    title: str
    approval: str
    channel: str
    state: str
    due_at: datetime
    attempts: int
    remote_url: str | None
    last_error: str | None
    timezone: str | None  # the campaign's, None for a post without a campaign


_LINES = (
    select(
        Post.id,
        Post.title,
        Post.approval,
        Channel.name,
        Delivery.state,
        Delivery.due_at,
        Delivery.attempts,
        Delivery.remote_url,
        Delivery.last_error,
        Campaign.timezone,
    )
    .select_from(Delivery)
    .join(Post, Delivery.post_id == Post.id)
    .join(Channel, Delivery.channel_id == Channel.id)
    .outerjoin(Campaign, Post.campaign_id == Campaign.id)
)


def delivery_lines(store: StoreBase, where: PostFilter) -> list[DeliveryLine]:
    """Deliveries by due time, filtered as ``list_deliveries`` filters them, as plain rows."""
    query = _LINES
    if where.state:
        query = query.where(state_matches(where.state))
    if where.channel:
        query = query.where(Channel.name == where.channel)
    if where.campaign:
        query = query.where(Campaign.name == where.campaign)
    if where.due_from:
        query = query.where(Delivery.due_at >= where.due_from)
    if where.due_to:
        query = query.where(Delivery.due_at < where.due_to)
    query = query.order_by(Delivery.due_at, Delivery.id).limit(where.limit)
    with store.engine.connect() as connection:
        return [DeliveryLine(*row[:10]) for row in connection.execute(query)]


def campaigns(store: StoreBase) -> Sequence[Campaign]:
    with store.sessions() as session:
        return list(session.scalars(select(Campaign).order_by(Campaign.name)))


def schedules(store: StoreBase) -> Sequence[Schedule]:
    with store.sessions() as session:
        return list(session.scalars(select(Schedule).order_by(Schedule.name)))


def channels(store: StoreBase) -> Sequence[Channel]:
    with store.sessions() as session:
        return list(session.scalars(select(Channel).order_by(Channel.name)))
