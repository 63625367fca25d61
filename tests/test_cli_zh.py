"""The command line speaks Chinese when the locale is Chinese (LANG, LC_ALL, LC_MESSAGES or PUBLISHER_LANG), and
English otherwise; its strings are in its own table, ``publisher/cli/zh.py`` (options' help, click's messages), and
the console's catalogue, ``publisher/web/messages.py``."""

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


def _answer(folder: Path, *args: str, given: str, env: dict[str, str | None]) -> tuple[int, str, str]:
    """A command run with ``given`` typed at its prompts: its exit status, standard output (the prompts) and error."""
    from publisher.cli import cli

    previous = Path.cwd()
    os.chdir(folder)
    try:
        outcome = CliRunner().invoke(
            cli, list(args), input=given, env={"USER": "admin", "PUBLISHER_CONFIG": None, **env}, prog_name="publisher"
        )
    finally:
        os.chdir(previous)
    if outcome.exception is not None and not isinstance(outcome.exception, SystemExit):
        raise outcome.exception
    return outcome.exit_code, outcome.stdout, outcome.stderr


def test_prompts_confirmations_and_the_version_in_chinese(folder: Path) -> None:
    from publisher import __version__

    assert run(folder, "--version", env=ZH_LOCALE)[0] == f"publisher，版本 {__version__}\n"
    assert run(folder, "--version", env=C_LOCALE)[0] == f"publisher, version {__version__}\n"
    # a password typed twice, differently at first
    code, out, err = _answer(
        folder, "user", "add", "园长", given="horse-battery-1\nhorse-battery-2\nhorse-battery-3\nhorse-battery-3\n",
        env=ZH_LOCALE,
    )  # fmt: skip
    assert code == 0, err
    assert out.startswith("密码：\n再输入一次以确认：\n")
    assert "错误：两次输入的内容不一致。" in err
    assert "用户 园长 已添加（编辑）" in out
    assert english_words(out + err, set()) == set()
    code, out, err = _answer(folder, "user", "add", "ann", given="horse-battery-1\nhorse-battery-2\n", env=C_LOCALE)
    assert code == 1  # the input ran out at the third prompt
    assert out.startswith("Password: \nRepeat for confirmation: \n")
    assert "Error: The two entered values do not match." in err
    assert err.rstrip().endswith("Aborted!")
    # a confirmation answered no
    add = ("schedule", "add", "weekly", "--cron", "0 16 * * WED", "--title", "t", "--body", "b", "--channel", "weibo")
    run(folder, *add, env=C_LOCALE)
    code, out, err = _answer(folder, "schedule", "delete", "weekly", given="n\n", env=ZH_LOCALE)
    assert (code, out, err) == (1, "删除定时发布 weekly？ [y/N]: n\n", "已中止！\n")
    code, out, err = _answer(folder, "schedule", "delete", "weekly", given="n\n", env=C_LOCALE)
    assert (code, out, err) == (1, "delete schedule weekly? [y/N]: n\n", "Aborted!\n")


def test_listed_values_in_chinese_and_unchanged_in_json(folder: Path) -> None:
    """States, roles, approval rules and the history's actions and notes in a table are words; --json keeps values."""
    import json

    run(folder, "campaign", "add", "阅读月", "--requires-approval", env=C_LOCALE)
    admin = ("user", "add", "园长", "--role", "admin", "--password-stdin")
    _answer(folder, *admin, given="horse-battery-1\n", env=C_LOCALE)
    run(folder, "post", "add", "--title", "t", "--body", "b", "--channel", "weibo", "--now", env=C_LOCALE)
    out, _ = run(folder, "campaign", "list", env=ZH_LOCALE)
    assert out.splitlines()[1].split()[-2:] == ["需要", "作者以外的人"]
    out, _ = run(folder, "user", "list", env=ZH_LOCALE)
    assert out.splitlines()[1].split()[:3] == ["园长", "管理员", "是"]
    out, _ = run(folder, "post", "show", "1", env=ZH_LOCALE)
    assert "排队中" in out
    assert "提交  无需审批  计划于 " in out
    assert english_words(out, {"weibo", "CST", "editor"}) == set()
    assert json.loads(run(folder, "user", "list", "--json", env=ZH_LOCALE)[0])[0]["active"] is True
    assert json.loads(run(folder, "campaign", "list", "--json", env=ZH_LOCALE)[0])[0]["approval"] == "required"
    out, _ = run(folder, "post", "show", "1", env=C_LOCALE)
    assert "post.add  not_required  due " in out


def test_hints_with_names_in_them_are_translated(folder: Path) -> None:
    """A command-line hint that names what was refused is a template too, put into Chinese before the name goes in."""
    add = ("schedule", "add", "weekly", "--cron", "0 16 * * WED", "--title", "t", "--body", "b", "--channel", "weibo")
    run(folder, *add, env=C_LOCALE)
    run(folder, "schedule", "pause", "weekly", env=C_LOCALE)
    _, err = run(folder, "schedule", "pause", "weekly", env=ZH_LOCALE, code=1)
    assert err == "错误：定时发布 weekly 已处于暂停状态；用 `schedule resume weekly` 可重新启用\n"
    _, err = run(folder, "schedule", "pause", "weekly", env=C_LOCALE, code=1)
    assert err == "error: schedule weekly is already paused; `schedule resume weekly` starts it again\n"
    _, err = run(folder, "post", "show", "99", env=ZH_LOCALE, code=1)
    assert err == "错误：没有编号为 99 的稿件；见 `publisher post list`\n"
    _, err = run(folder, "post", "show", "99", env=C_LOCALE, code=1)
    assert err == "error: there is no post 99; see `publisher post list`\n"


#: English words a Chinese help page may hold besides its options, metavars and commands: product and format names,
#: values typed as they are (states, tiers, config keys), and the examples' own text
HELP_ALLOWED = {
    *("publisher", "SQLite", "PostgreSQL", "pg_dump", "PGPASSWORD", "API", "JSON", "IANA", "Asia", "Shanghai"),
    *("ISO", "YYYY-MM-DD", "Markdown", "front", "matter", "RSSHub", "rsshub", "weibo", "https", "SMS", "event_date"),
    *("event_time", "cron", "WED", "SIGTERM", "Ctrl-C", "zip", "csv", "xlsx", "json", "html", "zh-Hant", "wechat-bot"),
    *("queued", "sent", "failed", "uncertain", "pending", "none", "city", "province", "national", "district", "school"),
    *("CSV", "OPML", "name", "kind", "tier", "region", "timezone", "feeds"),  # file formats and their columns
    "SHA-256",  # the hash of a kept page, named as it is
    *("web", "reports", "language", "host", "port", "PUBLISHER_CONFIG", "USER", "toml", "FILE", "NAME"),
}
_TOKEN = re.compile(r"[A-Za-z][A-Za-z0-9_-]*")


def _help_words(page: str, commands: set[str]) -> set[str]:
    """The English words of a help page outside its usage line, its options' names and metavars, and its commands."""
    allowed = HELP_ALLOWED | commands
    described = []
    for line in page.splitlines():
        stripped = line.strip()
        if stripped.startswith("用法："):
            allowed |= set(_TOKEN.findall(stripped))
            continue
        if stripped.startswith("-"):  # an option's row: its names and metavar, then its help after two spaces
            term, _, stripped = stripped.partition("  ")
            allowed |= set(_TOKEN.findall(term))
        described.append(stripped)
    return {w for w in _TOKEN.findall("\n".join(described)) if len(w) >= 3 and w not in allowed}


def test_every_help_page_is_chinese(tmp_path: Path) -> None:
    """Every command's page: its help text, every option's help and click's notes after it ([default: ...],
    [required], a range), with no English word but the names and values typed as they are."""
    commands = {name for path, _ in _tree() for name in path.split()}
    pages = {"": run(tmp_path, "--help", env=ZH_LOCALE)[0]}
    for path, _ in _tree():
        pages[path] = run(tmp_path, *path.split(), "--help", env=ZH_LOCALE)[0]
    leaks = {path: words for path, page in pages.items() if (words := _help_words(page, commands))}
    assert leaks == {}
    assert "--limit INTEGER RANGE  最多列出的条数。  [默认：200；范围：1 到 100000]" in pages["post list"]
    assert "--outlet TEXT    媒体（先用 `outlet add` 添加）。  [必填]" in pages["coverage add"]
    assert "修改活动：时区、日期或审批规则。已排入队列的稿件保持原定时间。" in pages["campaign edit"]


def test_every_option_has_its_help_in_chinese() -> None:
    from publisher.cli.lang import _lookup, _one_line

    missing = [
        f"{path} {param.opts[0]}"
        for path, command in _tree()
        for param in command.params
        if isinstance(param, click.Option) and param.help and _lookup(_one_line(param.help)) is None
    ]
    assert missing == []


def _outside_quotes_and_usage(err: str) -> str:
    """An error's own words: without the usage line and the names and values click quotes."""
    return re.sub(r"'[^']*'", "", "\n".join(line for line in err.splitlines() if not line.startswith("用法：")))


@pytest.mark.parametrize(
    ("args", "expected"),
    [
        (("post", "add", "--bogus"), "错误：没有选项 '--bogus'。您是不是要用 '--body'？"),
        (("post", "add", "--titl"), "错误：没有选项 '--titl'。（您是不是要用其中之一：'--at', '--file', '--title'？）"),
        (("pos",), "错误：没有命令 'pos'。您是不是要用 'post'？"),
        (("coverage", "add", "--title", "t"), "错误：缺少选项 '--outlet'。"),
        (("post", "show"), "错误：缺少参数 'POST_ID'。"),
        (("post", "list", "--limit", "0"), "错误：'--limit' 的值无效：0 超出范围：1 到 100000。"),
        (("post", "list", "--limit", "many"), "错误：'--limit' 的值无效：'many' 不是有效的整数。"),
        (
            ("report", "--format", "pdf"),
            "错误：'--format' 的值无效：'pdf' 不是可选值 'csv', 'xlsx', 'json', 'md', 'html' 之一。",
        ),
        (("restore", "missing.db"), "错误：'FILE' 的值无效：文件 'missing.db' 不存在。"),
        (("post", "show", "1", "2", "3"), "错误：多余的参数（2 3）"),
        (("post", "add", "--title"), "错误：选项 '--title' 需要一个值。"),
        (("post", "add", "--now=yes"), "错误：选项 '--now' 不接受值。"),
        (
            ("schedule", "edit", "w", "--campaign", "c", "--no-campaign"),
            "错误：请给出 --campaign NAME 或 --no-campaign，不能同时给出",
        ),
    ],
)
def test_usage_errors_in_chinese(tmp_path: Path, args: tuple[str, ...], expected: str) -> None:
    """Click's own errors in Chinese, still naming the option or value; the usage and the help hint where click
    gives them in English (its parser's errors have neither)."""
    _, err = run(tmp_path, *args, env=ZH_LOCALE, code=2)
    assert expected in err.splitlines()
    assert english_words(_outside_quotes_and_usage(err), {"publisher", "NAME", "campaign"}) == set()
    _, english = run(tmp_path, *args, env=C_LOCALE, code=2)
    assert err.startswith("用法：publisher") == english.startswith("Usage: publisher")
    assert ("查看帮助。" in err) == ("for help." in english)
    assert len(err.splitlines()) == len(english.splitlines())


@pytest.mark.parametrize(
    ("args", "english"),
    [
        (
            ("post", "add", "--bogus"),
            "Usage: publisher post add [OPTIONS]\nTry 'publisher post add --help' for help.\n\n"
            "Error: No such option '--bogus'. Did you mean '--body'?\n",
        ),
        (
            ("post", "list", "--limit", "0"),
            "Usage: publisher post list [OPTIONS]\nTry 'publisher post list --help' for help.\n\n"
            "Error: Invalid value for '--limit': 0 is not in the range 1<=x<=100000.\n",
        ),
        (
            ("coverage", "add", "--title", "x"),
            "Usage: publisher coverage add [OPTIONS]\nTry 'publisher coverage add --help' for help.\n\n"
            "Error: Missing option '--outlet'.\n",
        ),
        (
            ("pos",),
            "Usage: publisher [OPTIONS] COMMAND [ARGS]...\nTry 'publisher --help' for help.\n\n"
            "Error: No such command 'pos'. Did you mean 'post'?\n",
        ),
    ],
)
def test_usage_errors_unchanged_in_english(tmp_path: Path, args: tuple[str, ...], english: str) -> None:
    assert run(tmp_path, *args, env=C_LOCALE, code=2)[1] == english


@pytest.mark.parametrize(
    ("args", "english"),
    [
        (
            ("post", "list", "--help"),
            "Usage: publisher post list [OPTIONS]\n\n  List deliveries by due time.\n\nOptions:\n"
            "  --state TEXT           Only this delivery state (queued, sent, failed,\n"
            "                         uncertain, ...) or approval (pending).\n"
            "  --channel TEXT         Only this channel.\n"
            "  --campaign TEXT        Only this campaign.\n"
            "  --from DATE            Due at or after this time.\n"
            "  --to DATE              Due before this time.\n"
            "  --limit INTEGER RANGE  At most this many.  [default: 200; 1<=x<=100000]\n"
            "  --json                 Print JSON instead of a table.\n"
            "  -h, --help             Show this message and exit.\n",
        ),
        (
            ("outlet", "add", "--help"),
            "Usage: publisher outlet add [OPTIONS] NAME\n\n"
            "  Add an outlet (a paper needs no feed), or more feeds to one added before.\n\nOptions:\n"
            "  --kind [news_site|portal|official_account|paper|other]\n"
            "                                  [default: news_site]\n"
            "  --tier TEXT                     中央, 省, 市, 区/县 or 校 (or national, province,\n"
            "                                  city, district, school).\n"
            "  --region TEXT                   e.g. 杭州市.\n"
            "  --timezone, --tz TEXT           For feed dates without an offset (default:\n"
            "                                  [publisher]).\n"
            "  --feed URL                      A feed URL, or an RSSHub route such as\n"
            "                                  rsshub:/weibo/user/1195230310. Repeat for\n"
            "                                  several.\n"
            "  --full-text / --no-full-text    Fetch the article page of an entry that has\n"
            "                                  only a headline (default: on).\n"
            "  -h, --help                      Show this message and exit.\n",
        ),
        (
            ("campaign", "edit", "--help"),
            "Usage: publisher campaign edit [OPTIONS] NAME\n\n"
            "  Change a campaign: its zone, dates or approval rule. Posts already queued keep\n"
            "  their times.\n\nOptions:\n"
            "  --timezone, --tz TEXT           IANA zone, e.g. Asia/Shanghai.\n"
            "  --start DATE                    When the campaign starts ('none' clears it).\n"
            "  --end DATE                      When it ends; a date alone means through that\n"
            "                                  day ('none' clears it).\n"
            "  --requires-approval / --no-approval\n"
            "                                  Whether posts need approval.\n"
            "  --two-people / --one-person     Whether the approver must be another person.\n"
            "  -h, --help                      Show this message and exit.\n",
        ),
    ],
)
def test_help_unchanged_in_english(tmp_path: Path, args: tuple[str, ...], english: str) -> None:
    """The pages as they were before the command line's own table (click's formatter, untouched)."""
    assert run(tmp_path, *args, env=C_LOCALE)[0] == english


@pytest.mark.parametrize(
    ("english", "chinese"),
    [
        ("Missing argument 'KIND'. Choose from:\n\ta,\n\tb", "缺少参数 'KIND'。可选值：\n\ta,\n\tb"),
        ("Invalid value for '-n': 'x' is not a valid float range.", "'-n' 的值无效：'x' 不是有效的数字。"),
        (
            "Invalid value for '--on': 'x' is not a valid boolean. Recognized values: 0, 1",
            "'--on' 的值无效：'x' 不是有效的布尔值。可用的值：0, 1",
        ),
        ("Invalid value: Directory 'a' is a file.", "值无效：目录 'a' 是文件。"),
        (
            "Invalid value for '--at': 'x' does not match the formats '%Y', '%m'.",
            "'--at' 的值无效：'x' 不符合以下任一格式：'%Y', '%m'。",
        ),
        ("5 is not in the range x<5.", "5 超出范围：小于 5。"),
        ("0 is not in the range 0<x<=1.", "0 超出范围：大于 0，不超过 1。"),
        ("-1 is not in the range x>=0.", "-1 超出范围：不小于 0。"),
        ("a message neither table has", "a message neither table has"),
    ],
)
def test_click_messages_beyond_the_commands(english: str, chinese: str, monkeypatch: pytest.MonkeyPatch) -> None:
    """Click's messages no command of ours raises today, through the same templates."""
    from publisher.cli.lang import click_message

    monkeypatch.setenv("PUBLISHER_LANG", "zh")
    assert click_message(english) == chinese


def test_click_templates_keep_their_fields() -> None:
    """Each Chinese template fills exactly the fields its English one matched (a typo would fail at the first error)."""
    import string

    from publisher.cli.zh import CLICK, RANGES

    def fields(template: str) -> set[str]:
        return {name for _, name, _, _ in string.Formatter().parse(template) if name}

    assert [e for e, z in {**CLICK, **RANGES}.items() if fields(e) != fields(z)] == []


def test_english_help_does_not_import_the_chinese_tables() -> None:
    program = (
        "import sys\n"
        "from publisher.cli import main\n"
        "for args in (['--help'], ['post', 'list', '--limit', '0']):\n"
        "    try:\n"
        "        main(args)\n"
        "    except SystemExit:\n"
        "        pass\n"
        "print('imported:', sorted(m for m in ('publisher.cli.zh', 'publisher.web.messages') if m in sys.modules))\n"
    )
    env = {k: v for k, v in os.environ.items() if k not in ("LC_ALL", "LC_MESSAGES", "PUBLISHER_LANG")}
    result = subprocess.run(
        [sys.executable, "-c", program],
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
        env={**env, "LANG": "C"},
    )
    assert "Options:" in result.stdout
    assert result.stdout.strip().splitlines()[-1] == "imported: []"
