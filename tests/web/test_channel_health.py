"""The CLI's ``channel list`` and the console's channels page say the same about the same state: both ask
``publisher.services.channels``, where "healthy" is defined once."""

from __future__ import annotations

import asyncio
import re
from pathlib import Path
from typing import Any

from publisher.clock import ManualClock
from publisher.services.channels import Health, health_of
from publisher.web.accounts import UserView
from publisher.web.console import Console
from tests.conftest import url_of
from tests.test_cli import Cli
from tests.web.conftest import Visitor

_ROW = re.compile(r'<tr data-channel="([^"]+)">(.*?)</tr>', re.S)


def cli_over(tmp_path: Path, console: Console) -> Cli:
    """The CLI in a folder of its own, over the console's database and with the console's channels."""
    folder = tmp_path / "cli"
    folder.mkdir()
    tables = "".join(
        f'\n[channels.{name}]\nkind = "outbox"\nfolder = "{tmp_path / "out" / name}"\n'
        for name in console.settings.channels
    )
    config = f'[publisher]\ntimezone = "Asia/Shanghai"\n\n[database]\nurl = "{url_of(console.store)}"\n{tables}'
    (folder / "publisher.toml").write_text(config, encoding="utf-8")
    return Cli(folder)


async def console_health(admin: Visitor) -> dict[str, str]:
    page = (await admin.get("/channels")).text
    words = {"healthy", "failing", "paused"}
    return {
        name: next(w for w in re.findall(r'class="chip [^"]*">([a-z]+)<', row) if w in words)
        for name, row in _ROW.findall(page)
    }


async def test_the_cli_and_the_console_agree_on_channel_health(
    tmp_path: Path, visitors: Any, console: Console, people: dict[str, UserView], clock: ManualClock
) -> None:
    cli = cli_over(tmp_path, console)
    cli("channel", "pause", "weibo")  # a person's pause and resume: the channel never failed
    cli("channel", "resume", "weibo")
    console.store.set_paused("parents", True, "credentials rejected: token expired", clock.now(), "daemon")
    console.store.set_paused("parents", False, None, clock.now(), "ada")  # resumed, but never sent since: failing
    admin: Visitor = await visitors("ada")
    expected = {"website": "healthy", "weibo": "healthy", "parents": "failing"}
    assert {row["name"]: row["status"] for row in cli.json("channel", "list")} == expected
    assert await console_health(admin) == expected
    await admin.post("/channels/website/pause")
    expected["website"] = "paused"
    assert {row["name"]: row["status"] for row in cli.json("channel", "list")} == expected
    assert await console_health(admin) == expected
    # and `channel test` words its verdict as the console's flash does
    tested = await admin.post("/channels/weibo/test")
    flashed = (await admin.get(tested.headers["location"])).text
    said = (await asyncio.to_thread(cli, "channel", "test", "weibo")).stdout.strip()  # it runs a loop of its own
    [shown] = re.findall(r"weibo: OK: [^<]*", flashed)
    # the same words; on PostgreSQL the console's settings name another database, whose name its scrubber hides
    for verdict in (said, shown):
        assert verdict.startswith("weibo: OK: folder ")
        assert verdict.endswith("/out/weibo is writable")


def test_health_is_paused_then_failing_then_healthy() -> None:
    from datetime import UTC, datetime

    earlier, later = datetime(2026, 12, 1, tzinfo=UTC), datetime(2026, 12, 2, tzinfo=UTC)
    assert health_of(True, later, None) is Health.PAUSED
    assert health_of(False, earlier, later) is Health.FAILING
    assert health_of(False, None, earlier) is Health.FAILING
    assert health_of(False, later, earlier) is Health.HEALTHY
    assert health_of(False, None, None) is Health.HEALTHY
