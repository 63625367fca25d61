"""Posting windows and quiet hours as a rule every path obeys.

A channel's ``posting_windows`` and ``quiet_hours`` (config; ``publisher.slots`` reads them) say when it may post.
A delivery due at a time its channel may not post waits for the next time it may:

- when a post is queued, by any path (``post add``, the console, the JSON API, a recurring schedule, a report's
  announcement), ``Queue.add_post`` moves that channel's due time to the window's end and says so in the history;
- when a delivery comes due anyway (a retry, a late approval, hours changed since it was queued), the dispatcher
  gives it back with the window's end as its due time, unsent and its attempt not counted.

A person may override the rule when queueing (``post add --ignore-quiet-hours``, the console's tick, the API's
``allow_quiet_hours``): the override is an event in the post's history, and the dispatcher reads it there.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable, Mapping
from datetime import datetime
from typing import TYPE_CHECKING

from publisher.slots import Hours, next_free_slot

if TYPE_CHECKING:
    from publisher.config import Settings

__all__ = ["Hold", "PostingHours"]


@dataclasses.dataclass(frozen=True)
class Hold:
    """A delivery that may not go out at ``when``: it waits until ``until``."""

    channel: str
    when: datetime
    until: datetime
    kind: str  # "quiet" (in a quiet period) or "outside" (outside every posting window)
    spans: str  # e.g. "21:00-07:30"

    @property
    def why(self) -> str:
        """E.g. ``"in quiet hours 21:00-07:30"``: the words ``publisher/web/messages.py`` translates."""
        return f"in quiet hours {self.spans}" if self.kind == "quiet" else f"outside the posting windows {self.spans}"

    def describe(self, timezone: str) -> str:
        from publisher.times import local

        return f"{self.channel}: {local(self.when, timezone)} is {self.why}; waits until {local(self.until, timezone)}"


class PostingHours:
    """Each channel's posting hours; a channel not named may post at any time."""

    def __init__(self, hours: Mapping[str, Hours] | None = None) -> None:
        self._hours = {name: h for name, h in (hours or {}).items() if not h.always}

    @classmethod
    def from_settings(cls, settings: Settings) -> PostingHours:
        return cls({name: Hours.parse(c.posting_windows, c.quiet_hours) for name, c in settings.channels.items()})

    def __bool__(self) -> bool:
        return bool(self._hours)

    def of(self, channel: str) -> Hours:
        return self._hours.get(channel, Hours())

    def conflicts(self, channels: Iterable[str], when: datetime, timezone: str) -> dict[str, tuple[str, str]]:
        """Channel -> ("quiet" | "outside", the spans), for the channels that may not post at ``when``."""
        found = {name: self.of(name).conflict(when, timezone) for name in channels}
        return {name: conflict for name, conflict in found.items() if conflict}

    def hold(self, channel: str, when: datetime, timezone: str) -> Hold | None:
        """None if ``channel`` may post at ``when``; else until when a delivery due then waits."""
        hours = self._hours.get(channel)
        conflict = hours.conflict(when, timezone) if hours is not None else None
        if hours is None or conflict is None:
            return None
        until = next_free_slot(hours, when, timezone)
        if until is None:  # no allowed minute within the horizon: the config allows none, so do not hold for ever
            return None
        return Hold(channel, when, until, *conflict)
