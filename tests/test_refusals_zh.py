"""The core's refusals reach a Chinese reader in Chinese (issue 12): an outlet that does not exist, a report setting
or a config key that is wrong, a backup of a newer schema. The command line adds its hint (the flags to use) in
Chinese too; the console says the same refusal without it. English stays as it was."""

from __future__ import annotations

import dataclasses
import sqlite3
from datetime import UTC, datetime
from pathlib import Path

import pytest

from publisher.config import DaemonSettings, load_settings
from publisher.errors import ConfigError, NotFoundError
from publisher.store import open_store
from publisher.tracker.coverage import add_manual
from publisher.web.i18n import say, translator
from publisher.web.messages import ZH
from tests.test_cli import configured
from tests.test_cli_zh import C_LOCALE, ZH_LOCALE, english_words, run


@pytest.fixture
def folder(tmp_path: Path) -> Path:
    configured(tmp_path)("init")
    run(tmp_path, "campaign", "add", "阅读月", env=C_LOCALE)
    return tmp_path


def refused(folder: Path, *args: str, zh: bool = True) -> str:
    """The one line `publisher ARGS` prints on standard error when it refuses (exit status 1)."""
    _, err = run(folder, *args, env=ZH_LOCALE if zh else C_LOCALE, code=1)
    assert "Traceback" not in err
    return err.strip()


def test_an_outlet_that_does_not_exist(folder: Path) -> None:
    add = ("coverage", "add", "--outlet", "晚报", "--title", "阅读月启动", "--date", "2026-12-02")
    hint = "; add it first with `publisher outlet add`"
    assert refused(folder, *add, zh=False) == f"error: there is no outlet 晚报{hint}"
    said = ZH["there is no outlet {name}"].format(name="晚报") + ZH[hint]
    assert refused(folder, *add) == f"错误：{said}"
    assert english_words(said, {"publisher", "outlet", "add"}) == set()

    # the console says it without the command line's hint
    store = open_store(f"sqlite:///{folder / 'publisher.db'}")
    try:
        with pytest.raises(NotFoundError) as caught:
            add_manual(
                store,
                campaign="阅读月",
                outlet="晚报",
                title="阅读月启动",
                published_at=datetime(2026, 12, 2, tzinfo=UTC),
                url=None,
                note=None,
                now=datetime(2026, 12, 1, tzinfo=UTC),
                actor="editor",
            )
    finally:
        store.engine.dispose()
    assert say(translator("zh"), caught.value) == ZH["there is no outlet {name}"].format(name="晚报")
    assert say(translator("en"), caught.value) == "there is no outlet 晚报"


def test_a_wrong_report_setting_names_the_file_and_key_in_chinese(tmp_path: Path) -> None:
    configured(tmp_path, '\n[reports]\nlanguage = "fr"\n')
    english = refused(tmp_path, "channel", "list", zh=False)
    assert english == "error: publisher.toml: [reports.language] must be one of zh, zh-Hant, en; got 'fr'"
    assert (
        refused(tmp_path, "channel", "list")
        == "错误：publisher.toml：[reports.language] 必须是 zh, zh-Hant, en 之一；实际为 'fr'"
    )


def test_an_unknown_config_key_in_chinese(tmp_path: Path) -> None:
    configured(tmp_path, "\n[daemon]\nlease = 5\n")
    said = refused(tmp_path, "channel", "list")
    assert said.startswith("错误：publisher.toml：[daemon.lease] 不是已知的设置项；可用的有：backoff_initial, ")
    settings = {word for field in dataclasses.fields(DaemonSettings) for word in field.name.split("_")}
    assert english_words(said, {"publisher", "toml", "daemon", "lease", *settings}) == set()


def test_a_restore_of_a_newer_schema_is_refused_in_chinese(folder: Path) -> None:
    run(folder, "backup", "backup.db", env=C_LOCALE)
    with sqlite3.connect(folder / "backup.db") as raw:
        raw.execute("INSERT INTO alembic_version (version_num) VALUES ('9999_from_the_future')")
    raw.close()
    english = refused(folder, "restore", "backup.db", "--force", zh=False)
    assert "backup.db holds a newer schema (revision 9999_from_the_future) than publisher" in english
    said = refused(folder, "restore", "backup.db", "--force")
    assert said.startswith("错误：backup.db 的数据库结构（版本 9999_from_the_future）比 publisher ")
    assert said.endswith("所知的更新；请先升级 publisher，再恢复")


def test_a_config_error_made_from_a_template_keeps_its_parts() -> None:
    error = ConfigError.of(
        "{file}: [{key}] must be a port number from 1 to 65535, got {value!r}", file="a.toml", key="web.port", value=0
    )
    assert str(error) == "a.toml: [web.port] must be a port number from 1 to 65535, got 0"
    assert (error.file, error.key, error.problem) == (
        "a.toml",
        "web.port",
        "must be a port number from 1 to 65535, got 0",
    )
    assert say(translator("zh"), error) == "a.toml：[web.port] 必须是 1 到 65535 之间的端口号，实际为 0"


def test_a_config_key_refused_by_another_check_is_said_whole_in_chinese(tmp_path: Path) -> None:
    """The cron expression of [alerts] and of a scheduled report, a feed of an outlet: the file and key and the
    inner check's own refusal, both in Chinese."""
    path = tmp_path / "publisher.toml"
    path.write_text(
        '[channels.team]\nkind = "outbox"\nfolder = "out"\n\n[alerts]\nchannel = "team"\ncron = "0 18 * *"\n',
        encoding="utf-8",
    )
    with pytest.raises(ConfigError) as refused:
        load_settings(str(path))
    said = say(translator("zh"), refused.value)
    assert said.startswith(f"{path}：[alerts.cron] cron 表达式 '0 18 * *' 无效")
    assert say(translator("en"), refused.value) == str(refused.value)


def test_backup_says_what_it_did_in_chinese(tmp_path: Path) -> None:
    configured(tmp_path)("init")
    out, _ = run(tmp_path, "backup", "copy.db", env=ZH_LOCALE)
    assert out.startswith("已把 sqlite:///")
    assert "备份到 copy.db（" in out
    assert "数据库结构 " in out
