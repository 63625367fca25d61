"""When a source is polled next: the adaptive interval and the error backoff, as pure functions of its state.

- A poll that finds a new entry halves the source's interval (not below ``min_interval``); a poll that finds
  nothing new (304, the same bytes, or only entries already seen) makes it half as long again (not above
  ``max_interval``). So a source settles near how often it really changes.
- A failed poll leaves the interval alone and waits ``min_interval × 2^(errors-1)``, at most ``backoff_max``, or
  longer if the server said ``Retry-After``.
"""

from __future__ import annotations

import dataclasses
from datetime import datetime, timedelta

from publisher.tracker.settings import TrackerSettings

__all__ = ["Schedule", "after_error", "after_success", "first_poll"]

GROW, SHRINK = 1.5, 0.5


@dataclasses.dataclass(frozen=True)
class Schedule:
    interval: float  # seconds
    next_poll_at: datetime


def first_poll(settings: TrackerSettings, now: datetime) -> Schedule:
    """A new source is polled at once, then every ``min_interval`` until it shows how often it changes."""
    return Schedule(settings.min_interval, now)


def after_success(settings: TrackerSettings, interval: float, changed: bool, now: datetime) -> Schedule:
    factor = SHRINK if changed else GROW
    interval = min(settings.max_interval, max(settings.min_interval, interval * factor))
    return Schedule(interval, now + timedelta(seconds=interval))


def after_error(
    settings: TrackerSettings, interval: float, errors: int, now: datetime, retry_after: float | None = None
) -> Schedule:
    """``errors`` counts this failure too (1 after the first)."""
    wait = min(settings.backoff_max, settings.min_interval * 2 ** max(0, errors - 1))
    if retry_after is not None:
        wait = max(wait, min(retry_after, settings.backoff_max))
    return Schedule(interval, now + timedelta(seconds=wait))
