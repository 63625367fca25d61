"""Reading times people type and showing stored times in a campaign's zone. Stored times are always UTC."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from publisher.errors import ValidationError

__all__ = ["FIRST_YEAR", "LAST_YEAR", "local", "local_end", "parse_time", "parse_until"]

_FORMATS = ("%Y-%m-%d %H:%M", "%Y-%m-%d %H:%M:%S", "%Y-%m-%dT%H:%M", "%Y-%m-%dT%H:%M:%S", "%Y-%m-%d")
#: the years a typed time may fall in: far enough from datetime's ends (1 and 9999) that moving it to any zone, or
#: adding the days the app adds (a whole day, a schedule's horizon), can never overflow
FIRST_YEAR, LAST_YEAR = 1900, 2999


def parse_time(text: str, timezone: str) -> datetime:
    """``text`` as an aware UTC datetime. A time without an offset is read in ``timezone``.

    Accepts ISO 8601 (``2026-12-01T16:00+08:00``, ``2026-12-01 16:00``). A local time that does not exist (skipped
    by a daylight-saving change) is refused rather than guessed.
    """
    from publisher.scheduler import check_timezone  # here: the scheduler imports APScheduler, slow to start

    zone = check_timezone(timezone)
    text = text.strip()
    parsed: datetime | None = None
    try:
        parsed = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        for fmt in _FORMATS:
            try:
                parsed = datetime.strptime(text, fmt)
                break
            except ValueError:
                continue
        if parsed is None:
            raise ValidationError.of(
                "cannot read the time {text!r}: write it as YYYY-MM-DD HH:MM (in {timezone}) "
                "or in ISO 8601 with an offset, e.g. 2026-12-01T16:00+08:00",
                text=text,
                timezone=timezone,
            ) from None
    if not FIRST_YEAR <= parsed.year <= LAST_YEAR:
        raise ValidationError.of(
            "the time {text!r} is out of range: give a date from the year {first} to {last}",
            text=text,
            first=FIRST_YEAR,
            last=LAST_YEAR,
        )
    if parsed.tzinfo is not None:
        return parsed.astimezone(UTC)
    candidate = parsed.replace(tzinfo=zone)
    round_trip = candidate.astimezone(UTC).astimezone(zone).replace(tzinfo=None)
    if round_trip != parsed:
        raise ValidationError.of(
            "{text} does not exist in {timezone} (the clocks skip it for daylight saving); choose another time",
            text=text,
            timezone=timezone,
        )
    return candidate.astimezone(UTC)


def local(when: datetime | None, timezone: str) -> str:
    """``when`` shown in ``timezone`` as ``YYYY-MM-DD HH:MM`` with the zone's abbreviation or offset."""
    if when is None:
        return "-"
    try:
        shown = when.astimezone(ZoneInfo(timezone))
    except OverflowError:  # a time at datetime's very end (from a feed, say) cannot move zones: show it in UTC
        return when.strftime("%Y-%m-%d %H:%M UTC")
    return shown.strftime("%Y-%m-%d %H:%M %Z")


def parse_until(text: str, timezone: str) -> datetime:
    """An end people type (``--end``, ``--to``): a date alone means through that whole day in ``timezone`` (the
    next midnight, excluded); a date with a time is taken as it is."""
    text = text.strip()
    if len(text) == 10 and text[4] == "-" and text[7] == "-":
        start = parse_time(text, timezone)
        day = start.astimezone(ZoneInfo(timezone)).date()
        following = datetime.combine(day, datetime.min.time()) + timedelta(days=1)
        return parse_time(following.strftime("%Y-%m-%d"), timezone)
    return parse_time(text, timezone)


def local_end(when: datetime | None, timezone: str) -> str:
    """An exclusive end shown as people say it: a local midnight is "through" the day before (2026-12-31, not
    2027-01-01 00:00); any other time as ``local`` shows it."""
    if when is None:
        return "-"
    shown = when.astimezone(ZoneInfo(timezone))
    if (shown.hour, shown.minute, shown.second, shown.microsecond) == (0, 0, 0, 0):
        return f"{(shown - timedelta(days=1)):%Y-%m-%d} (through that day)"
    return local(when, timezone)
