"""Posting windows and quiet hours: when a channel may post, and the next free slot on it.

A channel's config may say when it posts (``posting_windows = ["08:00-21:00"]``) and when it stays silent
(``quiet_hours = "22:00-07:00"``), as local times of day read in the campaign's time zone. A window whose end is
before its start wraps past midnight. A time is *allowed* when it falls in some posting window (or no window is
set) and in no quiet period. The *next free slot* is the first allowed time, at or after a given one, that is at
least ``gap`` away from every other delivery already planned on the channel.

Pure functions of their arguments: the console and the API call them, and the queue could.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable, Mapping, Sequence
from datetime import UTC, datetime, time, timedelta
from zoneinfo import ZoneInfo

__all__ = ["DEFAULT_GAP", "Hours", "Window", "next_common_slot", "next_free_slot"]

#: two posts on one channel closer than this crowd each other; the next free slot keeps them apart
DEFAULT_GAP = timedelta(minutes=30)
#: how far ahead a free slot is looked for
HORIZON = timedelta(days=14)
_MINUTE = timedelta(minutes=1)


@dataclasses.dataclass(frozen=True)
class Window:
    """A daily span of local time, ``start`` included and ``end`` excluded; it wraps midnight when end < start."""

    start: time
    end: time

    @classmethod
    def parse(cls, text: str) -> Window:
        """``"HH:MM-HH:MM"``; raises ``ValueError`` with a message saying how to write it."""
        parts = text.strip().split("-")
        if len(parts) != 2:
            raise ValueError(f'{text!r} is not a span of time; write it as "HH:MM-HH:MM", e.g. "22:00-07:00"')
        try:
            start, end = (time.fromisoformat(part.strip()) for part in parts)
        except ValueError:
            raise ValueError(f'{text!r}: times are written HH:MM (24-hour), e.g. "08:00-21:00"') from None
        if start == end:
            raise ValueError(f"{text!r} starts and ends at the same time; leave it out to mean the whole day")
        return cls(start.replace(second=0, microsecond=0), end.replace(second=0, microsecond=0))

    def contains(self, moment: time) -> bool:
        if self.start < self.end:
            return self.start <= moment < self.end
        return moment >= self.start or moment < self.end

    def __str__(self) -> str:
        return f"{self.start:%H:%M}-{self.end:%H:%M}"


@dataclasses.dataclass(frozen=True)
class Hours:
    """When one channel may post. No windows means any time of day; quiet periods are taken out of that."""

    windows: tuple[Window, ...] = ()
    quiet: tuple[Window, ...] = ()

    @classmethod
    def parse(cls, posting_windows: Iterable[str] = (), quiet_hours: Iterable[str] = ()) -> Hours:
        return cls(tuple(Window.parse(w) for w in posting_windows), tuple(Window.parse(q) for q in quiet_hours))

    @property
    def always(self) -> bool:
        return not self.windows and not self.quiet

    def conflict(self, when: datetime, timezone: str) -> tuple[str, str] | None:
        """None if ``when`` is allowed; else ``("quiet", "22:00-07:00")`` (in that quiet period) or
        ``("outside", "08:00-21:00")`` (outside every posting window, all listed)."""
        moment = when.astimezone(ZoneInfo(timezone)).time().replace(tzinfo=None)
        for quiet in self.quiet:
            if quiet.contains(moment):
                return "quiet", str(quiet)
        if self.windows and not any(w.contains(moment) for w in self.windows):
            return "outside", ", ".join(str(w) for w in self.windows)
        return None

    def why_not(self, when: datetime, timezone: str) -> str | None:
        """None if ``when`` is allowed; else why not, e.g. ``"in quiet hours 22:00-07:00"``."""
        found = self.conflict(when, timezone)
        if found is None:
            return None
        kind, spans = found
        return f"in quiet hours {spans}" if kind == "quiet" else f"outside the posting windows {spans}"

    def allows(self, when: datetime, timezone: str) -> bool:
        return self.conflict(when, timezone) is None

    def _next_boundary(self, after: datetime, zone: ZoneInfo) -> datetime:
        """The first instant after ``after`` at which being allowed may change (a window's or a quiet period's edge)."""
        edges = [t for w in (*self.windows, *self.quiet) for t in (w.start, w.end)]
        today = after.astimezone(zone).date()
        found = [
            datetime.combine(today + timedelta(days=offset), edge, tzinfo=zone).astimezone(UTC)
            for offset in (-1, 0, 1, 2)
            for edge in edges
        ]
        later = [moment for moment in found if moment > after]
        return min(later) if later else after + timedelta(days=1)


def _ceil_minute(when: datetime) -> datetime:
    floor = when.replace(second=0, microsecond=0)
    return floor if floor == when else floor + _MINUTE


def next_free_slot(
    hours: Hours,
    after: datetime,
    timezone: str,
    busy: Sequence[datetime] = (),
    *,
    gap: timedelta = DEFAULT_GAP,
    horizon: timedelta = HORIZON,
) -> datetime | None:
    """The first allowed whole minute at or after ``after`` that is at least ``gap`` from every time in ``busy``
    (the channel's other planned deliveries); None if there is none within ``horizon``. Times are aware, in UTC."""
    zone = ZoneInfo(timezone)
    candidate = _ceil_minute(after.astimezone(UTC))
    limit = candidate + horizon
    while candidate <= limit:
        if not hours.allows(candidate, timezone):
            candidate = _ceil_minute(hours._next_boundary(candidate, zone))
            continue
        clash = [b for b in busy if abs(b - candidate) < gap]
        if clash:
            candidate = _ceil_minute(max(clash) + gap)
            continue
        return candidate
    return None


def next_common_slot(
    channels: Mapping[str, tuple[Hours, Sequence[datetime]]],
    after: datetime,
    timezone: str,
    *,
    gap: timedelta = DEFAULT_GAP,
    horizon: timedelta = HORIZON,
) -> datetime | None:
    """The first time that is a free slot on every channel at once (name -> (hours, busy)); None if none is near."""
    candidate = _ceil_minute(after.astimezone(UTC))
    limit = candidate + horizon
    while candidate <= limit:
        latest = candidate
        for hours, busy in channels.values():
            slot = next_free_slot(hours, candidate, timezone, busy, gap=gap, horizon=limit - candidate)
            if slot is None:
                return None
            latest = max(latest, slot)
        if latest == candidate:
            return candidate
        candidate = latest
    return None
