"""The CLI through its real entry point (the installed `publisher` script), in a folder of its own."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import write_config

PUBLISHER = str(Path(sys.executable).with_name("publisher"))


class Cli:
    """Runs `publisher ARGS` in ``folder``: through the installed script (``real=True``, a new process each time,
    about a second on this machine) or in-process through click's runner (the same command tree, much faster)."""

    def __init__(self, folder: Path, real: bool = False) -> None:
        self.folder = folder
        self.real = real
        self.env = {k: v for k, v in os.environ.items() if k != "PUBLISHER_CONFIG"}
        self.env["USER"] = "editor"
        # English whatever this machine's locale (the Chinese CLI has tests/test_cli_zh.py)
        for name in ("LC_ALL", "LC_MESSAGES", "PUBLISHER_LANG"):
            self.env.pop(name, None)
        self.env["LANG"] = "C"

    def __call__(self, *args: str, ok: bool = True) -> subprocess.CompletedProcess[str]:
        if self.real:
            result = subprocess.run(
                [PUBLISHER, *args], cwd=self.folder, env=self.env, capture_output=True, text=True, timeout=60
            )
        else:
            result = self._in_process(list(args))
        if ok:
            assert result.returncode == 0, result.stderr
        return result

    def _in_process(self, args: list[str]) -> subprocess.CompletedProcess[str]:
        from click.testing import CliRunner

        from publisher.cli import cli as group

        previous = Path.cwd()
        os.chdir(self.folder)
        try:
            english = {"LANG": "C", "LC_ALL": None, "LC_MESSAGES": None, "PUBLISHER_LANG": None}
            outcome = CliRunner().invoke(group, args, env={"USER": "editor", "PUBLISHER_CONFIG": None, **english})
        finally:
            os.chdir(previous)
        if outcome.exception is not None and not isinstance(outcome.exception, SystemExit):
            raise outcome.exception
        return subprocess.CompletedProcess(args, outcome.exit_code, outcome.stdout, outcome.stderr)

    def json(self, *args: str) -> Any:
        return json.loads(self(*args, "--json").stdout)

    def refused(self, *args: str) -> str:
        result = self(*args, ok=False)
        assert result.returncode == 1, result.stdout + result.stderr
        assert "Traceback" not in result.stderr
        return result.stderr


@pytest.fixture
def cli(tmp_path: Path) -> Cli:
    """A folder with ``publisher.toml`` and the database `publisher init` made (no other command makes one)."""
    made = configured(tmp_path)
    made("init")
    return made


@pytest.fixture
def fresh(tmp_path: Path) -> Cli:
    """A folder with ``publisher.toml`` and no database yet."""
    return configured(tmp_path)


def configured(tmp_path: Path, more: str = "") -> Cli:
    """``publisher.toml`` in ``tmp_path``: two outbox channels, website and weibo, and ``more`` (other tables)."""
    text = """
[publisher]
timezone = "Asia/Shanghai"

[channels.website]
kind = "outbox"
folder = "out/website"

[channels.weibo]
kind = "outbox"
folder = "out/weibo"
max_length = 140
"""
    write_config(tmp_path, text + more)
    return Cli(tmp_path)


def test_init_then_queue_list_show_and_send(cli: Cli) -> None:
    cli.real = True  # this one goes through the installed console script
    assert "database ready" in cli("init").stdout
    assert [c["name"] for c in cli.json("channel", "list")] == ["website", "weibo"]
    out = cli(
        "post",
        "add",
        "--title",
        "开学典礼",
        "--body",
        "新学期**开始**了",
        "--channel",
        "website",
        "--channel",
        "weibo",
        "--now",
    ).stdout
    assert out.strip() == "queued post 1 on website, weibo"
    rows = cli.json("post", "list")
    assert [(r["post"], r["channel"], r["state"]) for r in rows] == [(1, "website", "queued"), (1, "weibo", "queued")]
    assert "tried" in cli("dispatch", "--once").stdout
    rows = cli.json("post", "list", "--state", "sent")
    assert len(rows) == 2
    assert rows[0]["link"].startswith("file://")
    shown = cli.json("post", "show", "1")
    assert [d["state"] for d in shown["deliveries"]] == ["sent", "sent"]
    assert [h["action"] for h in shown["history"]][:1] == ["post.add"]
    assert shown["history"][0]["actor"] == "editor"
    assert "delivery.sent" in [h["action"] for h in shown["history"]]
    assert (cli.folder / "out" / "weibo").is_dir()
    text = cli("post", "show", "1").stdout
    assert "开学典礼" in text
    assert "history:" in text


def test_refusals_are_clear_and_write_nothing(cli: Cli) -> None:
    cli("init")
    assert "unknown channel fax" in cli.refused(
        "post", "add", "--title", "t", "--body", "b", "--channel", "fax", "--now"
    )
    assert "is in the past" in cli.refused(
        "post", "add", "--title", "t", "--body", "b", "--channel", "website", "--at", "2020-01-01 09:00"
    )
    assert "weibo: the text is" in cli.refused(
        "post", "add", "--title", "t", "--body", "长" * 200, "--channel", "weibo", "--now"
    )
    assert "unknown campaign 'nope'" in cli.refused(
        "post", "add", "--title", "t", "--body", "b", "--channel", "website", "--now", "--campaign", "nope"
    )
    assert "cannot read the time" in cli.refused(
        "post", "add", "--title", "t", "--body", "b", "--channel", "website", "--at", "tomorrow-ish"
    )
    assert "cannot read missing.md" in cli.refused("post", "add", "--file", "missing.md", "--now")
    assert "invalid cron expression" in cli.refused(
        "schedule", "add", "w", "--cron", "0 25 * * *", "--title", "t", "--body", "b", "--channel", "website"
    )
    assert "unknown time zone 'Moon/Base'" in cli.refused(
        "schedule",
        "add",
        "w",
        "--cron",
        "0 9 * * *",
        "--tz",
        "Moon/Base",
        "--title",
        "t",
        "--body",
        "b",
        "--channel",
        "website",
    )
    assert cli.json("post", "list") == []
    assert cli.json("schedule", "list") == []


def test_markdown_file_with_front_matter(cli: Cli) -> None:
    cli("campaign", "add", "阅读月", "--tz", "Asia/Shanghai")
    (cli.folder / "report.md").write_text(
        "---\ntitle: 亲子共读\nchannels: [website, weibo]\nat: 2099-05-01 16:00\ncampaign: 阅读月\ntags: [阅读]\n---\n"
        "孩子们给爸爸妈妈讲绘本。\n",
        encoding="utf-8",
    )
    assert "queued post 1" in cli("post", "add", "--file", "report.md").stdout
    rows = cli.json("post", "list", "--campaign", "阅读月")
    assert [r["due"] for r in rows] == ["2099-05-01 16:00 CST"] * 2
    assert rows[0]["due_utc"] == "2099-05-01T08:00:00+00:00"
    (cli.folder / "broken.md").write_text("---\ntitle: [unclosed\n---\nbody\n", encoding="utf-8")
    assert "front matter" in cli.refused("post", "add", "--file", "broken.md", "--now")
    (cli.folder / "latin1.md").write_bytes("---\ntitle: caf\xe9\n---\n".encode("latin-1"))
    assert "UTF-8" in cli.refused("post", "add", "--file", "latin1.md", "--now")


def test_approval_reschedule_cancel_and_preview(cli: Cli) -> None:
    cli("campaign", "add", "阅读月", "--requires-approval")
    assert cli.json("campaign", "list")[0]["approval"] == "required"
    cli(
        "post",
        "add",
        "--title",
        "启动仪式",
        "--body",
        "今天启动",
        "--channel",
        "weibo",
        "--now",
        "--campaign",
        "阅读月",
    )
    assert cli.json("post", "list")[0]["state"] == "awaiting approval"
    cli("dispatch", "--once")
    assert cli.json("post", "list", "--state", "sent") == []
    assert "say why" in cli.refused("post", "reject", "1", "--reason", " ")
    cli("--as", "园长", "post", "approve", "1", "--note", "可以")
    cli("dispatch", "--once")
    assert len(cli.json("post", "list", "--state", "sent")) == 1
    preview = cli.json("post", "preview", "1")
    assert preview[0]["channel"] == "weibo"
    assert preview[0]["limit"] == 140
    assert preview[0]["length"] == len(preview[0]["text"])
    cli("post", "add", "--title", "二", "--body", "b", "--channel", "website", "--at", "2099-01-01 09:00")
    assert "moved 1" in cli("post", "reschedule", "2", "--at", "2099-02-01 09:00").stdout
    assert cli.json("post", "show", "2")["deliveries"][0]["due"] == "2099-02-01 09:00 CST"
    assert "cancelled post 2" in cli("post", "cancel", "2", "--reason", "活动取消").stdout
    assert "no uncertain delivery" in cli.refused("post", "resolve", "1", "--sent")
    assert "there is no post 9" in cli.refused("post", "show", "9")


def test_schedule_and_channel_pause(cli: Cli) -> None:
    out = cli(
        "schedule",
        "add",
        "weekly",
        "--cron",
        "0 16 * * WED",
        "--tz",
        "Asia/Shanghai",
        "--title",
        "每周动态",
        "--body",
        "本周",
        "--channel",
        "website",
    ).stdout
    assert "next:" in out
    assert "16:00 CST" in out
    assert cli.json("schedule", "list")[0]["cron"] == "0 16 * * WED"
    cli("channel", "pause", "weibo")
    assert {c["name"]: c["status"] for c in cli.json("channel", "list")}["weibo"] == "paused"
    cli("channel", "resume", "weibo")
    assert {c["name"]: c["status"] for c in cli.json("channel", "list")}["weibo"] == "healthy"
    assert "OK:" in cli("channel", "test", "website").stdout


def test_a_bad_config_file_stops_every_command_with_file_and_key(cli: Cli) -> None:
    (cli.folder / "publisher.toml").write_text('[channels.x]\nkind = "fax"\n', encoding="utf-8")
    message = cli.refused("post", "list")
    assert "publisher.toml: [channels.x.kind] unknown channel kind 'fax'" in message


def test_every_command_has_help() -> None:
    from publisher.cli import cli as group

    def walk(command: Any, path: list[str]) -> list[list[str]]:
        found = [path]
        for name, sub in getattr(command, "commands", {}).items():
            found += walk(sub, [*path, name])
        return found

    paths = walk(group, [])
    assert len(paths) > 20
    for path in paths:
        command = group
        for name in path:
            command = command.commands[name]  # type: ignore[attr-defined]
        assert command.help, f"publisher {' '.join(path)} has no help text"


def test_every_command_is_in_the_manual() -> None:
    """Every command appears, written by hand, in the README or a page of docs/ (the generated CLI reference in
    docs/cli.md lists them all anyway, so it does not count)."""
    import re

    from publisher.cli import cli as group

    root = Path(__file__).resolve().parents[1]
    texts = [(root / "README.md").read_text(encoding="utf-8")]
    texts += [page.read_text(encoding="utf-8") for page in sorted((root / "docs").rglob("*.md"))]
    generated = re.compile(r"<!-- generated: cli -->.*?<!-- end generated -->", re.DOTALL)
    manual = "\n".join(generated.sub("", text) for text in texts)
    missing = []
    for name, command in group.commands.items():
        subcommands = getattr(command, "commands", None)
        for path in [f"{name} {sub}" for sub in subcommands] if subcommands else [name]:
            if not re.search(rf"publisher (--as \S+ )?{re.escape(path)}\b", manual):
                missing.append(path)
    assert not missing, f"commands not documented in README.md or docs/: {missing}"


# --- the command tree: explicit registration, imports deferred ------------------------------------------------------


def test_every_command_is_registered_in_one_place() -> None:
    from publisher.cli import COMMANDS, cli

    root = Path(__file__).resolve().parents[1] / "publisher" / "cli"
    modules = {f"publisher.cli.{path.stem}" for path in root.glob("*.py")} - {
        "publisher.cli.__init__",
        "publisher.cli.__main__",
        "publisher.cli.base",
        "publisher.cli.lang",
        "publisher.cli.zh",
    }
    assert {target.split(":")[0] for target in COMMANDS.values()} == modules  # no module left out, none unknown
    assert sorted(cli.commands) == sorted(COMMANDS)
    assert all(cli.commands[name].name in (name, f"{name}_command") for name in COMMANDS)


@pytest.mark.parametrize("args", [["--version"], ["--help"], ["post", "--help"], ["report", "--help"]])
def test_help_and_version_import_no_database_http_or_web_library(args: list[str]) -> None:
    heavy = ["sqlalchemy", "alembic", "httpx", "aiohttp", "starlette", "uvicorn", "opencc", "apscheduler", "openpyxl"]
    program = (
        "import sys\n"
        "from publisher.cli import main\n"
        "try:\n"
        f"    main({args!r})\n"
        "except SystemExit:\n"
        "    pass\n"
        f"print('imported:', sorted(m for m in {heavy!r} if m in sys.modules))\n"
    )
    result = subprocess.run([sys.executable, "-c", program], capture_output=True, text=True, timeout=60, check=True)
    assert result.stdout.strip().splitlines()[-1] == "imported: []"


def test_the_choices_named_in_the_cli_match_the_core() -> None:
    from publisher.cli import base, reports, web, webhooks
    from publisher.queue import MAX_ID
    from publisher.reports.build import FORMATS
    from publisher.services.webhooks import EVENT_TYPES
    from publisher.web.accounts import LANGUAGES
    from publisher.web.models import Role

    assert tuple(role.value for role in Role) == web.ROLES
    assert web.LANGUAGES == LANGUAGES
    assert reports.FORMATS == FORMATS
    assert base.MAX_ID == MAX_ID
    assert tuple(EVENT_TYPES) == webhooks.EVENT_TYPES


# --- only `publisher init` makes or upgrades the database -----------------------------------------------------------


def test_no_command_but_init_makes_a_database_at_a_mistyped_path(fresh: Cli) -> None:
    config = fresh.folder / "publisher.toml"
    config.write_text(
        config.read_text(encoding="utf-8") + '\n[database]\nurl = "sqlite:///data/publisher.db"\n', encoding="utf-8"
    )
    missing = fresh.folder / "data" / "publisher.db"
    for args in (
        ["post", "list"],
        ["post", "show", "1"],
        ["post", "preview", "1"],
        ["campaign", "list"],
        ["schedule", "list"],
        ["channel", "list"],
        ["status"],
        ["coverage", "list"],
        ["outlet", "list"],
        ["user", "list"],
        ["post", "add", "--body", "b", "--channel", "website", "--now"],
        ["campaign", "add", "阅读月"],
        ["channel", "pause", "weibo"],
        ["dispatch", "--once"],
    ):
        message = fresh.refused(*args)
        assert f"there is no database at {missing}: run `publisher init`" in message, args
    assert not (fresh.folder / "data").exists()  # not the file, not even its folder
    assert "database ready" in fresh("init").stdout
    assert fresh.json("post", "list") == []


def test_an_empty_an_older_and_a_newer_database_are_refused_until_init(fresh: Cli) -> None:
    import sqlite3

    from alembic import command
    from alembic.config import Config

    from publisher.store import MIGRATIONS, open_store
    from publisher.store.listing import schema_heads

    path = fresh.folder / "publisher.db"
    sqlite3.connect(path).close()  # an empty file: no tables
    assert "holds no publisher tables: run `publisher init`" in fresh.refused("post", "list")

    store = open_store(f"sqlite:///{path}")
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    with store.engine.begin() as connection:
        config.attributes["connection"] = connection
        command.upgrade(config, "0001")  # the first schema: every later migration is missing
    store.engine.dispose()
    heads = "+".join(sorted(schema_heads()))
    assert f"is at schema 0001; this version needs {heads}: run `publisher init`" in fresh.refused("campaign", "list")
    assert "schema" in fresh("init").stdout
    assert fresh.json("campaign", "list") == []

    with sqlite3.connect(path) as connection:
        connection.execute("UPDATE alembic_version SET version_num = '9999'")
    assert "is at schema 9999, newer than this publisher" in fresh.refused("post", "list")


# --- behaviour bugs -------------------------------------------------------------------------------------------------


def test_resolve_refuses_sent_and_resend_together(cli: Cli) -> None:
    import sqlite3

    cli("post", "add", "--title", "一", "--body", "b", "--channel", "website", "--now")
    with sqlite3.connect(cli.folder / "publisher.db") as connection:
        connection.execute("UPDATE deliveries SET state = 'uncertain'")  # as a send whose outcome is unknown leaves it
    assert "--sent and --resend contradict each other" in cli.refused("post", "resolve", "1", "--sent", "--resend")
    assert [d["state"] for d in cli.json("post", "show", "1")["deliveries"]] == ["uncertain"]  # nothing settled
    assert "resolved 1 deliveries of post 1: sent" in cli("post", "resolve", "1", "--sent").stdout


def test_channel_test_calls_a_server_error_a_failure(cli: Cli, monkeypatch: pytest.MonkeyPatch) -> None:
    from aiohttp import web

    from tests.fakes.server import serve_in_thread

    def not_implemented() -> web.Application:
        async def answer(request: web.Request) -> web.Response:
            return web.Response(status=501, text="not here")

        app = web.Application()
        app.router.add_route("*", "/{tail:.*}", answer)
        return app

    monkeypatch.setenv("HOOK_SECRET", "hook-secret-1234")
    with serve_in_thread(not_implemented) as base:
        config = cli.folder / "publisher.toml"
        config.write_text(
            config.read_text(encoding="utf-8")
            + f'\n[channels.hook]\nkind = "webhook"\nurl = "{base}/hook"\nsecret_env = "HOOK_SECRET"\n',
            encoding="utf-8",
        )
        result = cli("channel", "test", "hook", ok=False)
    assert result.returncode == 1, result.stdout
    assert "hook: FAILED: HTTP 501" in result.stdout
    assert "Not Implemented" in result.stdout
    assert "OK" not in result.stdout


def test_post_list_pages_with_limit_and_shows_campaign_times(cli: Cli) -> None:
    cli("campaign", "add", "Berlin", "--tz", "Europe/Berlin")
    for n in range(3):
        cli("post", "add", "--title", f"p{n}", "--body", "b", "--channel", "website", "--at", f"2099-01-0{n + 1} 09:00")
    cli(
        "post",
        "add",
        "--title",
        "b",
        "--body",
        "b",
        "--channel",
        "weibo",
        "--at",
        "2099-01-05 09:00",
        "--campaign",
        "Berlin",
    )
    rows = cli.json("post", "list", "--limit", "2")
    assert [r["title"] for r in rows] == ["p0", "p1"]
    assert rows[0]["due"] == "2099-01-01 09:00 CST"
    berlin = cli.json("post", "list", "--campaign", "Berlin")
    assert [(r["title"], r["due"]) for r in berlin] == [("b", "2099-01-05 09:00 CET")]
    assert berlin[0]["due_utc"] == "2099-01-05T08:00:00+00:00"
