"""The database: engine set-up, migrations, and every query the rest of the code needs.

SQL stays portable (SQLite and PostgreSQL). The one SQLite-specific part is ``_configure_sqlite``: WAL mode, a busy
timeout, foreign keys, and ``BEGIN IMMEDIATE`` so that a transaction takes the single write lock up front instead of
failing half-way when two processes write.
"""

from __future__ import annotations

import contextlib
import functools
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import (
    ColumnElement,
    Engine,
    bindparam,
    create_engine,
    delete,
    event,
    exists,
    func,
    insert,
    inspect,
    or_,
    select,
    text,
    update,
)
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError, IntegrityError
from sqlalchemy.orm import Session, aliased, sessionmaker
from sqlalchemy.sql.dml import Update

from publisher.errors import ConfigError
from publisher.models import Channel, Delivery, DeliveryState, Event, Media, Post
from publisher.web.models import WebSession  # the console's sessions: their SQL lives here too

__all__ = [
    "DUE_CHANNEL",
    "Claim",
    "Outcome",
    "PostFilter",
    "Store",
    "add_web_session",
    "end_user_web_sessions",
    "end_web_session",
    "list_deliveries",
    "list_rows",
    "open_store",
    "post_history",
    "prune_web_sessions",
    "queue_depth",
    "touch_web_session",
    "user_web_sessions",
    "web_session",
]

MIGRATIONS = Path(__file__).with_name("migrations")
#: the PostgreSQL channel on which daemons are woken when work falls due (``Store.notify_due``, ``publisher.notify``)
DUE_CHANNEL = "publisher_due"

# States the dispatcher may pick up once due.
_DUE_STATES = (DeliveryState.QUEUED.value, DeliveryState.RETRY_WAIT.value)
# The tables, for Core statements on the dispatcher's path (no per-row or per-statement ORM work there).
_DELIVERIES = Delivery.metadata.tables[Delivery.__tablename__]
_CHANNELS = Channel.metadata.tables[Channel.__tablename__]
_EVENTS = Event.metadata.tables[Event.__tablename__]
# States after which a delivery waiting for this one may go (with the article's link if it was sent).
_SETTLED = (DeliveryState.SENT.value, DeliveryState.FAILED.value, DeliveryState.CANCELLED.value)


_AWAITED = aliased(Delivery)  # made once: aliasing a mapped class costs more than the query it is used in


def _unblocked() -> ColumnElement[bool]:
    """A delivery waits for nothing, or the delivery it waits for has settled."""
    return or_(
        Delivery.waits_for_id.is_(None),
        exists().where(_AWAITED.id == Delivery.waits_for_id, _AWAITED.state.in_(_SETTLED)),
    )


# --- the dispatcher's statements, built once: building one costs more than running it -----------------------------

_NEXT_DUE = select(func.min(Delivery.due_at)).where(
    Delivery.state.in_(_DUE_STATES), Delivery.ready.is_(True), _unblocked()
)
# per channel, its earliest open delivery: one row read through ix_deliveries_open_by_channel (migration 0006), where
# a min() over the join read every open row (4-5 ms a call on PostgreSQL with 20,000 waiting, once per daemon loop)
_EARLIEST_ON_CHANNEL = (
    select(Delivery.due_at)
    .where(Delivery.channel_id == Channel.id, Delivery.state.in_(_DUE_STATES), Delivery.ready.is_(True), _unblocked())
    .order_by(Delivery.due_at)
    .limit(1)
    .correlate(Channel)
    .scalar_subquery()
)
_NEXT_DUE_ON = select(func.min(_EARLIEST_ON_CHANNEL)).where(
    Channel.name.in_(bindparam("names", expanding=True)), Channel.paused.is_(False)
)
_ACTIVE_CHANNELS = select(Channel.id, Channel.name).where(
    Channel.name.in_(bindparam("names", expanding=True)), Channel.paused.is_(False)
)
_CLAIMABLE = (
    select(
        Delivery.id,
        Delivery.post_id,
        Delivery.attempts,
        Delivery.idempotency_key,
        Delivery.due_at,
        Delivery.waits_for_id,
    )
    .where(
        Delivery.channel_id == bindparam("channel_id"),
        Delivery.state.in_(_DUE_STATES),
        Delivery.ready.is_(True),
        Delivery.due_at <= bindparam("now"),
        _unblocked(),
    )
    .order_by(Delivery.due_at, Delivery.id)
    .limit(bindparam("limit"))
    .with_for_update(skip_locked=True)
)
_CLAIM = (
    update(_DELIVERIES)
    .where(_DELIVERIES.c.id.in_(bindparam("ids", expanding=True)))
    .values(
        state=DeliveryState.CLAIMED.value,
        attempts=_DELIVERIES.c.attempts + 1,
        lease_owner=bindparam("owner"),
        lease_until=bindparam("until"),
        updated_at=bindparam("now"),
    )
)
_POSTS = select(Post).where(Post.id.in_(bindparam("ids", expanding=True)))
_HELD = (
    select(Delivery.id)
    .where(
        Delivery.id.in_(bindparam("ids", expanding=True)),
        Delivery.lease_owner == bindparam("owner"),
        Delivery.state == DeliveryState.CLAIMED.value,
    )
    .with_for_update()
)
_CHANNEL_SUCCESS = (
    update(_CHANNELS).where(_CHANNELS.c.name == bindparam("b_name")).values(last_success_at=bindparam("b_at"))
)
_CHANNEL_ERROR = (
    update(_CHANNELS)
    .where(_CHANNELS.c.name == bindparam("b_name"))
    .values(last_error=bindparam("b_error"), last_error_at=bindparam("b_at"))
)


@functools.cache
def _outcome_update(columns: tuple[str, ...], refund: bool) -> Update:
    """The UPDATE for outcomes that set ``columns`` (named ``b_<column>`` in the parameters), built once per kind."""
    statement = (
        update(_DELIVERIES)
        .where(_DELIVERIES.c.id == bindparam("b_id"))
        .values({column: bindparam(f"b_{column}") for column in columns})
    )
    return statement.values(attempts=_DELIVERIES.c.attempts - 1) if refund else statement


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
    post: Post  # detached: read its fields, do not lazy-load
    link: str | None = None  # the website article's URL, when this delivery waited for it


@dataclass(frozen=True)
class Outcome:
    """What became of one claimed delivery, to be written by ``Store.record``."""

    delivery_id: int
    post_id: int
    channel: str
    state: DeliveryState
    reason: str | None = None
    remote_id: str | None = None
    remote_url: str | None = None
    due_at: datetime | None = None  # when it is to be tried again (retry_wait, queued)
    refund_attempt: bool = False  # the attempt never reached the platform: do not count it


def _outcome_values(outcome: Outcome, now: datetime) -> dict[str, Any]:
    """The delivery columns an outcome sets (besides ``attempts``, given back when ``refund_attempt``)."""
    values: dict[str, Any] = {
        "state": outcome.state.value,
        "updated_at": now,
        "lease_owner": None,
        "lease_until": None,
        "last_error": outcome.reason if outcome.state != DeliveryState.SENT else None,
    }
    if outcome.state == DeliveryState.SENT:
        values.update(sent_at=now, remote_id=outcome.remote_id, remote_url=outcome.remote_url)
    if outcome.due_at is not None:
        values["due_at"] = outcome.due_at
    return values


class Store:
    """Sessions and queries over one database."""

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
            # "heads": features developed side by side may each add a migration branch until a merge revision joins them
            command.upgrade(config, "heads")
        with self.engine.connect() as connection:
            heads = MigrationContext.configure(connection).get_current_heads()
        return "+".join(sorted(heads))

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
        with self.sessions() as session:
            if channels is None:
                return session.connection().scalar(_NEXT_DUE)
            return session.connection().scalar(_NEXT_DUE_ON, {"names": list(channels)})

    def claim_due(self, now: datetime, owner: str, lease: timedelta, limits: dict[str, int]) -> list[Claim]:
        """Take up to ``limits[channel]`` due deliveries per channel under a lease held by ``owner``.

        Rows are locked with ``FOR UPDATE SKIP LOCKED`` where the database has it (PostgreSQL), so several workers
        never take the same row; SQLite serialises writers with ``BEGIN IMMEDIATE``.
        """
        claims: list[Claim] = []
        if not limits:
            return claims
        with self.session() as session:
            connection = session.connection()
            channel_ids = connection.execute(_ACTIVE_CHANNELS, {"names": list(limits)}).all()
            taken: list[tuple[str, Any]] = []  # (channel, row), then updated and logged all together
            for channel_id, name in channel_ids:
                if limits[name] <= 0:
                    continue
                due = {"channel_id": channel_id, "now": now, "limit": limits[name]}
                taken.extend((name, row) for row in connection.execute(_CLAIMABLE, due))
            if not taken:
                return claims
            ids = [row.id for _, row in taken]
            connection.execute(_CLAIM, {"ids": ids, "owner": owner, "until": now + lease, "now": now})
            connection.execute(
                insert(_EVENTS),
                [
                    {
                        "at": now,
                        "actor": owner,
                        "action": "claim",
                        "post_id": row.post_id,
                        "delivery_id": row.id,
                        "from_state": None,
                        "to_state": DeliveryState.CLAIMED.value,
                        "reason": f"attempt {row.attempts + 1}",
                    }
                    for _, row in taken
                ],
            )
            posts = {p.id: p for p in session.scalars(_POSTS, {"ids": list({row.post_id for _, row in taken})})}
            awaited = {row.waits_for_id for _, row in taken if row.waits_for_id is not None}
            links: dict[int, str | None] = {}
            if awaited:
                query = select(Delivery.id, Delivery.remote_url).where(Delivery.id.in_(awaited))
                links = {id_: url for id_, url in session.execute(query)}
            claims = [
                Claim(
                    row.id,
                    row.post_id,
                    name,
                    row.attempts + 1,
                    row.idempotency_key,
                    row.due_at,
                    posts[row.post_id],
                    links.get(row.waits_for_id) if row.waits_for_id is not None else None,
                )
                for name, row in taken
            ]
        return claims

    def record(self, outcomes: Sequence[Outcome], owner: str, now: datetime) -> int:
        """Write the outcomes of sends made under ``owner``'s lease; returns how many rows changed.

        A row whose lease was taken back in the meantime (this worker was presumed dead) is left alone.
        """
        if not outcomes:
            return 0
        with self.session() as session:
            connection = session.connection()
            query = {"ids": [outcome.delivery_id for outcome in outcomes], "owner": owner}
            held = set(connection.execute(_HELD, query).scalars())
            mine = [outcome for outcome in outcomes if outcome.delivery_id in held]
            # one executemany per kind of change (usually one: all sent) rather than a statement per row
            batches: dict[tuple[tuple[str, ...], bool], list[dict[str, Any]]] = {}
            for outcome in mine:
                values = _outcome_values(outcome, now)
                batch = batches.setdefault((tuple(values), outcome.refund_attempt), [])
                batch.append({"b_id": outcome.delivery_id} | {f"b_{key}": value for key, value in values.items()})
            for (columns, refund), rows in batches.items():
                connection.execute(_outcome_update(columns, refund), rows)
            if mine:
                connection.execute(
                    insert(_EVENTS),
                    [
                        {
                            "at": now,
                            "actor": owner,
                            "action": "delivery." + outcome.state.value,
                            "post_id": outcome.post_id,
                            "delivery_id": outcome.delivery_id,
                            "from_state": DeliveryState.CLAIMED.value,
                            "to_state": outcome.state.value,
                            "reason": outcome.reason,
                        }
                        for outcome in mine
                    ],
                )
            self._channel_health(session, outcomes, now)
        return len(mine)

    def _channel_health(self, session: Session, outcomes: Sequence[Outcome], now: datetime) -> None:
        last: dict[str, Outcome] = {}
        for outcome in sorted(outcomes, key=lambda o: o.channel):  # one lock order on PostgreSQL: no deadlock
            last[outcome.channel] = outcome
        success = [{"b_name": name, "b_at": now} for name, o in last.items() if o.state == DeliveryState.SENT]
        errors = [
            {"b_name": name, "b_error": o.reason, "b_at": now}
            for name, o in last.items()
            if o.state != DeliveryState.SENT and o.reason
        ]
        connection = session.connection()
        if success:
            connection.execute(_CHANNEL_SUCCESS, success)
        if errors:
            connection.execute(_CHANNEL_ERROR, errors)

    def set_paused(self, channel: str, paused: bool, reason: str | None, now: datetime, actor: str) -> None:
        with self.session() as session:
            row = session.scalar(select(Channel).where(Channel.name == channel))
            if row is None:
                raise LookupError(f"channel {channel} is not in the database; run `publisher init`")
            row.paused = paused
            row.paused_by, row.probe_at = (actor if paused else None), None  # a person's pause: no automatic probe
            if reason and paused:
                row.last_error, row.last_error_at = reason, now
            action = "channel.pause" if paused else "channel.resume"
            session.add(Event(at=now, actor=actor, action=action, reason=f"{channel}: {reason or ''}"))
            if not paused:
                self.notify_due(session)

    def reclaim_expired(self, now: datetime, resend_channels: set[str], actor: str) -> list[Outcome]:
        """Take back deliveries whose worker died mid-send (the lease ran out).

        On channels that can prove absence or drop repeats (``resend_channels``) they are tried again; elsewhere the
        post may have gone out, so they become ``uncertain`` for a person to resolve.
        """
        taken: list[Outcome] = []
        with self.session() as session:
            rows = session.execute(
                select(Delivery.id, Delivery.post_id, Delivery.lease_owner, Channel.name)
                .join(Channel)
                .where(Delivery.state == DeliveryState.CLAIMED.value, Delivery.lease_until < now)
                .with_for_update(skip_locked=True, of=Delivery)  # lock the deliveries only, not their channels
            ).all()
            for row in rows:
                if row.name in resend_channels:
                    state, why = DeliveryState.RETRY_WAIT, f"lease of {row.lease_owner} expired; trying again"
                else:
                    state, why = (
                        DeliveryState.UNCERTAIN,
                        f"lease of {row.lease_owner} expired while sending: it may have gone out",
                    )
                values: dict[str, Any] = {
                    "state": state.value,
                    "lease_owner": None,
                    "lease_until": None,
                    "updated_at": now,
                    "last_error": why,
                }
                if state == DeliveryState.RETRY_WAIT:
                    values["due_at"] = now
                session.execute(update(Delivery).where(Delivery.id == row.id).values(**values))
                session.add(
                    Event(
                        at=now,
                        actor=actor,
                        action="delivery." + state.value,
                        post_id=row.post_id,
                        delivery_id=row.id,
                        from_state=DeliveryState.CLAIMED.value,
                        to_state=state.value,
                        reason=why,
                    )
                )
                taken.append(Outcome(row.id, row.post_id, row.name, state, reason=why))
        return taken

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

    # --- the media store (publisher/media.py) ----------------------------------------------------------------------

    def put_media(self, media: Media) -> bool:
        """Add ``media`` unless a row with its hash exists (same hash, same bytes); True if it was added."""
        try:
            with self.session() as session:
                if session.get(Media, media.sha256) is not None:
                    return False
                session.add(media)
        except IntegrityError:  # another process stored the same bytes between our look and our insert
            return False
        return True

    def get_media(self, sha256: str) -> Media | None:
        with self.sessions() as session:
            return session.get(Media, sha256)

    def existing_media(self, hashes: Sequence[str]) -> set[str]:
        """Which of ``hashes`` are in the media store (without reading their bytes)."""
        if not hashes:
            return set()
        with self.sessions() as session:
            return set(session.scalars(select(Media.sha256).where(Media.sha256.in_(list(hashes)))))


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
        if parsed.database and parsed.database != ":memory:" and not parsed.database.startswith("file:"):
            Path(parsed.database).expanduser().parent.mkdir(parents=True, exist_ok=True)  # not for URI filenames
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


# --- read queries for the CLI and the console ---------------------------------------------------------------------


@dataclass(frozen=True, kw_only=True)
class PostFilter:
    state: str | None = None  # a delivery state, or a post approval state (pending, rejected, ...)
    channel: str | None = None
    campaign: str | None = None
    due_from: datetime | None = None
    due_to: datetime | None = None
    limit: int = 200


def list_deliveries(store: Store, where: PostFilter) -> list[tuple[Post, Delivery]]:
    """Deliveries with their posts, by due time, filtered."""
    from publisher.models import Campaign

    query = select(Post, Delivery).join(Delivery, Delivery.post_id == Post.id).join(Channel)
    if where.state:
        query = query.where(or_(Delivery.state == where.state, Post.approval == where.state))
    if where.channel:
        query = query.where(Channel.name == where.channel)
    if where.campaign:
        query = query.join(Campaign, Campaign.id == Post.campaign_id).where(Campaign.name == where.campaign)
    if where.due_from:
        query = query.where(Delivery.due_at >= where.due_from)
    if where.due_to:
        query = query.where(Delivery.due_at < where.due_to)
    query = query.order_by(Delivery.due_at, Delivery.id).limit(where.limit)
    with store.sessions() as session:
        return [(row[0], row[1]) for row in session.execute(query).unique().all()]


def post_history(store: Store, post_id: int) -> tuple[Post | None, list[Event]]:
    with store.sessions() as session:
        post = session.get(Post, post_id)
        if post is None:
            return None, []
        _ = [d.channel for d in post.deliveries]  # load while the session is open
        events = list(session.scalars(select(Event).where(Event.post_id == post_id).order_by(Event.id)))
        return post, events


def list_rows(store: Store, model: type[Any], order: Any) -> list[Any]:
    with store.sessions() as session:
        return list(session.scalars(select(model).order_by(order)))


def queue_depth(store: Store, now: datetime) -> dict[str, dict[str, int]]:
    """Per channel: how many deliveries are in each state, and how many open ones are overdue."""
    with store.sessions() as session:
        rows = session.execute(
            select(Channel.name, Delivery.state, func.count()).join(Delivery).group_by(Channel.name, Delivery.state)
        ).all()
        late = session.execute(
            select(Channel.name, func.count())
            .join(Delivery)
            .where(Delivery.state.in_(_DUE_STATES), Delivery.ready.is_(True), Delivery.due_at < now)
            .group_by(Channel.name)
        ).all()
    depth: dict[str, dict[str, int]] = {}
    for name, state, count in rows:
        depth.setdefault(name, {})[state] = count
    for name, count in late:
        depth.setdefault(name, {})["overdue"] = count
    return depth


# --- the web console's sessions (publisher.web.accounts) -------------------------------------------------------------


def add_web_session(store: Store, row: WebSession) -> None:
    with store.session() as session:
        session.add(row)


def web_session(store: Store, session_id: str) -> WebSession | None:
    with store.sessions() as session:
        return session.get(WebSession, session_id)


def touch_web_session(store: Store, session_id: str, now: datetime) -> None:
    with store.session() as session:
        session.execute(update(WebSession).where(WebSession.id == session_id).values(last_seen_at=now))


def end_web_session(store: Store, session_id: str, user_id: int | None = None) -> bool:
    """Delete one session (only if it is ``user_id``'s, when given); False if there was none."""
    query = delete(WebSession).where(WebSession.id == session_id)
    if user_id is not None:
        query = query.where(WebSession.user_id == user_id)
    with store.session() as session:
        return bool(session.execute(query).rowcount)  # type: ignore[attr-defined]


def end_user_web_sessions(session: Session, user_id: int, keep: str | None = None) -> int:
    """In the caller's transaction: delete every session of ``user_id`` but ``keep``; returns how many ended."""
    query = delete(WebSession).where(WebSession.user_id == user_id)
    if keep is not None:
        query = query.where(WebSession.id != keep)
    return int(session.execute(query).rowcount)  # type: ignore[attr-defined]


def user_web_sessions(store: Store, user_id: int) -> list[WebSession]:
    with store.sessions() as session:
        query = select(WebSession).where(WebSession.user_id == user_id).order_by(WebSession.created_at.desc())
        return list(session.scalars(query))


def prune_web_sessions(store: Store, now: datetime, idle_since: datetime) -> None:
    """Delete the sessions past their absolute lifetime or idle since before ``idle_since``."""
    with store.session() as session:
        session.execute(
            delete(WebSession).where(or_(WebSession.expires_at <= now, WebSession.last_seen_at < idle_since))
        )
