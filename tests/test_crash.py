"""Crash safety, proven: ``tests/crash_harness.py`` run in the suite (1,000 deliveries, 20 SIGKILLs; about a minute).

Runnable alone with its figures: ``python -m tests.crash_harness`` (see its docstring and docs/operations.md).
"""

from __future__ import annotations

import random
from pathlib import Path

import pytest

from tests.crash_harness import run
from tests.postgres import Databases


@pytest.mark.slow
@pytest.mark.external_service
def test_sigkilled_daemons_lose_nothing_and_post_twice_nowhere(postgres: Databases, tmp_path: Path) -> None:
    seed = random.randrange(1_000_000)  # printed below, to replay a failure: --seed
    lines: list[str] = []
    with postgres.fresh("crash") as url:
        result = run(url, deliveries=1000, rounds=20, seed=seed, folder=tmp_path, echo=lines.append)
    report = "\n".join([f"seed {seed}", *lines, *result.lines()])
    print(report)
    assert result.rounds >= 20, report
    assert result.deliveries == 1000, report
    assert result.lost == 0, report
    assert result.failed_without_reason == 0, report
    assert result.duplicates == {"hook": 0, "toot": 0, "site": 0}, report
    assert result.sent_but_absent == {"hook": 0, "toot": 0, "site": 0}, report
    assert result.uncertain_unexplained == 0, report
    assert set(result.uncertain) <= {"hook"}, report  # Mastodon and WordPress: resent safely, never uncertain
    assert result.uncertain.get("hook", 0) == result.in_flight_at_kill.get("hook", 0), report
    assert sum(result.in_flight_at_kill.values()) > 0, report  # the kills did catch sends in flight
    assert result.events >= 2000, report  # every post's creation and every delivery's outcome
    assert (result.events_missing, result.events_invented, result.events_doubled) == (0, 0, 0), report
    assert (result.events_undelivered, result.events_refused) == (0, 0), report
    assert result.ok, report
