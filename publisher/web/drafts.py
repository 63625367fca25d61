"""A post being composed: read from the compose form (or the API's JSON), turned into the core's ``PostDraft``, and
shown as each channel will get it.

The counting and the limits are the adapters' own (``render`` and ``limits``), the refusal is the queue's
(``Queue.add_post``), the windows and quiet hours are ``publisher.slots``: this module only puts them side by side.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from adapters.errors import Permanent
from publisher.errors import ValidationError
from publisher.models import Campaign, Post
from publisher.queue import PostDraft, content_for
from publisher.slots import next_common_slot, next_free_slot
from publisher.times import parse_time
from publisher.web.console import Console
from publisher.web.i18n import Translate

__all__ = ["ChannelPreview", "Draft", "Preview", "describe_conflicts", "preview", "quiet_conflicts"]


@dataclasses.dataclass
class Draft:
    """The compose form's fields, as typed."""

    title: str = ""
    body: str = ""
    campaign: str = ""
    channels: list[str] = dataclasses.field(default_factory=list)
    at: str = ""  # "YYYY-MM-DDTHH:MM" (a datetime-local input) in the campaign's zone
    asap: bool = False
    event_at: str = ""  # when the event itself happens (SMS event_date), same form and zone as ``at``
    link: str = ""
    images: list[str] = dataclasses.field(default_factory=list)
    tags: list[str] = dataclasses.field(default_factory=list)
    overrides: dict[str, str] = dataclasses.field(default_factory=dict)  # channel -> its own text
    confirm_quiet: bool = False
    replaces: int | None = None  # the post this one corrects (edit)

    @classmethod
    def from_form(cls, form: Any, channels: Sequence[str]) -> Draft:
        def text(name: str) -> str:
            value = form.get(name)
            return value.strip() if isinstance(value, str) else ""

        chosen = [c for c in form.getlist("channels") if isinstance(c, str) and c in channels]
        replaces = text("replaces")
        return cls(
            title=text("title"),
            body=text("body"),
            campaign=text("campaign"),
            channels=chosen,
            at=text("at"),
            asap=text("asap") in ("1", "on", "true"),
            event_at=text("event_at"),
            link=text("link"),
            images=[line.strip() for line in text("images").splitlines() if line.strip()],
            tags=[tag.strip() for tag in text("tags").replace("，", ",").split(",") if tag.strip()],
            overrides={c: text(f"override_{c}") for c in channels if text(f"override_{c}")},
            confirm_quiet=text("confirm_quiet") in ("1", "on", "true"),
            # ASCII digits only ("²".isdigit() is true too), and within the 64-bit ids the store holds
            replaces=int(replaces) if replaces.isascii() and replaces.isdigit() and len(replaces) < 19 else None,
        )

    @classmethod
    def from_post(cls, post: Post, zone: str) -> Draft:
        """A form filled from an existing post, to correct it."""
        due = min((d.due_at for d in post.deliveries), default=None)
        return cls(
            title=post.title,
            body=post.body,
            campaign=post.campaign.name if post.campaign else "",
            channels=[d.channel.name for d in post.deliveries],
            at=due.astimezone(ZoneInfo(zone)).strftime("%Y-%m-%dT%H:%M") if due else "",
            event_at=post.event_at.astimezone(ZoneInfo(zone)).strftime("%Y-%m-%dT%H:%M") if post.event_at else "",
            link=post.link or "",
            images=list(post.images or []),
            tags=list(post.tags or []),
            overrides={c: o["body"] for c, o in (post.overrides or {}).items() if isinstance(o, dict) and "body" in o},
            replaces=post.id,
        )

    def when(self, zone: str) -> datetime | None:
        """The chosen time (UTC), or None for "as soon as possible" or nothing chosen; raises ``ValidationError``."""
        if self.asap or not self.at:
            return None
        return parse_time(self.at, zone)

    def to_post_draft(self, zone: str, author: str | None = None) -> PostDraft:
        return PostDraft(
            title=self.title,
            body=self.body,
            channels=self.channels,
            at=self.when(zone),
            now=self.asap,
            campaign=self.campaign or None,
            link=self.link or None,
            images=self.images,
            tags=self.tags,
            author=author,
            event_at=parse_time(self.event_at, zone) if self.event_at else None,
            overrides={c: {"body": text} for c, text in self.overrides.items() if c in self.channels},
            ignore_quiet_hours=self.confirm_quiet,  # the person ticked "send at this time anyway"
        )

    def _event_at(self, zone: str) -> datetime | None:
        """The event time for a preview: an unreadable one is refused on submit, not here."""
        try:
            return parse_time(self.event_at, zone) if self.event_at else None
        except ValidationError:
            return None

    def probe(self, zone: str) -> Post:
        """An unsaved post with these fields, for adapters to render."""
        post = Post(
            title=self.title,
            body=self.body,
            link=self.link or None,
            images=self.images,
            tags=self.tags,
            overrides={c: {"body": text} for c, text in self.overrides.items()},
            event_at=self._event_at(zone),
        )
        if self.campaign:
            post.campaign = Campaign(name=self.campaign, timezone=zone)
        return post


@dataclasses.dataclass
class ChannelPreview:
    channel: str
    kind: str
    text: str = ""
    error: str | None = None
    length: int = 0
    limit: int | None = None
    unit: str = "characters"
    images: int = 0
    max_images: int = 0
    slot: datetime | None = None  # the next free slot at or after the chosen time
    #: why the chosen time is not a posting time here, if it is not: ("quiet" | "outside", the spans)
    quiet: tuple[str, str] | None = None
    posting_windows: tuple[str, ...] = ()
    quiet_hours: tuple[str, ...] = ()

    @property
    def over(self) -> bool:
        return self.error is not None or (self.limit is not None and self.length > self.limit) or self.images_over

    @property
    def images_over(self) -> bool:
        return self.images > self.max_images


@dataclasses.dataclass
class Preview:
    zone: str
    when: datetime | None
    channels: list[ChannelPreview]
    common_slot: datetime | None
    time_error: ValidationError | None = None  # said in the reader's language by the template

    @property
    def blocked(self) -> bool:
        return any(c.over for c in self.channels)


def preview(console: Console, draft: Draft) -> Preview:
    """Each chosen channel's rendering, counted against its limit, with its next free slot."""
    zone = console.zone_of(draft.campaign or None)
    now = console.clock.now()
    time_error = None
    try:
        when = draft.when(zone)
    except ValidationError as exc:
        when, time_error = None, exc
    start = max(when or now, now)
    effective = when or (now if draft.asap else None)  # the time the posts would go out, if one is set
    probe = draft.probe(zone)
    rows: list[ChannelPreview] = []
    busy: dict[str, list[datetime]] = {}
    for name in draft.channels:
        adapter = console.adapters[name]
        settings = console.settings.channels[name]
        hours = console.hours(name)
        busy[name] = console.busy_around(name, start, except_post=draft.replaces)
        row = ChannelPreview(
            channel=name,
            kind=adapter.kind,
            limit=adapter.limits.max_length,
            unit=adapter.limits.unit,
            images=len(draft.images),
            max_images=adapter.limits.max_images,
            slot=next_free_slot(hours, start, zone, busy[name]),
            quiet=hours.conflict(effective, zone) if effective else None,
            posting_windows=settings.posting_windows,
            quiet_hours=settings.quiet_hours,
        )
        try:
            payload = adapter.render(content_for(probe, name, zone, when or now))
        except Permanent as exc:
            row.error = exc.reason
        else:
            row.text = payload.text
            row.length = adapter.limits.count(payload.text)
        rows.append(row)
    channels = {name: (console.hours(name), busy[name]) for name in draft.channels}
    common = next_common_slot(channels, start, zone) if channels else None
    return Preview(zone=zone, when=when, channels=rows, common_slot=common, time_error=time_error)


def quiet_conflicts(
    console: Console, channels: Sequence[str], when: datetime, zone: str
) -> Mapping[str, tuple[str, str]]:
    """Channel -> ("quiet" | "outside", the spans) for the channels where ``when`` is outside their posting times."""
    return console.posting_hours.conflicts(channels, when, zone)


def describe_conflicts(conflicts: Mapping[str, tuple[str, str]], t: Translate | None = None) -> str:
    """For the API and for refusals, in the reader's language when ``t`` is given (else English): "weibo: in quiet
    hours 22:00-07:00; ..."."""
    say = t or (lambda text, /, **values: text.format(**values))
    words = {"quiet": "in quiet hours {spans}", "outside": "outside the posting windows {spans}"}
    return "; ".join(f"{name}: {say(words[kind], spans=spans)}" for name, (kind, spans) in conflicts.items())
