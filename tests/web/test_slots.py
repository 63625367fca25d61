"""Posting windows, quiet hours and the next free slot (``publisher.slots``), and their config keys."""

from __future__ import annotations

from datetime import UTC, datetime, time, timedelta
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from publisher.config import load_settings
from publisher.errors import ConfigError
from publisher.slots import Hours, Window, next_common_slot, next_free_slot

SHANGHAI = "Asia/Shanghai"


def at(text: str) -> datetime:
    """A Shanghai wall time as UTC."""
    from publisher.times import parse_time

    return parse_time(text, SHANGHAI)


def test_windows_parse_and_wrap_midnight() -> None:
    night = Window.parse("22:00-07:00")
    assert night.contains(time(23, 30))
    assert night.contains(time(6, 59))
    assert not night.contains(time(7, 0))
    assert not night.contains(time(12, 0))
    day = Window.parse(" 08:00 - 21:00 ")
    assert day.contains(time(8, 0))
    assert not day.contains(time(21, 0))
    assert str(day) == "08:00-21:00"
    for bad, message in (
        ("8-21", "HH:MM"),
        ("08:00", "span of time"),
        ("09:00-09:00", "same time"),
        ("25:00-26:00", "HH:MM"),
    ):
        with pytest.raises(ValueError, match=message):
            Window.parse(bad)


def test_quiet_hours_and_windows_decide_what_is_allowed() -> None:
    hours = Hours.parse(["07:30-21:00"], ["12:00-13:30"])
    assert hours.allows(at("2026-12-02 08:00"), SHANGHAI)
    assert hours.conflict(at("2026-12-02 12:30"), SHANGHAI) == ("quiet", "12:00-13:30")
    assert hours.why_not(at("2026-12-02 22:00"), SHANGHAI) == "outside the posting windows 07:30-21:00"
    assert Hours().allows(at("2026-12-02 03:00"), SHANGHAI)
    assert Hours().always


def test_the_next_free_slot_skips_quiet_hours_and_keeps_posts_apart() -> None:
    hours = Hours.parse([], ["21:00-07:30"])
    assert next_free_slot(hours, at("2026-12-02 10:00"), SHANGHAI) == at("2026-12-02 10:00")
    assert next_free_slot(hours, at("2026-12-02 22:15"), SHANGHAI) == at("2026-12-03 07:30")
    busy = [at("2026-12-03 07:30"), at("2026-12-03 08:10")]
    assert next_free_slot(hours, at("2026-12-02 22:15"), SHANGHAI, busy) == at("2026-12-03 08:40")
    assert next_free_slot(hours, at("2026-12-02 10:00:20"), SHANGHAI) == at("2026-12-02 10:01")
    always_quiet = Hours.parse(["10:00-10:01"], ["10:00-10:01"])
    assert next_free_slot(always_quiet, at("2026-12-02 10:00"), SHANGHAI) is None


def test_the_common_slot_suits_every_channel() -> None:
    group = Hours.parse([], ["21:00-07:30"])
    office = Hours.parse(["09:00-17:00"])
    start = at("2026-12-02 20:00")
    channels = {"group": (group, [at("2026-12-03 09:00")]), "site": (office, [])}
    assert next_common_slot(channels, start, SHANGHAI) == at("2026-12-03 09:30")
    assert next_common_slot({}, start, SHANGHAI) == start


def test_slots_follow_daylight_saving_in_the_campaigns_zone() -> None:
    hours = Hours.parse(["09:00-17:00"])
    # New York leaves summer time on 2026-11-01: 09:00 local is 13:00 UTC before and 14:00 UTC after
    before = next_free_slot(hours, datetime(2026, 10, 31, 22, 0, tzinfo=UTC), "America/New_York")
    after = next_free_slot(hours, datetime(2026, 11, 1, 22, 0, tzinfo=UTC), "America/New_York")
    assert before == datetime(2026, 11, 1, 14, 0, tzinfo=UTC)
    assert after == datetime(2026, 11, 2, 14, 0, tzinfo=UTC)


minutes = st.integers(min_value=0, max_value=24 * 60 - 1)


def _window(start: int, length: int) -> str:
    end = (start + length) % (24 * 60)
    return f"{start // 60:02d}:{start % 60:02d}-{end // 60:02d}:{end % 60:02d}"


@settings(max_examples=60, deadline=None)
@given(
    window=st.tuples(minutes, st.integers(min_value=30, max_value=23 * 60)),
    quiet=st.lists(st.tuples(minutes, st.integers(min_value=1, max_value=10 * 60)), max_size=2),
    start=st.integers(min_value=0, max_value=3 * 24 * 60),
    busy=st.lists(st.integers(min_value=0, max_value=4 * 24 * 60), max_size=6),
    zone=st.sampled_from(["Asia/Shanghai", "UTC", "Asia/Kolkata"]),
)
def test_the_next_free_slot_is_the_first_minute_a_search_minute_by_minute_finds(
    window: tuple[int, int], quiet: list[tuple[int, int]], start: int, busy: list[int], zone: str
) -> None:
    hours = Hours.parse([_window(*window)], [_window(*q) for q in quiet])
    origin = datetime(2026, 12, 1, tzinfo=UTC)
    after = origin + timedelta(minutes=start)
    planned = [origin + timedelta(minutes=b) for b in busy]
    gap = timedelta(minutes=30)
    horizon = timedelta(days=3)
    found = next_free_slot(hours, after, zone, planned, gap=gap, horizon=horizon)
    expected = None
    for step in range(int(horizon.total_seconds() // 60) + 1):
        moment = after + timedelta(minutes=step)
        if hours.allows(moment, zone) and all(abs(b - moment) >= gap for b in planned):
            expected = moment
            break
    assert found == expected


def test_channel_keys_in_the_config_file(tmp_path: Path) -> None:
    config = tmp_path / "publisher.toml"
    config.write_text(
        '[channels.parents]\nkind = "outbox"\nquiet_hours = "21:00-07:30"\n'
        'posting_windows = ["07:30-12:00", "14:00-21:00"]\n'
        '[web]\nport = 8123\nlanguage = "en"\nsecret_key_env = "PUBLISHER_WEB_KEY"\n',
        encoding="utf-8",
    )
    settings = load_settings(str(config))
    parents = settings.channels["parents"]
    assert parents.quiet_hours == ("21:00-07:30",)
    assert parents.posting_windows == ("07:30-12:00", "14:00-21:00")
    assert "quiet_hours" not in parents.options  # handled by the core, not given to the adapter
    assert settings.web is not None
    assert (settings.web.port, settings.web.language, settings.web.secret_key_env) == (8123, "en", "PUBLISHER_WEB_KEY")
    assert settings.web.host == "127.0.0.1"
    assert settings.web.enabled
    for table, key, message in (
        ('[channels.x]\nkind = "outbox"\nquiet_hours = "late"\n', "channels.x.quiet_hours", "span of time"),
        ('[channels.x]\nkind = "outbox"\nposting_windows = [8]\n', "channels.x.posting_windows", "HH:MM-HH:MM"),
        ('[channels.x]\nkind = "outbox"\n[web]\nport = 0\n', "web.port", "port number"),
        ('[channels.x]\nkind = "outbox"\n[web]\nlanguage = "fr"\n', "web.language", "one of zh, en"),
        ('[channels.x]\nkind = "outbox"\n[web]\nenabled = "yes"\n', "web.enabled", "true or false"),
        ('[channels.x]\nkind = "outbox"\n[web]\nhots = "x"\n', "web.hots", "not a known setting"),
    ):
        config.write_text(table, encoding="utf-8")
        with pytest.raises(ConfigError, match=message) as caught:
            load_settings(str(config))
        assert caught.value.key == key
