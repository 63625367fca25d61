"""The database tables, as typed SQLAlchemy 2.x models. The store (``publisher.store``) holds all queries.

Times are stored in UTC (``UTCDateTime`` gives aware datetimes back on every backend). The delivery row is the
truth about a send: its state machine is described in ``DeliveryState``.
"""

from __future__ import annotations

import enum
from datetime import UTC, datetime
from typing import Any, ClassVar

from sqlalchemy import (
    JSON,
    Boolean,
    DateTime,
    Dialect,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    String,
    Text,
    TypeDecorator,
    UniqueConstraint,
    false,
    text,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship

__all__ = [
    "OPEN_STATES",
    "SETTLED_STATES",
    "WAITING_STATES",
    "Action",
    "ApprovalState",
    "Base",
    "Campaign",
    "Channel",
    "Delivery",
    "DeliveryCheck",
    "DeliveryState",
    "Event",
    "Heartbeat",
    "Media",
    "OwnSource",
    "OwnSourceEntry",
    "Post",
    "PostState",
    "Schedule",
    "SharedValue",
    "TeamNotice",
    "WebhookDelivery",
    "WebhookSubscriber",
]


class UTCDateTime(TypeDecorator[datetime]):
    """A timestamp stored as UTC and always read back timezone-aware."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to the database; pass an aware datetime in UTC")
        value = value.astimezone(UTC)
        # SQLite keeps no zone: store the UTC wall time so that text comparison orders correctly
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


class Base(DeclarativeBase):
    type_annotation_map: ClassVar[dict[Any, Any]] = {datetime: UTCDateTime, dict[str, Any]: JSON, list[str]: JSON}


class PostState(enum.StrEnum):
    ACTIVE = "active"  # its deliveries go out when due (and when approved, if the campaign needs approval)
    CANCELLED = "cancelled"


class ApprovalState(enum.StrEnum):
    NOT_REQUIRED = "not_required"
    PENDING = "pending"
    APPROVED = "approved"
    REJECTED = "rejected"
    WITHDRAWN = "withdrawn"  # cancelled while it waited for approval: nobody needs to decide any more


class DeliveryState(enum.StrEnum):
    """queued → claimed → sent; claimed → retry_wait → claimed …; claimed → failed | uncertain; any open → cancelled.

    ``uncertain``: the request may have reached the platform. It stays until a person resolves it (mark sent, or
    resend), unless the adapter can prove the post absent.
    """

    QUEUED = "queued"
    CLAIMED = "claimed"
    RETRY_WAIT = "retry_wait"
    SENT = "sent"
    FAILED = "failed"
    UNCERTAIN = "uncertain"
    CANCELLED = "cancelled"

    @property
    def is_open(self) -> bool:
        return self in OPEN_STATES


# The groups of delivery states the code asks about, defined here once (the store's SQL predicates use them too).
#: waiting to go out: claimed by the dispatcher once due (and ready); may still be moved or cancelled
WAITING_STATES = frozenset({DeliveryState.QUEUED, DeliveryState.RETRY_WAIT})
#: not finished: waiting, or being sent right now
OPEN_STATES = WAITING_STATES | {DeliveryState.CLAIMED}
#: finished for good: a delivery that waits for one of these may go (with the article's link if it was sent)
SETTLED_STATES = frozenset({DeliveryState.SENT, DeliveryState.FAILED, DeliveryState.CANCELLED})


class Action(enum.StrEnum):
    """What an event records (``events.action``). The values are what older databases hold: never change one."""

    CLAIM = "claim"
    DELIVERY_QUEUED = "delivery.queued"
    DELIVERY_CLAIMED = "delivery.claimed"
    DELIVERY_RETRY_WAIT = "delivery.retry_wait"
    DELIVERY_SENT = "delivery.sent"
    DELIVERY_FAILED = "delivery.failed"
    DELIVERY_UNCERTAIN = "delivery.uncertain"
    DELIVERY_CANCELLED = "delivery.cancelled"
    DELIVERY_RESCHEDULE = "delivery.reschedule"
    DELIVERY_QUIET_OVERRIDE = "delivery.quiet_override"  # queued to go out in its channel's quiet hours anyway
    DELIVERY_HELD = "delivery.held"  # due in its channel's quiet hours (or outside its windows): moved to their end
    POST_ADD = "post.add"
    POST_CANCEL = "post.cancel"
    POST_APPROVE = "post.approve"
    POST_REJECT = "post.reject"
    POST_REPLACE = "post.replace"  # a console edit: the corrected copy names the post it replaces
    POST_REPLACED = "post.replaced"
    CAMPAIGN_ADD = "campaign.add"
    CAMPAIGN_RULES = "campaign.rules"
    CAMPAIGN_EDIT = "campaign.edit"
    CAMPAIGN_END = "campaign.end"
    SCHEDULE_ADD = "schedule.add"
    SCHEDULE_MISSED = "schedule.missed"
    SCHEDULE_PAUSE = "schedule.pause"
    SCHEDULE_RESUME = "schedule.resume"
    SCHEDULE_EDIT = "schedule.edit"
    SCHEDULE_DELETE = "schedule.delete"
    SCHEDULE_PAST_END = "schedule.past_end"  # an occurrence after its campaign's end: not made
    CHANNEL_PAUSE = "channel.pause"
    CHANNEL_RESUME = "channel.resume"
    OUTLET_CHANGE = "outlet.change"
    OUTLET_REMOVE = "outlet.remove"
    SOURCE_FAILING = "source.failing"
    SOURCE_RECOVERED = "source.recovered"
    COVERAGE_ADD = "coverage.add"
    COVERAGE_FOUND = "coverage.found"
    COVERAGE_REMOVE = "coverage.remove"
    USER_ADD = "user.add"
    USER_ROLE = "user.role"
    USER_ACTIVATE = "user.activate"
    USER_DEACTIVATE = "user.deactivate"
    USER_PASSWORD = "user.password"  # noqa: S105  (an event name, not a secret)
    USER_SIGN_OUT = "user.sign_out"
    TOKEN_CREATE = "token.create"  # noqa: S105
    TOKEN_REVOKE = "token.revoke"  # noqa: S105
    DELIVERY_TAKEN_DOWN = "delivery.taken_down"  # a sent post read back as gone or unpublished
    DELIVERY_BACK_ONLINE = "delivery.back_online"  # read back online again after that
    DELIVERY_COPIES_REMOVED = "delivery.copies_removed"  # extra copies a late request made, found at a read-back

    @classmethod
    def delivery(cls, state: DeliveryState) -> Action:
        """The event of a delivery moving to ``state``."""
        return cls(f"delivery.{state.value}")


class Campaign(Base):
    __tablename__ = "campaigns"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(200), unique=True)
    timezone: Mapped[str] = mapped_column(String(64), default="UTC")
    starts_at: Mapped[datetime | None]
    ends_at: Mapped[datetime | None]
    requires_approval: Mapped[bool] = mapped_column(Boolean, default=False)
    #: the approver must be someone other than the post's author and the person who queued it (two people)
    separate_approver: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    created_at: Mapped[datetime]


class Channel(Base):
    """A configured channel. Its settings and secrets live in the config file; the row holds what changes at run
    time (paused or not, health) and is what deliveries point to."""

    __tablename__ = "channels"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(100), unique=True)
    kind: Mapped[str] = mapped_column(String(50))
    paused: Mapped[bool] = mapped_column(Boolean, default=False)
    last_success_at: Mapped[datetime | None]
    last_error: Mapped[str | None] = mapped_column(Text)
    last_error_at: Mapped[datetime | None]
    created_at: Mapped[datetime]
    #: who paused it: "breaker" (the circuit breaker: resumed by itself after a successful probe) or a person or
    #: reason ("credentials", an actor's name): only the breaker's pauses are lifted automatically
    paused_by: Mapped[str | None] = mapped_column(String(200))
    #: when a breaker-paused channel is next probed (``adapter.check()``); any daemon may take the probe
    probe_at: Mapped[datetime | None]


class Post(Base):
    __tablename__ = "posts"
    __table_args__ = (
        # one post per occurrence of a recurring schedule, however many daemons fire it
        UniqueConstraint("schedule_id", "occurrence_at", name="uq_posts_schedule_occurrence"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    campaign_id: Mapped[int | None] = mapped_column(ForeignKey("campaigns.id"))
    title: Mapped[str] = mapped_column(String(500))
    body: Mapped[str] = mapped_column(Text)  # Markdown
    link: Mapped[str | None] = mapped_column(String(2000))
    images: Mapped[list[str]] = mapped_column(default=list)
    tags: Mapped[list[str]] = mapped_column(default=list)
    author: Mapped[str | None] = mapped_column(String(200))
    #: when the event the post announces happens (SMS ``event_date``); not when the post is sent
    event_at: Mapped[datetime | None]
    #: channel name -> {"title": ..., "body": ...}: a channel's own wording, where it differs
    overrides: Mapped[dict[str, Any]] = mapped_column(default=dict)
    state: Mapped[str] = mapped_column(String(20), default=PostState.ACTIVE)
    approval: Mapped[str] = mapped_column(String(20), default=ApprovalState.NOT_REQUIRED)
    approved_by: Mapped[str | None] = mapped_column(String(200))
    schedule_id: Mapped[int | None] = mapped_column(ForeignKey("schedules.id"))
    occurrence_at: Mapped[datetime | None]
    created_at: Mapped[datetime]
    created_by: Mapped[str | None] = mapped_column(String(200))

    campaign: Mapped[Campaign | None] = relationship(lazy="joined")
    deliveries: Mapped[list[Delivery]] = relationship(
        back_populates="post", order_by="Delivery.id", foreign_keys="Delivery.post_id"
    )


class Delivery(Base):
    """One post on one channel: the unit the dispatcher claims, sends and records."""

    __tablename__ = "deliveries"
    __table_args__ = (
        UniqueConstraint("post_id", "channel_id", name="uq_deliveries_post_channel"),
        # the dispatcher's one hot query: the next due open rows
        Index("ix_deliveries_state_due", "state", "due_at"),
        # claiming one channel's earliest open rows reads just those, in order, however long the backlog
        # (without it PostgreSQL sorted every due row of the channel at each claim: 5-25 ms with 20,000 waiting)
        Index(
            "ix_deliveries_open_by_channel",
            "channel_id",
            "due_at",
            "id",
            postgresql_where=text("state IN ('queued', 'retry_wait')"),
            sqlite_where=text("state IN ('queued', 'retry_wait')"),
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    post_id: Mapped[int] = mapped_column(ForeignKey("posts.id"))
    channel_id: Mapped[int] = mapped_column(ForeignKey("channels.id"))
    due_at: Mapped[datetime]
    state: Mapped[str] = mapped_column(String(20), default=DeliveryState.QUEUED)
    #: mirrors the post's readiness (active and approved if needed) so the due query needs no join
    ready: Mapped[bool] = mapped_column(Boolean, default=True)
    #: the website delivery of the same post whose article link this one carries: it is sent after that one ends
    waits_for_id: Mapped[int | None] = mapped_column(ForeignKey("deliveries.id"))
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    lease_owner: Mapped[str | None] = mapped_column(String(100))
    lease_until: Mapped[datetime | None]
    idempotency_key: Mapped[str] = mapped_column(String(100), unique=True)
    remote_id: Mapped[str | None] = mapped_column(String(500))
    remote_url: Mapped[str | None] = mapped_column(String(2000))
    last_error: Mapped[str | None] = mapped_column(Text)
    sent_at: Mapped[datetime | None]
    updated_at: Mapped[datetime]

    post: Mapped[Post] = relationship(back_populates="deliveries", foreign_keys=[post_id])
    channel: Mapped[Channel] = relationship(lazy="joined")


class Schedule(Base):
    """A recurring post: a template fired by a cron expression in a time zone."""

    __tablename__ = "schedules"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(200), unique=True)
    cron: Mapped[str] = mapped_column(String(200))
    timezone: Mapped[str] = mapped_column(String(64))
    campaign_id: Mapped[int | None] = mapped_column(ForeignKey("campaigns.id"))
    title: Mapped[str] = mapped_column(String(500))
    body: Mapped[str] = mapped_column(Text)
    channels: Mapped[list[str]] = mapped_column(default=list)
    enabled: Mapped[bool] = mapped_column(Boolean, default=True)
    #: the last occurrence turned into a post; the next one is computed from it
    last_fired_at: Mapped[datetime | None]
    created_at: Mapped[datetime]


class Event(Base):
    """The append-only log: what changed, when, by whom, why. Never updated or deleted (see ``store``)."""

    __tablename__ = "events"
    __table_args__ = (Index("ix_events_post", "post_id", "id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    at: Mapped[datetime]
    actor: Mapped[str] = mapped_column(String(200))
    action: Mapped[str] = mapped_column(String(50))
    post_id: Mapped[int | None] = mapped_column(ForeignKey("posts.id"))
    delivery_id: Mapped[int | None] = mapped_column(ForeignKey("deliveries.id"))
    from_state: Mapped[str | None] = mapped_column(String(20))
    to_state: Mapped[str | None] = mapped_column(String(20))
    reason: Mapped[str | None] = mapped_column(Text)
    #: the coverage item a ``coverage.found`` / ``coverage.add`` event is about (told to webhooks)
    coverage_id: Mapped[int | None] = mapped_column(Integer)


class Heartbeat(Base):
    """A running daemon, as ``publisher status`` shows it: written every few seconds, removed on a clean stop.

    ``name`` is the daemon's lease owner (``host:pid``), so its leases on deliveries can be joined to it. A row not
    refreshed for a while belongs to a daemon that died (or lost the database); it is pruned after a day.
    """

    __tablename__ = "daemons"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(200), unique=True)
    host: Mapped[str] = mapped_column(String(200))
    pid: Mapped[int] = mapped_column(Integer)
    started_at: Mapped[datetime]
    last_seen: Mapped[datetime]
    in_flight: Mapped[int] = mapped_column(Integer, default=0)  # sends started and not yet answered
    sent: Mapped[int] = mapped_column(Integer, default=0)  # sends answered since it started
    channels: Mapped[list[str]] = mapped_column(default=list)  # the channels it sends to


class Media(Base):
    """An image in the media store, named by the SHA-256 of its bytes: a post refers to it as ``media:<sha256>``.

    In the database rather than a folder so that every daemon on one PostgreSQL reads the same files. Rows are only
    added (the same bytes twice are one row), after ``adapters.media.check_image`` accepted them.
    """

    __tablename__ = "media"

    sha256: Mapped[str] = mapped_column(String(64), primary_key=True)
    mime: Mapped[str] = mapped_column(String(50))
    size: Mapped[int] = mapped_column(Integer)
    width: Mapped[int] = mapped_column(Integer)
    height: Mapped[int] = mapped_column(Integer)
    name: Mapped[str] = mapped_column(String(255))  # the uploaded file's name, for people
    data: Mapped[bytes] = mapped_column(LargeBinary)
    alt: Mapped[str | None] = mapped_column(Text)  # what the picture shows, for readers who cannot see it
    created_at: Mapped[datetime]
    created_by: Mapped[str] = mapped_column(String(200))


class SharedValue(Base):
    """A small value every daemon shares, with its expiry: an adapter's access token (WeChat's), what an adapter did
    for a delivery key. ``lease_owner``/``lease_until``: the daemon renewing it now, so one renews at a time."""

    __tablename__ = "shared_values"

    name: Mapped[str] = mapped_column(String(300), primary_key=True)
    value: Mapped[str] = mapped_column(Text)
    expires_at: Mapped[datetime] = mapped_column(index=True)
    lease_owner: Mapped[str | None] = mapped_column(String(200))
    lease_until: Mapped[datetime | None]


class DeliveryCheck(Base):
    """A sent delivery read back on its platform (``publisher.services.readback``): whether the post is still
    online, and its counts. ``round`` checks done of the schedule (1 hour, 1 day, 3 days, 7 days after sending);
    ``next_at`` the next (None: done). Claimed under a lease, so several daemons check each once."""

    __tablename__ = "delivery_checks"
    __table_args__ = (Index("ix_delivery_checks_due", "next_at"),)

    delivery_id: Mapped[int] = mapped_column(ForeignKey("deliveries.id"), primary_key=True)
    round: Mapped[int] = mapped_column(Integer, default=0)
    next_at: Mapped[datetime | None]
    state: Mapped[str | None] = mapped_column(String(10))  # online | gone | hidden | unknown
    detail: Mapped[str | None] = mapped_column(Text)
    metrics: Mapped[dict[str, Any]] = mapped_column(default=dict)
    checked_at: Mapped[datetime | None]
    lease_owner: Mapped[str | None] = mapped_column(String(200))
    lease_until: Mapped[datetime | None]


class OwnSource(Base):
    """Our own website's feed, announced on other channels (``publisher source add``): each new article becomes a
    post on ``channels``, under ``campaign``'s approval rule (``publisher.services.announce``). ``primed``: the first
    read has marked what the feed already held as seen, so subscribing does not flood the queue."""

    __tablename__ = "own_sources"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(200), unique=True)
    feed: Mapped[str] = mapped_column(Text)
    channels: Mapped[list[str]] = mapped_column(default=list)
    campaign_id: Mapped[int | None] = mapped_column(ForeignKey("campaigns.id"))
    primed: Mapped[bool] = mapped_column(Boolean, default=False)
    etag: Mapped[str | None] = mapped_column(String(500))
    last_modified: Mapped[str | None] = mapped_column(String(100))
    next_poll_at: Mapped[datetime] = mapped_column(index=True)
    last_polled_at: Mapped[datetime | None]
    last_error: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime]
    created_by: Mapped[str] = mapped_column(String(200))


class OwnSourceEntry(Base):
    """An article of an own source, seen: by its guid and its canonical link (either one names it), and the post
    that announced it (None for what the feed held when it was added)."""

    __tablename__ = "own_source_entries"
    __table_args__ = (
        UniqueConstraint("source_id", "guid_hash", name="uq_own_source_entries_guid"),
        UniqueConstraint("source_id", "link_hash", name="uq_own_source_entries_link"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    source_id: Mapped[int] = mapped_column(ForeignKey("own_sources.id", ondelete="CASCADE"))
    guid_hash: Mapped[str | None] = mapped_column(String(40))
    link_hash: Mapped[str | None] = mapped_column(String(40))
    post_id: Mapped[int | None] = mapped_column(ForeignKey("posts.id"))
    seen_at: Mapped[datetime]


class TeamNotice(Base):
    """A word sent to the team's group (``publisher.services.team``), by what it is about: ``approval:12`` (post 12
    waits for approval), ``failed:34`` / ``uncertain:34`` (delivery 34), ``summary:2026-12-04:阅读月``. The unique
    subject is the claim: one daemon inserts it, then queues the message (``post_id``)."""

    __tablename__ = "team_notices"

    id: Mapped[int] = mapped_column(primary_key=True)
    subject: Mapped[str] = mapped_column(String(300), unique=True)
    post_id: Mapped[int | None] = mapped_column(ForeignKey("posts.id"))
    created_at: Mapped[datetime]


class WebhookSubscriber(Base):
    """Another system told of events (``publisher.services.webhooks``): its address, its signing secret (sealed:
    only a key from the environment opens it) and the actions it wants, as ``,post.approve,delivery.sent,`` (the
    store's trigger on ``events`` matches an action between commas)."""

    __tablename__ = "webhook_subscribers"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(100), unique=True)
    url: Mapped[str] = mapped_column(String(2000))
    secret_sealed: Mapped[str] = mapped_column(Text)
    actions: Mapped[str] = mapped_column(String(1000))
    active: Mapped[bool] = mapped_column(Boolean, default=True)  # false: removed from new events (the admin's switch)
    #: set when it kept failing: its deliveries wait until an admin resumes it
    paused_reason: Mapped[str | None] = mapped_column(Text)
    paused_at: Mapped[datetime | None]
    failures: Mapped[int] = mapped_column(Integer, default=0)  # failed attempts in a row
    created_by: Mapped[str | None] = mapped_column(String(200))
    created_at: Mapped[datetime]


class WebhookDelivery(Base):
    """One event for one subscriber: the outbox row, written by the database's trigger in the transaction that
    wrote the event, so none is lost or invented; one per (subscriber, event)."""

    __tablename__ = "webhook_deliveries"
    __table_args__ = (
        UniqueConstraint("subscriber_id", "event_id", name="uq_webhook_deliveries_event"),
        Index("ix_webhook_deliveries_due", "state", "next_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    subscriber_id: Mapped[int] = mapped_column(ForeignKey("webhook_subscribers.id", ondelete="CASCADE"))
    event_id: Mapped[int] = mapped_column(ForeignKey("events.id"))
    state: Mapped[str] = mapped_column(String(20))  # queued, delivered, failed
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    next_at: Mapped[datetime]
    lease_owner: Mapped[str | None] = mapped_column(String(200))
    lease_until: Mapped[datetime | None]
    body: Mapped[str | None] = mapped_column(Text)  # the JSON as first sent: every retry and resend sends it again
    last_status: Mapped[int | None] = mapped_column(Integer)
    last_error: Mapped[str | None] = mapped_column(Text)
    last_attempt_at: Mapped[datetime | None]
    delivered_at: Mapped[datetime | None]
    created_at: Mapped[datetime]
