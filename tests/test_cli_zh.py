"""The command line speaks Chinese when the locale is Chinese (LANG, LC_ALL, LC_MESSAGES or PUBLISHER_LANG), and
English otherwise; its strings are in the console's catalogue, ``publisher/web/messages.py``."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path
from typing import Any

import click
import pytest
from click.testing import CliRunner

from tests.test_cli import configured

ZH_LOCALE = {"LANG": "zh_CN.UTF-8", "LC_ALL": None, "LC_MESSAGES": None, "PUBLISHER_LANG": None}
C_LOCALE = {"LANG": "C", "LC_ALL": None, "LC_MESSAGES": None, "PUBLISHER_LANG": None}
_ENGLISH_WORD = re.compile(r"[A-Za-z]{3,}")


def run(folder: Path, *args: str, env: dict[str, str | None], code: int = 0) -> tuple[str, str]:
    from publisher.cli import cli

    previous = Path.cwd()
    os.chdir(folder)
    try:
        outcome = CliRunner().invoke(
            cli, list(args), env={"USER": "editor", "PUBLISHER_CONFIG": None, **env}, prog_name="publisher"
        )
    finally:
        os.chdir(previous)
    if outcome.exception is not None and not isinstance(outcome.exception, SystemExit):
        raise outcome.exception
    assert outcome.exit_code == code, outcome.stdout + outcome.stderr
    return outcome.stdout, outcome.stderr


@pytest.fixture
def folder(tmp_path: Path) -> Path:
    configured(tmp_path)("init")
    return tmp_path


def english_words(text: str, allowed: set[str]) -> set[str]:
    return {w for w in _ENGLISH_WORD.findall(text) if w not in allowed}


def test_post_add_list_and_channel_list_in_chinese(folder: Path) -> None:
    out, _ = run(
        folder, "post", "add", "--title", "开学典礼", "--body", "新学期", "--channel", "website", "--now", env=ZH_LOCALE
    )
    assert out.strip() == "稿件 1 已排入队列，渠道：website"

    out, _ = run(folder, "post", "list", env=ZH_LOCALE)
    heading, row = out.splitlines()
    assert heading.split() == ["稿件", "标题", "渠道", "状态", "计划时间", "尝试次数", "链接"]
    assert "排队中" in row
    assert english_words(out, {"website", "CST"}) == set()

    out, _ = run(folder, "channel", "list", env=ZH_LOCALE)
    heading, *rows = out.splitlines()
    assert heading.split()[:5] == ["名称", "类型", "状态", "长度上限", "等待中"]
    assert "正常" in rows[0]
    assert "140 字符" in rows[1]
    assert english_words(out, {"website", "weibo", "outbox"}) == set()

    out, _ = run(folder, "channel", "pause", "weibo", env=ZH_LOCALE)
    assert out.strip() == "weibo 已暂停"
    out, _ = run(folder, "post", "show", "1", env=ZH_LOCALE)
    assert "稿件 1：开学典礼" in out
    assert "历史记录：" in out
    assert "EDITOR" not in out


def test_json_keeps_the_values_scripts_match(folder: Path) -> None:
    import json

    run(folder, "post", "add", "--title", "t", "--body", "b", "--channel", "weibo", "--now", env=ZH_LOCALE)
    rows = json.loads(run(folder, "post", "list", "--json", env=ZH_LOCALE)[0])
    assert rows[0]["state"] == "queued"
    channels = json.loads(run(folder, "channel", "list", "--json", env=ZH_LOCALE)[0])
    assert channels[1]["status"] == "healthy"
    assert channels[1]["limit"] == "140 characters"
    assert "unit" not in channels[1]


def test_an_error_in_chinese(folder: Path) -> None:
    from publisher.web.messages import ZH

    _, err = run(folder, "post", "show", "99", env=ZH_LOCALE, code=1)
    assert err.startswith("错误：")
    _, err = run(folder, "post", "show", "99", env=C_LOCALE, code=1)
    assert err.startswith("error: ")
    # a core refusal: its template in the console's words, then the command line's hint (its flags)
    refused = ("post", "add", "--title", "t", "--body", "b", "--now")
    _, err = run(folder, *refused, env=ZH_LOCALE, code=1)
    hint = ZH["with --channel NAME (see `publisher channel list`)"]
    assert err.strip() == "错误：" + ZH["choose at least one channel"] + hint
    _, err = run(folder, *refused, env=C_LOCALE, code=1)
    assert err.strip() == "error: choose at least one channel with --channel NAME (see `publisher channel list`)"


def test_english_unchanged_under_the_c_locale(folder: Path) -> None:
    out, _ = run(folder, "post", "add", "--title", "t", "--body", "b", "--channel", "website", "--now", env=C_LOCALE)
    assert out.strip() == "queued post 1 on website"
    out, _ = run(folder, "post", "list", env=C_LOCALE)
    assert out.splitlines()[0].split() == ["POST", "TITLE", "CHANNEL", "STATE", "DUE", "ATTEMPTS", "LINK"]
    assert "queued" in out
    out, _ = run(folder, "channel", "list", env=C_LOCALE)
    assert "healthy" in out
    assert "140 characters" in out
    help_text, _ = run(folder, "--help", env=C_LOCALE)
    assert "Usage: publisher" in help_text
    assert "Options:" in help_text
    assert "Commands:" in help_text


@pytest.mark.parametrize(
    ("env", "chinese"),
    [
        ({"LANG": "zh_CN.UTF-8"}, True),
        ({"LANG": "C.UTF-8", "LC_MESSAGES": "zh_TW.UTF-8"}, True),
        ({"LANG": "zh_CN.UTF-8", "LC_ALL": "en_US.UTF-8"}, False),  # LC_ALL wins, as in POSIX
        ({"LANG": "en_US.UTF-8", "PUBLISHER_LANG": "zh"}, True),  # the override wins
        ({"LANG": "zh_CN.UTF-8", "PUBLISHER_LANG": "en"}, False),
        ({}, False),
    ],
)
def test_the_language_follows_the_locale(env: dict[str, str], chinese: bool, monkeypatch: pytest.MonkeyPatch) -> None:
    from publisher.cli.lang import is_chinese

    for name in ("LANG", "LC_ALL", "LC_MESSAGES", "PUBLISHER_LANG"):
        monkeypatch.delenv(name, raising=False)
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    assert is_chinese() is chinese


def _tree() -> list[tuple[str, click.Command]]:
    from publisher.cli import cli

    def walk(command: Any, path: str) -> list[tuple[str, click.Command]]:
        found = []
        for name, sub in sorted(getattr(command, "commands", {}).items()):
            found.append((f"{path} {name}".strip(), sub))
            found += walk(sub, f"{path} {name}")
        return found

    return walk(cli, "")


def test_every_command_has_its_short_help_in_chinese() -> None:
    from publisher.cli.lang import _short_help
    from publisher.web.messages import ZH

    missing = [path for path, command in _tree() if _short_help(command) not in ZH]
    assert missing == []


def test_help_is_chinese(tmp_path: Path) -> None:
    out, _ = run(tmp_path, "--help", env=ZH_LOCALE)
    assert out.startswith("用法：publisher")
    assert "选项：" in out
    assert "命令：" in out
    assert "显示此帮助并退出。" in out
    commands = out.split("命令：")[1]
    # the command names stay as typed; every description is Chinese
    assert english_words(commands, {name for name, _ in _tree()} | {"FILE", "publisher", "run", "API"}) == set()
    out, _ = run(tmp_path, "post", "add", "--help", env=ZH_LOCALE)
    assert "将稿件排入一个或多个渠道。" in out


def test_chinese_help_stays_fast_to_start() -> None:
    """The catalogue is a dict; `--help` in Chinese imports no database, HTTP or web library either."""
    heavy = ["sqlalchemy", "alembic", "httpx", "starlette", "uvicorn", "jinja2"]
    program = (
        "import sys\n"
        "from publisher.cli import main\n"
        "try:\n"
        "    main(['--help'])\n"
        "except SystemExit:\n"
        "    pass\n"
        f"print('imported:', sorted(m for m in {heavy!r} if m in sys.modules))\n"
    )
    env = {**os.environ, "LANG": "zh_CN.UTF-8", "PUBLISHER_LANG": "zh"}
    result = subprocess.run(
        [sys.executable, "-c", program], capture_output=True, text=True, timeout=60, check=True, env=env
    )
    assert "命令：" in result.stdout
    assert result.stdout.strip().splitlines()[-1] == "imported: []"


def test_init_status_and_schedules_in_chinese(folder: Path) -> None:
    out, _ = run(folder, "init", env=ZH_LOCALE)
    assert out.startswith("数据库已就绪：")
    assert "渠道：website, weibo" in out
    out, _ = run(folder, "status", env=ZH_LOCALE)
    assert "守护进程：0 个存活" in out
    assert "队列：" in out
    add = (
        "schedule",
        "add",
        "weekly",
        "--cron",
        "0 16 * * WED",
        "--title",
        "每周",
        "--body",
        "本周",
        "--channel",
        "weibo",
    )
    out, _ = run(folder, *add, env=ZH_LOCALE)
    assert out.startswith("定时发布 weekly 已添加；下一次：")
    out, _ = run(folder, "schedule", "pause", "weekly", env=ZH_LOCALE)
    assert out.startswith("定时发布 weekly 已暂停")
