"""The queueing rules: what may be queued, approved, cancelled, rescheduled and resolved, and by what path.

Every request is checked in full before anything is written, so a refusal leaves the database as it was. Every
change appends to the event log. The CLI and the web console call these functions and hold no rules of their own.
"""

from __future__ import annotations

import dataclasses
import enum
import uuid
from collections.abc import Mapping, Sequence
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

from adapters.base import Adapter, PostContent
from adapters.errors import Permanent
from publisher.clock import Clock
from publisher.errors import NotFoundError, ValidationError
from publisher.logs import log_event
from publisher.media import check_post_images
from publisher.models import (
    WAITING_STATES,
    Action,
    ApprovalState,
    Campaign,
    Delivery,
    DeliveryState,
    Post,
    PostState,
    Schedule,
)
from publisher.scheduler import check_timezone, cron_trigger, occurrences
from publisher.services.windows import Hold, PostingHours
from publisher.store import Conflict, Session, Store
from publisher.store.events import add_event
from publisher.store.posts import (
    advance_schedule,
    campaign_named,
    campaign_names,
    channel_ids,
    enabled_schedules,
    make_waiting_ready,
    schedule_named,
    skip_schedule_to,
)
from publisher.store.schedules import active_posts_of_campaign, active_posts_of_schedule, detach_schedule_posts
from publisher.times import local

if TYPE_CHECKING:
    from apscheduler.triggers.cron import CronTrigger

__all__ = ["KEEP", "PostDraft", "Queue", "SameApproverError", "check_link", "content_for"]

#: how far ahead recurring schedules are turned into posts, so they can be seen and approved before they go out
SCHEDULE_HORIZON = timedelta(days=1)
#: an occurrence missed by longer than this (the daemon was down) is skipped and logged, not sent late in a burst
MISFIRE_GRACE = timedelta(hours=1)
#: bounds on what one post may hold, whoever queues it (CLI, console, API): far above any channel's real limit
#: (a long article is ~20,000 characters), low enough that no request can make the daemon hold megabytes per post
MAX_ID = 2**63 - 1  # ids are 64-bit signed in both stores: a larger one names nothing
MAX_TITLE = 200  # characters
MAX_BODY = 120_000  # characters
MAX_IMAGES = 20
MAX_TAGS = 30
MAX_TAG = 50  # characters


class _Keep(enum.Enum):
    KEEP = "keep"


#: an edit's "leave this as it is" (None would mean "clear it")
KEEP = _Keep.KEEP


@dataclasses.dataclass(kw_only=True)
class PostDraft:
    title: str
    body: str
    channels: Sequence[str]
    at: datetime | None = None  # aware; None with now=True means "as soon as possible"
    now: bool = False
    campaign: str | None = None
    link: str | None = None
    images: Sequence[str] = ()
    tags: Sequence[str] = ()
    author: str | None = None
    #: aware; when the event the post announces happens (SMS templates' ``event_date``), not when it is sent
    event_at: datetime | None = None
    overrides: Mapping[str, Mapping[str, str]] = dataclasses.field(default_factory=dict)
    #: send at ``at`` even where it falls in a channel's quiet hours or outside its posting windows (a person said so)
    ignore_quiet_hours: bool = False


class SameApproverError(ValidationError):
    """The campaign requires two people, and the would-be approver wrote or queued the post."""

    @property
    def campaign(self) -> str:
        return str(self.params["campaign"])


def check_link(link: str | None) -> None:
    """A post's link must be a web address: a ``javascript:``, ``data:`` or ``file:`` link would run or open
    something in the reader's browser (and in the approver's preview)."""
    if link is None or not link.strip():
        return
    try:
        parts = urlsplit(link.strip())
    except ValueError:
        parts = None
    if parts is None or parts.scheme.lower() not in ("http", "https") or not parts.netloc:
        scheme = parts.scheme if parts and parts.scheme and parts.scheme.isascii() else ""
        if scheme:
            raise ValidationError.of(
                "the link must be a web address starting with http:// or https:// (it has a {scheme} link)",
                scheme=f'"{scheme[:20]}:"',  # quoted: what the person typed
            )
        raise ValidationError.of(
            "the link must be a web address starting with http:// or https:// (it has no http:// or https:// at its "
            "start)"
        )


def content_for(
    post: Post, channel: str, timezone: str, due_at: datetime | None = None, link: str | None = None
) -> PostContent:
    """The post as ``channel``'s adapter sees it, with that channel's overrides applied. ``link`` is the website
    article's URL, for a delivery that waited for it."""
    override = post.overrides.get(channel, {}) if post.overrides else {}
    return PostContent(
        title=override.get("title", post.title),
        body=override.get("body", post.body),
        link=post.link or link,
        images=tuple(post.images or ()),
        tags=tuple(post.tags or ()),
        author=post.author,
        campaign=post.campaign.name if post.campaign else None,
        timezone=timezone,
        due_at=due_at,
        event_at=post.event_at,
    )


def added_reason(post: Post, due: datetime, timezone: str, channels: Sequence[str]) -> str:
    """What a new post's ``post.add`` event says: when and where it goes, and whether it waits for approval."""
    why = f"due {local(due, timezone)} on {', '.join(channels)}"
    return why + "; waits for approval" if post.approval == ApprovalState.PENDING else why


class Queue:
    def __init__(
        self,
        store: Store,
        adapters: Mapping[str, Adapter],
        clock: Clock,
        *,
        timezone: str = "UTC",
        actor: str = "cli",
        may_name_author: bool = True,
        hours: PostingHours | None = None,
    ) -> None:
        self.store = store
        #: the channels' posting windows and quiet hours: a delivery due outside them waits for them
        self.hours = hours or PostingHours()
        #: the deliveries the last ``add_post`` or ``reschedule`` moved to their window's end, for the face to say so
        self.last_holds: list[Hold] = []
        self.adapters = adapters
        self.clock = clock
        self.timezone = timezone
        self.actor = actor
        #: whether the actor may name someone else as a post's author (an admin, the operator at the CLI); others
        #: are the author of what they queue
        self.may_name_author = may_name_author

    # --- campaigns ----------------------------------------------------------------------------------------------

    def add_campaign(
        self,
        name: str,
        *,
        timezone: str = "UTC",
        starts_at: datetime | None = None,
        ends_at: datetime | None = None,
        requires_approval: bool = False,
        separate_approver: bool | None = None,
    ) -> Campaign:
        """``separate_approver`` (default: on when approval is required): a post's author may not approve it."""
        name = name.strip()
        if not name:
            raise ValidationError.of("a campaign needs a name")
        check_timezone(timezone)
        if starts_at and ends_at and ends_at < starts_at:
            raise ValidationError.of("the campaign ends before it starts", cli=": check --start and --end")
        now = self.clock.now()
        with self.store.session() as session:
            if campaign_named(session, name) is not None:
                raise ValidationError.of("a campaign called {name!r} already exists", name=name)
            campaign = Campaign(
                name=name,
                timezone=timezone,
                starts_at=starts_at,
                ends_at=ends_at,
                requires_approval=requires_approval,
                separate_approver=requires_approval if separate_approver is None else separate_approver,
                created_at=now,
            )
            session.add(campaign)
            session.flush()
            self._event(session, Action.CAMPAIGN_ADD, reason=f"campaign {name} ({timezone})")
        return campaign

    def edit_campaign(
        self,
        name: str,
        *,
        timezone: str | _Keep = KEEP,
        starts_at: datetime | _Keep | None = KEEP,
        ends_at: datetime | _Keep | None = KEEP,
        requires_approval: bool | _Keep = KEEP,
        separate_approver: bool | _Keep = KEEP,
    ) -> Campaign:
        """Change what is given; ``KEEP`` leaves a field as it is, None clears a date. Posts already queued keep
        their times; a new end does not cancel them (the message of ``end_campaign`` says how many wait)."""
        if timezone is not KEEP:
            check_timezone(timezone)
        with self.store.session() as session:
            campaign = self._campaign(session, name)
            start = campaign.starts_at if starts_at is KEEP else starts_at
            end = campaign.ends_at if ends_at is KEEP else ends_at
            if start is not None and end is not None and end <= start:
                raise ValidationError.of("the campaign would end before it starts", cli=": check --start and --end")
            changes: list[str] = []
            if timezone is not KEEP and timezone != campaign.timezone:
                changes.append(f"zone {campaign.timezone} -> {timezone}")
                campaign.timezone = timezone
            if start != campaign.starts_at:
                changes.append(f"start {_iso(campaign.starts_at)} -> {_iso(start)}")
                campaign.starts_at = start
            if end != campaign.ends_at:
                changes.append(f"end {_iso(campaign.ends_at)} -> {_iso(end)}")
                campaign.ends_at = end
            if requires_approval is not KEEP and requires_approval != campaign.requires_approval:
                changes.append(f"approval {'required' if requires_approval else 'not required'}")
                campaign.requires_approval = requires_approval
            if separate_approver is not KEEP and separate_approver != campaign.separate_approver:
                changes.append("two people approve" if separate_approver else "anyone approves")
                campaign.separate_approver = separate_approver
            if not changes:
                raise ValidationError.of("nothing to change: campaign {name} is already like that", name=name)
            self._event(session, Action.CAMPAIGN_EDIT, reason=f"campaign {campaign.name}: {'; '.join(changes)}")
            session.flush()
            session.expunge(campaign)
        return campaign

    def end_campaign(self, name: str, at: datetime | None = None) -> tuple[Campaign, int]:
        """End the campaign at ``at`` (default: now): no post may be queued after it. Returns the campaign and how
        many of its posts still wait to go out after the end (they are not cancelled: a person decides)."""
        now = self.clock.now()
        end = at or now
        with self.store.session() as session:
            campaign = self._campaign(session, name)
            if campaign.starts_at is not None and end <= campaign.starts_at:
                raise ValidationError.of("campaign {name} starts after that time; give a later end", name=name)
            before = campaign.ends_at
            campaign.ends_at = end
            late = {
                d.post_id
                for post in active_posts_of_campaign(session, campaign.id)
                for d in post.deliveries
                if d.state in WAITING_STATES and d.due_at >= end
            }
            why = f"campaign {campaign.name}: ends {_iso(end)} (was {_iso(before)})"
            if late:
                why += f"; {len(late)} posts still wait past the end"
            self._event(session, Action.CAMPAIGN_END, reason=why)
            session.flush()
            session.expunge(campaign)
        return campaign, len(late)

    def author_of(self, requested: str | None) -> str:
        """The author a new post gets: the acting person, unless they may name someone else (an admin)."""
        name = (requested or "").strip()
        if not name or name == self.actor:
            return self.actor
        if not self.may_name_author:
            raise ValidationError.of(
                "only an admin may name someone else as the author; leave the author out (it is you, {actor})",
                actor=self.actor,
            )
        return name

    def campaign_timezone(self, name: str | None) -> str:
        if name is None:
            return self.timezone
        with self.store.sessions() as session:
            return self._campaign(session, name).timezone

    # --- posts --------------------------------------------------------------------------------------------------

    def add_post(
        self, draft: PostDraft, *, schedule: Schedule | None = None, occurrence: datetime | None = None
    ) -> int:
        """Queue a post on its channels; returns its id. Refuses (writing nothing) anything that cannot go out."""
        now = self.clock.now()
        self.last_holds = []
        title, author = self.check_draft(draft)
        due = now if draft.at is None else draft.at
        # images: media-store references that exist, or https:// addresses; never a path the daemon would open
        check_post_images(self.store, draft.images)
        # a unique key broken (a schedule's occurrence made twice, by two daemons) is raised as store.Conflict
        with self.store.unique_write() as session:
            campaign = self._campaign(session, draft.campaign) if draft.campaign else None
            timezone = campaign.timezone if campaign else self.timezone
            post = self.draft_post(draft, campaign, title, author, now, schedule=schedule, occurrence=occurrence)
            session.add(post)
            session.flush()
            deliveries = self.new_deliveries(post, draft.channels, due, now, channel_ids(session))
            session.add_all(deliveries.values())
            self._wait_for_article(session, post, deliveries)
            self._apply_hours(session, deliveries, timezone, draft.ignore_quiet_hours)
            why = added_reason(post, due, timezone, draft.channels)
            self._event(session, Action.POST_ADD, post_id=post.id, to_state=post.approval, reason=why)
            if post.approval != ApprovalState.PENDING:
                self.store.notify_due(session)
            return post.id

    @staticmethod
    def new_deliveries(
        post: Post, channels: Sequence[str], due: datetime, now: datetime, ids: Mapping[str, int]
    ) -> dict[str, Delivery]:
        """A new post's deliveries, one per channel (``ids``: the channels' row ids), ready unless it waits for
        approval; each with its own idempotency key."""
        deliveries: dict[str, Delivery] = {}
        for name in channels:
            if name not in ids:
                raise ValidationError.of(
                    "channel {name} is not in the database yet", cli="; run `publisher init`", name=name
                )
            deliveries[name] = Delivery(
                post_id=post.id,
                channel_id=ids[name],
                due_at=due,
                state=DeliveryState.QUEUED,
                ready=post.approval != ApprovalState.PENDING,
                idempotency_key=f"pub-{post.id}-{name}-{uuid.uuid4().hex[:12]}",
                updated_at=now,
            )
        return deliveries

    def check_draft(self, draft: PostDraft) -> tuple[str, str]:
        """The checks of a new post that need no database (``add_post``'s and a bulk import's); returns its title
        and author."""
        title = draft.title.strip()
        if not title:
            raise ValidationError.of("the post needs a title", cli=" (--title, or `title:` in the file's front matter)")
        check_link(draft.link)
        author = self.author_of(draft.author)
        _check_bounds(draft)
        if not draft.channels:
            raise ValidationError.of(
                "choose at least one channel", cli=" with --channel NAME (see `publisher channel list`)"
            )
        unknown = [c for c in draft.channels if c not in self.adapters]
        if unknown:
            known = ", ".join(sorted(self.adapters)) or "none"
            raise ValidationError.of(
                "unknown channel {names}: configured channels are {known}", names=", ".join(unknown), known=known
            )
        if len(set(draft.channels)) != len(draft.channels):
            raise ValidationError.of("a channel is named twice; name each channel once")
        for channel in draft.overrides:
            if channel not in draft.channels:
                raise ValidationError.of(
                    "an override is given for {channel}, which the post is not queued on", channel=channel
                )
        if draft.at is None and not draft.now:
            raise ValidationError.of("say when", cli=": --at TIME, or --now to send as soon as possible")
        if draft.at is not None and draft.now:
            raise ValidationError.of("give either", cli=" --at or --now, not both")
        return title, author

    def draft_post(
        self,
        draft: PostDraft,
        campaign: Campaign | None,
        title: str,
        author: str,
        now: datetime,
        *,
        schedule: Schedule | None = None,
        occurrence: datetime | None = None,
    ) -> Post:
        """The post ``draft`` makes, not yet added: refused if past, after its campaign's end or unfit for a
        channel. ``draft`` passed ``check_draft``."""
        timezone = campaign.timezone if campaign else self.timezone
        due = now if draft.at is None else draft.at
        if draft.at is not None and draft.at < now - timedelta(seconds=1) and schedule is None:
            raise ValidationError.of(
                "{at} is in the past; choose a later time", cli=" or use --now", at=local(draft.at, timezone)
            )
        if campaign is not None:
            _check_within_campaign(campaign, due)
        post = Post(
            campaign=campaign,
            title=title,
            body=draft.body,
            link=draft.link,
            images=list(draft.images),
            tags=list(draft.tags),
            author=author,
            event_at=draft.event_at,
            overrides={k: dict(v) for k, v in draft.overrides.items()},
            state=PostState.ACTIVE,
            approval=ApprovalState.PENDING if campaign and campaign.requires_approval else ApprovalState.NOT_REQUIRED,
            schedule_id=schedule.id if schedule else None,
            occurrence_at=occurrence,
            created_at=now,
            created_by=self.actor,
        )
        problems = [p for ch in draft.channels for p in self._check_fits(post, ch, timezone, due)]
        if problems:
            raise ValidationError.of("the post cannot go out as it is:\n  {problems}", problems="\n  ".join(problems))
        return post

    def _wait_for_article(self, session: Session, post: Post, deliveries: Mapping[str, Delivery]) -> None:
        """Without a link of its own, a post's other deliveries carry its website article's link: they go out once
        the article is published (or, if it fails, without the link)."""
        articles = [d for n, d in deliveries.items() if self.adapters[n].capabilities.articles]
        if post.link or not articles:
            return
        session.flush()
        for name, delivery in deliveries.items():
            if delivery is not articles[0] and not self.adapters[name].capabilities.articles:
                delivery.waits_for_id = articles[0].id

    def _apply_hours(self, session: Session, deliveries: Mapping[str, Delivery], timezone: str, override: bool) -> None:
        """A delivery due where its channel may not post waits for the window's end, unless a person overrode that:
        either way the post's history says so (the dispatcher reads the override there)."""
        holds = {name: self.hours.hold(name, d.due_at, timezone) for name, d in deliveries.items()}
        if not any(holds.values()):
            return
        session.flush()  # the deliveries' ids, for their events
        for name, hold in holds.items():
            if hold is None:
                continue
            delivery = deliveries[name]
            if override:
                why = f"{name}: sent at {hold.when.isoformat()} although {hold.why}, as {self.actor} chose"
                action = Action.DELIVERY_QUIET_OVERRIDE
            else:
                delivery.due_at = hold.until
                why = hold.describe(timezone)
                action = Action.DELIVERY_HELD
                self.last_holds.append(hold)
            self._event(session, action, post_id=delivery.post_id, delivery_id=delivery.id, reason=why)

    def _check_fits(self, post: Post, channel: str, timezone: str, due: datetime) -> list[str]:
        """What stops ``post`` from going out on ``channel``, as messages a person can act on."""
        adapter = self.adapters[channel]
        content = content_for(post, channel, timezone, due)
        try:
            payload = adapter.render(content)
        except Permanent as exc:
            return [f"{channel}: {exc.reason}"]
        problems = []
        limits = adapter.limits
        if limits.max_length is not None:
            length = limits.count(payload.text)
            if length > limits.max_length:
                problems.append(
                    f"{channel}: the text is {length} {limits.unit} long, over the limit of {limits.max_length}; "
                    f"shorten it or give {channel} its own shorter text"
                )
        if len(content.images) > limits.max_images:
            problems.append(f"{channel}: {len(content.images)} images, but it takes at most {limits.max_images}")
        return problems

    def preview(self, post_id: int) -> list[dict[str, Any]]:
        """Each channel's rendering of a post with its counted length against the limit."""
        rows: list[dict[str, Any]] = []
        with self.store.sessions() as session:
            post = self._post(session, post_id)
            timezone = post.campaign.timezone if post.campaign else self.timezone
            for delivery in post.deliveries:
                name = delivery.channel.name
                adapter = self.adapters.get(name)
                if adapter is None:
                    rows.append({"channel": name, "error": "no longer configured"})
                    continue
                try:
                    payload = adapter.render(content_for(post, name, timezone, delivery.due_at))
                except Permanent as exc:
                    rows.append({"channel": name, "error": exc.reason})
                    continue
                rows.append(
                    {
                        "channel": name,
                        "kind": adapter.kind,
                        "text": payload.text,
                        "length": adapter.limits.count(payload.text),
                        "limit": adapter.limits.max_length,
                        "unit": adapter.limits.unit,
                    }
                )
        return rows

    def cancel(self, post_id: int, reason: str | None = None) -> int:
        """Cancel every delivery of the post that has not gone out; returns how many were cancelled."""
        now = self.clock.now()
        with self.store.session() as session:
            post = self._post(session, post_id)
            if post.state == PostState.CANCELLED:
                raise ValidationError.of("post {id} is already cancelled", id=post_id)
            busy = [d.channel.name for d in post.deliveries if d.state == DeliveryState.CLAIMED]
            if busy:
                raise ValidationError.of(
                    "post {id} is being sent to {channels} right now; try again in a moment",
                    id=post_id,
                    channels=", ".join(busy),
                )
            cancelled = 0
            for delivery in post.deliveries:
                if delivery.state in WAITING_STATES:
                    self._move(session, delivery, DeliveryState.CANCELLED, now, reason or "cancelled")
                    cancelled += 1
            post.state = PostState.CANCELLED
            if post.approval == ApprovalState.PENDING:
                # nobody has to decide on it any more: it must not stay in the approvals list
                post.approval = ApprovalState.WITHDRAWN
            self._event(session, Action.POST_CANCEL, post_id=post_id, to_state=PostState.CANCELLED, reason=reason)
        return cancelled

    def retry(self, post_id: int, channel: str | None = None, note: str | None = None) -> int:
        """Queue the post's failed deliveries (or one channel's) again, due now, with fresh attempts: for a failure
        whose cause a person fixed (a token renewed, a group id corrected). Returns how many were queued."""
        now = self.clock.now()
        with self.store.session() as session:
            post = self._post(session, post_id)
            if post.state == PostState.CANCELLED:
                raise ValidationError.of("post {id} is cancelled; queue it again instead", id=post_id)
            if channel is not None and all(d.channel.name != channel for d in post.deliveries):
                raise ValidationError.of("post {id} is not queued on {channel}", id=post_id, channel=channel)
            targets = [
                d
                for d in post.deliveries
                if d.state == DeliveryState.FAILED and (channel is None or d.channel.name == channel)
            ]
            if not targets:
                if channel:
                    raise ValidationError.of(
                        "post {id} has no failed delivery on {channel} to retry", id=post_id, channel=channel
                    )
                raise ValidationError.of("post {id} has no failed delivery to retry", id=post_id)
            for delivery in targets:
                why = f"retried by {self.actor} after: {delivery.last_error or 'a failure'}" + (
                    f" ({note})" if note else ""
                )
                delivery.due_at = now
                delivery.attempts = 0
                self._move(session, delivery, DeliveryState.QUEUED, now, why)
            self.store.notify_due(session)
        return len(targets)

    def reschedule(
        self, post_id: int, when: datetime, channel: str | None = None, *, ignore_quiet_hours: bool = False
    ) -> int:
        """Move the post's waiting deliveries (or one channel's) to ``when``; returns how many moved. A channel that
        may not post then waits for its window's end, unless ``ignore_quiet_hours`` (recorded, as ``add_post``)."""
        now = self.clock.now()
        self.last_holds = []
        with self.store.session() as session:
            post = self._post(session, post_id)
            if when < now - timedelta(seconds=1):
                zone = post.campaign.timezone if post.campaign else self.timezone
                raise ValidationError.of("{at} is in the past; choose a later time", at=local(when, zone))
            if post.state == PostState.CANCELLED:
                raise ValidationError.of("post {id} is cancelled; queue it again instead", id=post_id)
            targets = [d for d in post.deliveries if channel is None or d.channel.name == channel]
            if channel is not None and not targets:
                raise ValidationError.of("post {id} is not queued on {channel}", id=post_id, channel=channel)
            moved = 0
            timezone = post.campaign.timezone if post.campaign else self.timezone
            for delivery in targets:
                if delivery.state in WAITING_STATES:
                    before = delivery.due_at
                    delivery.due_at = when
                    delivery.updated_at = now
                    self._event(
                        session,
                        Action.DELIVERY_RESCHEDULE,
                        post_id=post_id,
                        delivery_id=delivery.id,
                        reason=f"{local(before, timezone)} -> {local(when, timezone)}",
                    )
                    self._apply_hours(session, {delivery.channel.name: delivery}, timezone, ignore_quiet_hours)
                    moved += 1
            if moved == 0:
                raise ValidationError.of("post {id} has nothing waiting to be sent that could be moved", id=post_id)
            self.store.notify_due(session)
        return moved

    def resolve(self, post_id: int, action: str, channel: str | None = None, note: str | None = None) -> int:
        """For ``uncertain`` deliveries: ``sent`` (a person saw it went out) or ``resend`` (it did not)."""
        if action not in ("sent", "resend"):
            raise ValidationError.of(
                "resolve with", cli=" --sent (it went out) or --resend (it did not: send it again)"
            )
        now = self.clock.now()
        with self.store.session() as session:
            post = self._post(session, post_id)
            targets = [
                d
                for d in post.deliveries
                if d.state == DeliveryState.UNCERTAIN and (channel is None or d.channel.name == channel)
            ]
            if not targets:
                if channel:
                    raise ValidationError.of(
                        "post {id} has no uncertain delivery on {channel}", id=post_id, channel=channel
                    )
                raise ValidationError.of("post {id} has no uncertain delivery", id=post_id)
            for delivery in targets:
                why = f"resolved by {self.actor}: {action}" + (f" ({note})" if note else "")
                if action == "sent":
                    delivery.sent_at = delivery.sent_at or now
                    self._move(session, delivery, DeliveryState.SENT, now, why)
                else:
                    delivery.due_at = now
                    self._move(session, delivery, DeliveryState.QUEUED, now, why)
            if action == "resend":
                self.store.notify_due(session)
        return len(targets)

    def approve(self, post_id: int, note: str | None = None) -> None:
        now = self.clock.now()
        with self.store.session() as session:
            post = self._post(session, post_id)
            if post.approval != ApprovalState.PENDING:
                raise _not_awaiting_approval(post_id, post.approval)
            if post.state == PostState.CANCELLED:
                raise ValidationError.of("post {id} is cancelled", id=post_id)
            if post.campaign and post.campaign.separate_approver and self.actor in (post.author, post.created_by):
                raise SameApproverError.of(
                    "post {id} needs a second person: {person} wrote or queued it, and campaign {campaign} requires "
                    "someone else to approve it; ask another approver",
                    id=post_id,
                    person=self.actor,
                    campaign=post.campaign.name,
                )
            post.approval = ApprovalState.APPROVED
            post.approved_by = self.actor
            make_waiting_ready(session, post_id, now)
            self._event(session, Action.POST_APPROVE, post_id=post_id, to_state=ApprovalState.APPROVED, reason=note)
            self.store.notify_due(session)

    def reject(self, post_id: int, reason: str) -> None:
        if not reason or not reason.strip():
            raise ValidationError.of("say why the post is rejected", cli=': --reason "..." (the author will see it)')
        now = self.clock.now()
        with self.store.session() as session:
            post = self._post(session, post_id)
            if post.approval != ApprovalState.PENDING:
                raise _not_awaiting_approval(post_id, post.approval)
            post.approval = ApprovalState.REJECTED
            for delivery in post.deliveries:
                if delivery.state in WAITING_STATES:
                    self._move(session, delivery, DeliveryState.CANCELLED, now, f"rejected: {reason}")
            self._event(session, Action.POST_REJECT, post_id=post_id, to_state=ApprovalState.REJECTED, reason=reason)

    # --- recurring schedules ------------------------------------------------------------------------------------

    def add_schedule(
        self,
        name: str,
        *,
        cron: str,
        timezone: str,
        title: str,
        body: str,
        channels: Sequence[str],
        campaign: str | None = None,
    ) -> Schedule:
        now = self.clock.now()
        trigger = self._check_template(cron, timezone, title, body, channels, now)
        with self.store.session() as session:
            campaign_row = self._campaign(session, campaign) if campaign else None
            if schedule_named(session, name) is not None:
                raise ValidationError.of("a schedule called {name!r} already exists", name=name)
            schedule = Schedule(
                name=name,
                cron=cron,
                timezone=timezone,
                campaign_id=campaign_row.id if campaign_row else None,
                title=title,
                body=body,
                channels=list(channels),
                last_fired_at=now,
                created_at=now,
            )
            session.add(schedule)
            session.flush()
            upcoming = occurrences(trigger, now, now + timedelta(days=400), limit=1)
            self._event(
                session,
                Action.SCHEDULE_ADD,
                reason=f"{name}: {cron} ({timezone}); next {upcoming[0].isoformat() if upcoming else 'never'}",
            )
        return schedule

    def pause_schedule(self, name: str, reason: str | None = None) -> tuple[Schedule, int]:
        """Stop a schedule making posts, and cancel the posts it made ahead that have not gone out (they are made a
        day early, to be seen and approved). Returns the schedule and how many posts were cancelled."""
        with self.store.session() as session:
            schedule = self._schedule(session, name)
            if not schedule.enabled:
                raise ValidationError.of(
                    "schedule {name} is already paused", cli="; `schedule resume {name}` starts it again", name=name
                )
            schedule.enabled = False
            why = f"{name}: paused" + (f" ({reason})" if reason else "")
            cancelled = self._cancel_made_ahead(session, schedule, why)
            self._event(session, Action.SCHEDULE_PAUSE, reason=why + _cancelled_note(cancelled))
            session.flush()
            session.expunge(schedule)
        return schedule, cancelled

    def resume_schedule(self, name: str) -> tuple[Schedule, datetime | None]:
        """Start a paused schedule again from now: the occurrences it missed while paused are not made late.
        Returns the schedule and its next occurrence."""
        now = self.clock.now()
        with self.store.session() as session:
            schedule = self._schedule(session, name)
            if schedule.enabled:
                raise ValidationError.of("schedule {name} is not paused", name=name)
            schedule.enabled = True
            schedule.last_fired_at = max(now, schedule.last_fired_at or now)
            upcoming = occurrences(cron_trigger(schedule.cron, schedule.timezone), now, now + timedelta(days=400), 1)
            following = upcoming[0] if upcoming else None
            self._event(
                session,
                Action.SCHEDULE_RESUME,
                reason=f"{name}: resumed; next {following.isoformat() if following else 'never'}",
            )
            session.flush()
            session.expunge(schedule)
        return schedule, following

    def edit_schedule(
        self,
        name: str,
        *,
        cron: str | None = None,
        timezone: str | None = None,
        title: str | None = None,
        body: str | None = None,
        channels: Sequence[str] | None = None,
        campaign: str | _Keep | None = KEEP,
    ) -> tuple[Schedule, int]:
        """Change what is given (None and ``KEEP`` leave a field as it is). Posts the schedule already made ahead
        and that have not gone out are cancelled and made again from the new template. Checked in full first, as
        ``add_schedule`` checks. Returns the schedule and how many posts were made again."""
        now = self.clock.now()
        with self.store.sessions() as session:
            current = self._schedule(session, name)
            new_cron, new_zone = cron or current.cron, timezone or current.timezone
            new_title = current.title if title is None else title
            new_body = current.body if body is None else body
            new_channels = list(current.channels if channels is None else channels)
            campaign_row = session.get(Campaign, current.campaign_id) if current.campaign_id else None
            new_campaign = (campaign_row.name if campaign_row else None) if campaign is KEEP else campaign
        self._check_template(new_cron, new_zone, new_title, new_body, new_channels, now)
        with self.store.session() as session:
            schedule = self._schedule(session, name)
            campaign_id = self._campaign(session, new_campaign).id if new_campaign else None
            changes = [
                f"{what} {before!r} -> {after!r}"
                for what, before, after in (
                    ("cron", schedule.cron, new_cron),
                    ("zone", schedule.timezone, new_zone),
                    ("title", schedule.title, new_title),
                    ("channels", ", ".join(schedule.channels), ", ".join(new_channels)),
                )
                if before != after
            ]
            if new_body != schedule.body:
                changes.append("text changed")
            if campaign_id != schedule.campaign_id:
                changes.append(f"campaign -> {new_campaign or 'none'}")
            if not changes:
                raise ValidationError.of("nothing to change: schedule {name} is already like that", name=name)
            schedule.cron, schedule.timezone, schedule.title, schedule.body = new_cron, new_zone, new_title, new_body
            schedule.channels, schedule.campaign_id = new_channels, campaign_id
            why = f"{name}: {'; '.join(changes)}"
            cancelled = self._cancel_made_ahead(session, schedule, f"{name}: edited, made again")
            # made again from the new template at the next materialization, from now on
            if cancelled:
                schedule.last_fired_at = now
            self._event(session, Action.SCHEDULE_EDIT, reason=why + _cancelled_note(cancelled))
            session.flush()
            session.expunge(schedule)
        remade = len(self.materialize_schedules()) if cancelled and schedule.enabled else 0
        return schedule, remade

    def delete_schedule(self, name: str) -> int:
        """Delete a schedule for good. The posts it made ahead that have not gone out are cancelled; the ones that
        went out stay, with their history. Returns how many posts were cancelled."""
        with self.store.session() as session:
            schedule = self._schedule(session, name)
            cancelled = self._cancel_made_ahead(session, schedule, f"{name}: schedule deleted")
            detach_schedule_posts(session, schedule.id)
            self._event(
                session,
                Action.SCHEDULE_DELETE,
                reason=f"{name}: deleted ({schedule.cron}, {schedule.timezone})" + _cancelled_note(cancelled),
            )
            session.delete(schedule)
        return cancelled

    def _cancel_made_ahead(self, session: Session, schedule: Schedule, why: str) -> int:
        """Cancel the schedule's posts of which nothing has started to go out; returns how many."""
        now = self.clock.now()
        count = 0
        for post in active_posts_of_schedule(session, schedule.id):
            if not post.deliveries or any(d.state not in WAITING_STATES for d in post.deliveries):
                continue  # started (or went out): a person decides with `post cancel`
            for delivery in post.deliveries:
                self._move(session, delivery, DeliveryState.CANCELLED, now, why)
            post.state = PostState.CANCELLED
            if post.approval == ApprovalState.PENDING:
                post.approval = ApprovalState.WITHDRAWN
            self._event(session, Action.POST_CANCEL, post_id=post.id, to_state=PostState.CANCELLED, reason=why)
            count += 1
        return count

    def materialize_schedules(self, horizon: timedelta = SCHEDULE_HORIZON) -> list[int]:
        """Turn each occurrence of every schedule up to ``now + horizon`` into one post.

        Safe when several daemons run it at once: the unique key (schedule, occurrence) lets exactly one insert win.
        """
        now = self.clock.now()
        made: list[int] = []
        for schedule in enabled_schedules(self.store):
            trigger = cron_trigger(schedule.cron, schedule.timezone)
            after = schedule.last_fired_at or schedule.created_at
            due = occurrences(trigger, after, now + horizon)
            missed = [o for o in due if o < now - MISFIRE_GRACE]
            if missed:
                self._skip_missed(schedule, missed)
            campaign = self._campaign_of(schedule)
            for occurrence in due[len(missed) :]:
                if campaign is not None and campaign.ends_at is not None and occurrence >= campaign.ends_at:
                    self._stop_at_campaign_end(schedule, campaign)
                    break
                post_id = self._materialize_one(schedule, occurrence, campaign.name if campaign else None)
                if post_id is not None:
                    made.append(post_id)
        return made

    def _campaign_of(self, schedule: Schedule) -> Campaign | None:
        if schedule.campaign_id is None:
            return None
        with self.store.sessions() as session:
            return session.get(Campaign, schedule.campaign_id)

    def _stop_at_campaign_end(self, schedule: Schedule, campaign: Campaign) -> None:
        """A schedule's next post would fall after its campaign's end: pause it (once), saying why."""
        from publisher.times import local_end

        with self.store.session() as session:
            row = session.get(Schedule, schedule.id)
            if row is None or not row.enabled:
                return  # paused or deleted meanwhile (by a person, or by another daemon)
            row.enabled = False
            self._event(
                session,
                Action.SCHEDULE_PAST_END,
                reason=f"{schedule.name}: paused, its campaign {campaign.name} ended "
                f"{local_end(campaign.ends_at, campaign.timezone)}",
            )

    def _skip_missed(self, schedule: Schedule, missed: list[datetime]) -> None:
        with self.store.session() as session:
            if skip_schedule_to(session, schedule, missed[-1]):  # not skipped by another daemon meanwhile
                self._event(
                    session,
                    Action.SCHEDULE_MISSED,
                    reason=f"{schedule.name}: {len(missed)} occurrences from {missed[0].isoformat()} to "
                    f"{missed[-1].isoformat()} were missed while no daemon ran; skipped",
                )

    def _materialize_one(self, schedule: Schedule, occurrence: datetime, campaign: str | None) -> int | None:
        draft = PostDraft(
            title=schedule.title, body=schedule.body, channels=schedule.channels, at=occurrence, campaign=campaign
        )
        try:
            post_id = self.add_post(draft, schedule=schedule, occurrence=occurrence)
        except Conflict:
            post_id = None  # another daemon made this occurrence's post first
        advance_schedule(self.store, schedule.id, occurrence)
        return post_id

    def _check_template(
        self, cron: str, timezone: str, title: str, body: str, channels: Sequence[str], now: datetime
    ) -> CronTrigger:
        """Refuse a schedule whose posts could not go out; returns its trigger."""
        trigger = cron_trigger(cron, timezone)  # refuses a bad expression or zone
        if not title.strip():
            raise ValidationError.of("a schedule needs a title for the posts it makes", cli=" (--title)")
        _check_bounds(PostDraft(title=title, body=body, channels=channels))
        unknown = [c for c in channels if c not in self.adapters]
        if not channels or unknown:
            known = ", ".join(sorted(self.adapters))
            if unknown:
                raise ValidationError.of(
                    "choose channels from: {known} (unknown: {unknown})", known=known, unknown=", ".join(unknown)
                )
            raise ValidationError.of("choose channels from: {known}", known=known)
        if len(set(channels)) != len(channels):
            raise ValidationError.of("a channel is named twice; name each channel once")
        # render the template once now, so a text too long for a channel is refused today, not at the first firing
        probe = Post(title=title, body=body, images=[], tags=[], overrides={})
        problems = [p for ch in channels for p in self._check_fits(probe, ch, timezone, now)]
        if problems:
            raise ValidationError.of(
                "the schedule's posts could not go out:\n  {problems}", problems="\n  ".join(problems)
            )
        return trigger

    # --- helpers ------------------------------------------------------------------------------------------------

    def _schedule(self, session: Session, name: str) -> Schedule:
        schedule = schedule_named(session, name)
        if schedule is None:
            raise NotFoundError.of("there is no schedule {name!r}", cli="; see `publisher schedule list`", name=name)
        return schedule

    def _campaign(self, session: Session, name: str) -> Campaign:
        campaign = campaign_named(session, name)
        if campaign is None:
            names = ", ".join(campaign_names(session))
            if not names:
                raise NotFoundError.of(
                    "unknown campaign {name!r}; existing campaigns: none yet", cli=" (add one: campaign add)", name=name
                )
            raise NotFoundError.of(
                "unknown campaign {name!r}; existing campaigns: {names}",
                cli=" (add one: campaign add)",
                name=name,
                names=names,
            )
        return campaign

    def _post(self, session: Session, post_id: int) -> Post:
        post = session.get(Post, post_id)
        if post is None:
            raise NotFoundError.of("there is no post {id}", cli="; see `publisher post list`", id=post_id)
        return post

    def _move(self, session: Session, delivery: Delivery, to: DeliveryState, now: datetime, why: str | None) -> None:
        self._event(
            session,
            Action.delivery(to),
            post_id=delivery.post_id,
            delivery_id=delivery.id,
            from_state=delivery.state,
            to_state=to,
            reason=why,
        )
        delivery.state = to
        delivery.updated_at = now
        if to != DeliveryState.CLAIMED:
            delivery.lease_owner = None
            delivery.lease_until = None

    def _event(
        self,
        session: Session,
        action: Action,
        *,
        post_id: int | None = None,
        delivery_id: int | None = None,
        from_state: str | None = None,
        to_state: str | None = None,
        reason: str | None = None,
    ) -> None:
        log_event(action, actor=self.actor, post=post_id, delivery=delivery_id, to=to_state, reason=reason)
        add_event(
            session,
            at=self.clock.now(),
            actor=self.actor,
            action=action,
            post_id=post_id,
            delivery_id=delivery_id,
            from_state=from_state,
            to_state=to_state,
            reason=reason,
        )


def _cancelled_note(count: int) -> str:
    return f"; {count} posts made ahead cancelled" if count else ""


def _iso(when: datetime | None) -> str:
    return when.isoformat() if when else "none"


def _check_within_campaign(campaign: Campaign, due: datetime) -> None:
    """A post goes out before its campaign's end (``ends_at`` is excluded: a typed end date means through that day)."""
    from publisher.times import local, local_end

    if campaign.ends_at is not None and due >= campaign.ends_at:
        raise ValidationError.of(
            "campaign {name} ends {end}; this post is due {due}, after its end: choose an earlier time, or move the "
            "campaign's end",
            cli=" (campaign edit {name} --end DATE)",
            name=campaign.name,
            end=local_end(campaign.ends_at, campaign.timezone),
            due=local(due, campaign.timezone),
        )


def _not_awaiting_approval(post_id: int, approval: str) -> ValidationError:
    """The refusal to approve or reject a post that is not pending: a sentence per state, so that the console says
    the state in the reader's language too."""
    if approval == ApprovalState.APPROVED:
        return ValidationError.of("post {id} is not waiting for approval (it is approved)", id=post_id)
    if approval == ApprovalState.REJECTED:
        return ValidationError.of("post {id} is not waiting for approval (it is rejected)", id=post_id)
    if approval == ApprovalState.WITHDRAWN:
        return ValidationError.of("post {id} is not waiting for approval (it is withdrawn)", id=post_id)
    return ValidationError.of("post {id} is not waiting for approval (it is not_required)", id=post_id)


def _check_bounds(draft: PostDraft) -> None:
    """Refuse a post over the sizes every channel shares (``MAX_*`` above), with the size found and the limit."""
    # each text has its own sentence (not "the {what}"), so that the console can say it whole in Chinese
    title = draft.title.strip()
    if len(title) > MAX_TITLE:
        raise ValidationError.of(
            "the title is {length} characters long, over the limit of {most}; shorten it",
            length=len(title),
            most=MAX_TITLE,
        )
    if len(draft.body) > MAX_BODY:
        raise ValidationError.of(
            "the body is {length} characters long, over the limit of {most}; shorten it",
            length=len(draft.body),
            most=MAX_BODY,
        )
    for channel, override in draft.overrides.items():
        own_title, own_text = override.get("title", ""), override.get("body", "")
        if len(own_title) > MAX_TITLE:
            raise ValidationError.of(
                "the {channel}'s own title is {length} characters long, over the limit of {most}; shorten it",
                channel=channel,
                length=len(own_title),
                most=MAX_TITLE,
            )
        if len(own_text) > MAX_BODY:
            raise ValidationError.of(
                "the {channel}'s own text is {length} characters long, over the limit of {most}; shorten it",
                channel=channel,
                length=len(own_text),
                most=MAX_BODY,
            )
    if len(draft.images) > MAX_IMAGES:
        raise ValidationError.of(
            "the post has {count} images, over the limit of {most}; remove some",
            count=len(draft.images),
            most=MAX_IMAGES,
        )
    if len(draft.tags) > MAX_TAGS:
        raise ValidationError.of(
            "the post has {count} tags, over the limit of {most}; remove some", count=len(draft.tags), most=MAX_TAGS
        )
    long_tag = next((tag for tag in draft.tags if len(tag) > MAX_TAG), None)
    if long_tag is not None:
        raise ValidationError.of(
            "the tag {tag!r}... is over the limit of {most} characters; shorten it", tag=long_tag[:20], most=MAX_TAG
        )
