"""Outlets in bulk (``outlet import`` / ``export``, CSV and OPML), tiers (the column, the migration, ``outlet edit``)
and ``outlet list`` in the configured zone, through the real command tree and a real database."""

from __future__ import annotations

import sqlite3
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select

from publisher.store import open_store
from publisher.tracker.models import Outlet, OutletSource
from publisher.tracker.outlet_files import read_outlets
from tests.test_cli import Cli

CONFIG = """
[publisher]
timezone = "Asia/Shanghai"

[channels.website]
kind = "outbox"
folder = "out/website"

[outlets."城市日报"]
kind = "news_site"
tier = "市级"
feeds = ["https://daily.example.org/rss.xml"]
"""

GOOD_CSV = (
    "name,kind,tier,region,timezone,feeds\n"
    "省教育网,portal,省,,,https://edu.example.org/rss.xml\n"
    '区融媒体中心,official_account,区/县,向阳区,,"rsshub:/wechat/ce/xiangyang https://xy.example.org/feed"\n'
    "晚报,paper,city,杭州市,Asia/Shanghai,\n"
    "中央媒体,news_site,中央,,,https://news.example.cn/rss\n"
    "阳光小学,other,校,,,\n"
)


@pytest.fixture
def cli(tmp_path: Path) -> Cli:
    (tmp_path / "publisher.toml").write_text(CONFIG, encoding="utf-8")
    made = Cli(tmp_path)
    made("init")
    return made


def _outlets(folder: Path) -> dict[str, tuple[str, str | None, str | None, str | None, list[str]]]:
    store = open_store(f"sqlite:///{folder / 'publisher.db'}")
    try:
        with store.sessions() as session:
            found = {}
            for outlet in session.scalars(select(Outlet).where(Outlet.active.is_(True))):
                feeds = session.scalars(
                    select(OutletSource.feed).where(OutletSource.outlet_id == outlet.id, OutletSource.enabled.is_(True))
                )
                found[outlet.name] = (outlet.kind, outlet.tier, outlet.region, outlet.timezone, sorted(feeds))
            return found
    finally:
        store.engine.dispose()


def test_import_csv_then_export_round_trips_through_csv_and_opml(cli: Cli, tmp_path: Path) -> None:
    (tmp_path / "outlets.csv").write_text(GOOD_CSV, encoding="utf-8")
    planned = cli("outlet", "import", "outlets.csv", "--dry-run").stdout
    assert "dry run, nothing written: 5 to add, 0 to change, 0 unchanged" in planned
    assert set(_outlets(tmp_path)) == {"城市日报"}  # the dry run wrote nothing

    assert "imported: 5 added, 0 changed, 0 unchanged" in cli("outlet", "import", "outlets.csv").stdout
    imported = _outlets(tmp_path)
    assert imported["区融媒体中心"] == (
        "official_account",
        "district",  # 区/县 is stored as its code
        "向阳区",
        None,
        ["https://xy.example.org/feed", "rsshub:/wechat/ce/xiangyang"],
    )
    assert imported["省教育网"][1] == "province"
    assert imported["中央媒体"][1] == "national"
    assert imported["阳光小学"][:2] == ("other", "school")
    assert imported["晚报"] == ("paper", "city", "杭州市", "Asia/Shanghai", [])
    assert imported["城市日报"][1] == "city"  # the config file's 市级, in the same spelling

    exported = cli("outlet", "export").stdout  # CSV on the screen by default
    assert exported.splitlines()[0] == "name,kind,tier,region,timezone,feeds"
    cli("outlet", "export", "all.csv")
    cli("outlet", "export", "all.opml")
    assert (tmp_path / "all.csv").read_bytes().startswith(b"\xef\xbb\xbf")  # so that Excel reads the Chinese
    assert b"<opml" in (tmp_path / "all.opml").read_bytes()

    for name in ("all.csv", "all.opml"):  # each export, imported into an empty database, gives the same outlets
        other = tmp_path / name.replace(".", "-")
        other.mkdir()
        (other / "publisher.toml").write_text(CONFIG, encoding="utf-8")
        (other / name).write_bytes((tmp_path / name).read_bytes())
        again = Cli(other)
        again("init")
        again("outlet", "import", name)
        assert _outlets(other) == imported, name

    # into the database it came from: nothing changes (the config file's outlet included, as it says the same)
    assert "imported: 0 added, 0 changed, 6 unchanged" in cli("outlet", "import", "all.opml").stdout


def test_import_checks_every_row_first_and_writes_nothing_unless_all_pass(cli: Cli, tmp_path: Path) -> None:
    (tmp_path / "bad.csv").write_text(
        "name,kind,tier,region,timezone,feeds\n"
        "好的,portal,省,,,https://good.example.org/rss\n"
        "坏的级别,news_site,世界级,,,\n"
        ",news_site,,,,\n"
        "坏的源,news_site,,,Mars/Base,ftp://nope.example.org/x\n"
        "城市日报,news_site,省,,,\n",
        encoding="utf-8",
    )
    refused = cli.refused("outlet", "import", "bad.csv")
    assert "row 3, column tier: unknown tier '世界级'" in refused
    assert "row 4, column name: an outlet needs a name" in refused
    assert "row 5, column timezone: unknown time zone 'Mars/Base'" in refused
    assert "row 5, column feeds: 'ftp://nope.example.org/x' is not a feed URL" in refused
    assert "row 6: outlet 城市日报 is defined in the config file" in refused
    assert "error: problems in the file: 5; nothing was written" in refused
    assert set(_outlets(tmp_path)) == {"城市日报"}  # row 2 was good, and was not written either


def test_import_refuses_unknown_columns_and_conflicting_rows(cli: Cli, tmp_path: Path) -> None:
    (tmp_path / "columns.csv").write_text("name,colour\nx,red\n", encoding="utf-8")
    assert "row 1, column colour: unknown column 'colour'" in cli.refused("outlet", "import", "columns.csv")
    (tmp_path / "twice.csv").write_text(
        "名称,级别,订阅源\n晚报,市,https://a.example.org/rss\n晚报,省,https://b.example.org/rss\n", encoding="utf-8"
    )  # Chinese headings are read too
    refused = cli.refused("outlet", "import", "twice.csv")
    assert "row 3, column tier: outlet 晚报 is also on row 2, with tier 'city', not 'province'" in refused
    assert "row 1: the first row must name the columns" in cli.refused("outlet", "import", "-", "--format", "csv")
    (tmp_path / "empty.csv").write_text("name,tier\n\n", encoding="utf-8")
    assert "the file has no outlets" in cli.refused("outlet", "import", "empty.csv")


def test_import_reads_gb18030_and_keeps_formula_like_names(cli: Cli, tmp_path: Path) -> None:
    # what Excel and WPS save as "CSV" on a Chinese Windows
    (tmp_path / "gbk.csv").write_bytes("name,tier\n晚报,市\n".encode("gb18030"))
    cli("outlet", "import", "gbk.csv")
    assert _outlets(tmp_path)["晚报"][1] == "city"
    cli("outlet", "add", "=1+2", "--kind", "paper")
    cli("outlet", "export", "x.csv")
    assert "'=1+2" in (tmp_path / "x.csv").read_text(encoding="utf-8-sig")  # inert in a spreadsheet
    cli("outlet", "remove", "=1+2")
    cli("outlet", "import", "x.csv")
    assert "=1+2" in _outlets(tmp_path)  # and the same name again on import


def test_opml_from_a_feed_reader_and_hostile_opml(cli: Cli, tmp_path: Path) -> None:
    (tmp_path / "reader.opml").write_text(
        '<?xml version="1.0" encoding="UTF-8"?>\n<opml version="1.0"><head><title>订阅</title></head><body>\n'
        '<outline text="新闻" title="新闻">\n'
        '  <outline type="rss" text="人民网" xmlUrl="http://www.people.com.cn/rss/politics.xml" tier="中央"/>\n'
        '  <outline type="rss" text="人民网" xmlUrl="http://www.people.com.cn/rss/edu.xml"/>\n'
        "</outline>\n</body></opml>\n",
        encoding="utf-8",
    )
    cli("outlet", "import", "reader.opml")
    assert _outlets(tmp_path)["人民网"] == (
        "news_site",
        "national",
        None,
        None,
        ["http://www.people.com.cn/rss/edu.xml", "http://www.people.com.cn/rss/politics.xml"],
    )
    assert "新闻" not in _outlets(tmp_path)  # a folder is no outlet

    laughs = (
        '<?xml version="1.0"?>\n<!DOCTYPE opml [<!ENTITY a "aaaaaaaaaa"><!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;">]>\n'
        '<opml version="2.0"><body><outline text="&b;" xmlUrl="https://x.example.org/rss"/></body></opml>'
    )
    (tmp_path / "laughs.opml").write_text(laughs, encoding="utf-8")
    assert "line 2: the file declares a document type" in cli.refused("outlet", "import", "laughs.opml")
    external = '<?xml version="1.0"?>\n<!DOCTYPE opml SYSTEM "file:///etc/passwd">\n<opml/>'
    (tmp_path / "external.xml").write_text(external, encoding="utf-8")
    assert "document type" in cli.refused("outlet", "import", "external.xml")
    (tmp_path / "broken.opml").write_text("<opml><body><outline text='x'></body></opml>", encoding="utf-8")
    assert "line 1: not well-formed OPML: mismatched tag" in cli.refused("outlet", "import", "broken.opml")
    _, problems = read_outlets(b"<rss/>", "opml")
    assert "not OPML" in str(problems[0].error)


def test_tiers_through_add_edit_and_list(cli: Cli) -> None:
    cli("outlet", "add", "晚报", "--kind", "paper", "--tier", "市")
    assert "unknown tier 'galaxy'" in cli.refused("outlet", "add", "x", "--tier", "galaxy")
    assert "tier = province" in cli("outlet", "edit", "晚报", "--tier", "省级", "--region", "浙江省").stdout
    [row] = [r for r in cli.json("outlet", "list") if r["outlet"] == "晚报"]
    assert (row["tier"], row["region"]) == ("province", "浙江省")
    assert "nothing changed" in cli("outlet", "edit", "晚报", "--tier", "province").stdout
    cli("outlet", "edit", "晚报", "--tier", "none")
    [row] = [r for r in cli.json("outlet", "list") if r["outlet"] == "晚报"]
    assert row["tier"] is None
    assert "defined in the config file" in cli.refused("outlet", "edit", "城市日报", "--tier", "省")
    assert "there is no outlet 没有" in cli.refused("outlet", "edit", "没有", "--tier", "省")
    assert "say what to change" in cli.refused("outlet", "edit", "晚报")


def test_outlet_list_shows_times_in_the_configured_zone(cli: Cli) -> None:
    cli("outlet", "add", "省教育网", "--feed", "https://edu.example.org/rss.xml")
    [row] = [r for r in cli.json("outlet", "list") if r["outlet"] == "省教育网"]
    due = datetime.fromisoformat(row["next_poll"]).astimezone(ZoneInfo("Asia/Shanghai"))
    table = cli("outlet", "list").stdout
    line = next(line for line in table.splitlines() if line.startswith("省教育网"))
    assert f"{due:%Y-%m-%d %H:%M} CST" in line  # Shanghai's wall time, named
    assert "UTC" not in table


def test_migration_0011_rewrites_old_tier_spellings(tmp_path: Path) -> None:
    from alembic import command
    from alembic.config import Config

    from publisher.store.engine import MIGRATIONS

    path = tmp_path / "old.db"
    store = open_store(f"sqlite:///{path}")
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    with store.engine.begin() as connection:
        config.attributes["connection"] = connection
        command.upgrade(config, "0010")
    with sqlite3.connect(path) as connection:
        for number, tier in enumerate(["City", "省级", "county", " 中央 ", "regional", None, "校"]):
            connection.execute(
                "INSERT INTO outlets (name, kind, tier, origin, active, created_at) "
                "VALUES (?, 'news_site', ?, 'cli', 1, '2026-12-01 00:00:00')",
                (f"o{number}", tier),
            )
    store.upgrade()
    with sqlite3.connect(path) as connection:
        tiers = [row[0] for row in connection.execute("SELECT tier FROM outlets ORDER BY name")]
    store.engine.dispose()
    assert tiers == ["city", "province", "district", "national", "regional", None, "school"]


def test_import_refusals_and_results_in_chinese(cli: Cli, tmp_path: Path) -> None:
    from tests.test_cli_zh import ZH_LOCALE, run

    (tmp_path / "bad.csv").write_text("name,tier,feeds\n好的,省,\n坏的,世界级,ftp://x\n", encoding="utf-8")
    _, err = run(tmp_path, "outlet", "import", "bad.csv", env=ZH_LOCALE, code=1)
    assert "第 3 行，tier 列：未知的级别 '世界级'；请从以下选择：中央 (national)" in err
    assert "第 3 行，feeds 列：'ftp://x' 不是订阅源地址" in err
    assert "文件中有 2 处问题；未写入任何内容" in err
    (tmp_path / "good.csv").write_text("name,tier\n好的,省\n", encoding="utf-8")
    out, _ = run(tmp_path, "outlet", "import", "good.csv", "--dry-run", env=ZH_LOCALE)
    assert "试运行，未写入任何内容：将添加 1 个，修改 0 个，0 个不变" in out
    _, err = run(tmp_path, "outlet", "edit", "城市日报", "--tier", "省", env=ZH_LOCALE, code=1)
    assert "媒体 城市日报 定义在配置文件中" in err
    run(tmp_path, "outlet", "add", "晚报", "--kind", "paper", "--tier", "市", env=ZH_LOCALE)
    out, _ = run(tmp_path, "outlet", "list", env=ZH_LOCALE)
    assert any(line.startswith("晚报") and " 市 " in line for line in out.splitlines()), out
