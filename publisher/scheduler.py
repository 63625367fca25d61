"""The one module that imports APScheduler: cron parsing and the daemon's timers.

The database stays the source of truth; APScheduler only says *when* to look. Moving to APScheduler 4 later touches
this module alone.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Awaitable, Callable
from datetime import datetime, timedelta
from typing import Any, TypeVar
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from apscheduler.schedulers.asyncio import AsyncIOScheduler
from apscheduler.triggers.cron import CronTrigger
from apscheduler.triggers.date import DateTrigger
from apscheduler.triggers.interval import IntervalTrigger

from publisher.errors import ValidationError
from publisher.logs import log_event

_Done = TypeVar("_Done")


def waking_job(
    run: Callable[[], Awaitable[_Done]],
    *,
    woke: Callable[[_Done], bool],
    wake: Callable[[], None] | None,
    failed: str,
) -> Callable[[], Awaitable[None]]:
    """A daemon job around ``run``: the sender is woken when ``woke`` says the run queued something for it; a run
    that fails is logged as the event ``failed`` and the daemon goes on (the next call tries again)."""

    async def job() -> None:
        try:
            done = await run()
        except Exception as exc:  # the daemon must keep sending whatever a job meets
            log_event(failed, logging.ERROR, reason=f"{type(exc).__name__}: {exc}")
            return
        if wake is not None and woke(done):
            wake()

    return job


__all__ = ["Timers", "check_timezone", "cron_trigger", "occurrences", "waking_job"]

_DAY_NAMES = ["sun", "mon", "tue", "wed", "thu", "fri", "sat"]
_NUMERIC_PART = re.compile(r"^(\*|\d)(?:-(\d))?(?:/(\d+))?$")


def check_timezone(name: str) -> ZoneInfo:
    """The zone called ``name``, or a ValidationError saying how to name one."""
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        raise ValidationError.of(
            "unknown time zone {name!r}: use an IANA name such as Asia/Shanghai or Europe/Berlin", name=name
        ) from None


def _day_of_week(field: str) -> str:
    """Crontab counts weekdays from Sunday = 0 (7 is Sunday too); APScheduler from Monday = 0. Use names."""
    if field == "*" or not any(ch.isdigit() for ch in field):
        return field
    days: set[int] = set()
    for part in field.split(","):
        match = _NUMERIC_PART.match(part)
        if match is None:
            raise ValidationError.of(
                "day-of-week {field!r} mixes numbers and names in a way cron does not allow", field=field
            )
        start, end, step = match.groups()
        first = 0 if start == "*" else int(start)
        last = 6 if start == "*" else int(end) if end is not None else first
        if first > 7 or last > 7:
            raise ValidationError.of("day-of-week {field!r}: days are 0-7 (0 and 7 are Sunday)", field=field)
        days.update(day % 7 for day in range(first, last + 1, int(step or 1)))
    return ",".join(_DAY_NAMES[d] for d in sorted(days))


def cron_trigger(expression: str, timezone: str) -> CronTrigger:
    """A trigger for a five-field crontab expression (minute hour day month weekday) in ``timezone``.

    Raises ValidationError with the reason and an example when the expression is not valid.
    """
    zone = check_timezone(timezone)
    fields = expression.split()
    if len(fields) != 5:
        raise ValidationError.of(
            "invalid cron expression {expression!r}: it needs 5 fields (minute hour day month weekday), "
            "got {count}; for example {example} is every Wednesday at 16:00",
            expression=expression,
            count=len(fields),
            example='"0 16 * * WED"',
        )
    minute, hour, day, month, weekday = fields
    try:
        return CronTrigger(
            minute=minute,
            hour=hour,
            day=day,
            month=month,
            day_of_week=_day_of_week(weekday.lower()),
            timezone=zone,
        )
    except ValueError as exc:
        raise ValidationError.of(
            "invalid cron expression {expression!r}: {reason}", expression=expression, reason=exc
        ) from None


def occurrences(trigger: CronTrigger, after: datetime, until: datetime, limit: int = 1000) -> list[datetime]:
    """The trigger's fire times in (``after``, ``until``], in UTC, earliest first.

    A local time that happens twice (the hour a daylight-saving fall-back repeats) is one occurrence, the first:
    "every day at 01:30" makes one post that day, not two. Each fire time must be later on the local clock than the
    one before it (and than ``after``), which also steps past APScheduler handing back a time it already gave.
    """
    zone = trigger.timezone
    found: list[datetime] = []
    last_wall = after.astimezone(zone).replace(tzinfo=None)
    cursor = after + timedelta(microseconds=1)
    while len(found) < limit:
        fire: datetime | None = trigger.get_next_fire_time(None, cursor)
        if fire is None:
            break
        fire_utc = fire.astimezone(ZoneInfo("UTC"))
        if fire_utc > until:
            break
        wall = fire.astimezone(zone).replace(tzinfo=None)
        if fire_utc < cursor or wall <= last_wall:
            # the repeated hour of a fall-back: its local times were already had; look a minute later
            cursor = max(cursor, fire_utc) + timedelta(minutes=1)
            continue
        found.append(fire_utc)
        last_wall = wall
        cursor = fire_utc + timedelta(seconds=1)
    return found


class Timers:
    """The daemon's one scheduler: recurring jobs and a single "wake the dispatcher at" timer."""

    def __init__(self) -> None:
        self._scheduler = AsyncIOScheduler(job_defaults={"coalesce": True, "max_instances": 1})

    def start(self) -> None:
        self._scheduler.start()

    def shutdown(self) -> None:
        if self._scheduler.running:
            self._scheduler.shutdown(wait=False)

    def every(self, seconds: float, job: Callable[[], Awaitable[Any]], job_id: str) -> None:
        """Run ``job`` now and then every ``seconds``."""
        self._scheduler.add_job(
            job,
            IntervalTrigger(seconds=seconds),
            id=job_id,
            replace_existing=True,
            next_run_time=datetime.now(ZoneInfo("UTC")),
            misfire_grace_time=None,
        )

    def wake_at(self, when: datetime, job: Callable[[], Any]) -> None:
        """Run ``job`` once at ``when``, replacing the previous wake-up."""
        self._scheduler.add_job(
            job, DateTrigger(run_date=when), id="wake", replace_existing=True, misfire_grace_time=None
        )
