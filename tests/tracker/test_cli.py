"""The tracker's commands through the real command tree: outlets, track --once, coverage, campaign rules, config."""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from PIL import Image
from sqlalchemy import select

from publisher.config import load_settings
from publisher.models import Event
from publisher.store import open_store
from tests.conftest import outbox_config
from tests.fakes.feeds import FeedServer, Item, rss
from tests.fakes.server import serve_in_thread
from tests.test_cli import Cli
from tests.tracker.test_screenshots import HEIGHT, WIDTH, chromium

ITEMS = [
    Item("阳光幼儿园启动阅读月", "阳光幼儿园日前启动阅读月活动。", "http://daily.example/a/1", "d-1"),
    Item("陽光幼兒園親子共讀", "陽光幼兒園的家長走進教室讀繪本。", "http://daily.example/a/2", "d-2"),
    Item("地铁五号线年底通车", "地铁五号线全线进入调试阶段。", "http://daily.example/a/3", "d-3"),
]

CONFIG = """
[publisher]
timezone = "Asia/Shanghai"

[channels.website]
kind = "outbox"
folder = "out/website"

[tracker]
min_interval = 300
read_timeout = 2
total_timeout = 5

[outbound]
allow = ["127.0.0.0/8"]

[outlets."城市日报"]
kind = "news_site"
tier = "city"
region = "杭州市"
feeds = ["{base}/daily.xml"]
"""


@pytest.fixture
def server() -> Iterator[tuple[FeedServer, str]]:
    feeds = FeedServer()
    feeds.put("/daily.xml", rss(ITEMS))
    feeds.put("/portal.xml", rss(ITEMS[:1], title="省级门户"))
    with serve_in_thread(feeds.app) as base:
        yield feeds, base


@pytest.fixture
def cli(tmp_path: Path, server: tuple[FeedServer, str]) -> Cli:
    (tmp_path / "publisher.toml").write_text(CONFIG.format(base=server[1]), encoding="utf-8")
    made = Cli(tmp_path)
    made("init")  # no command but `init` (and the daemon) makes the database
    return made


def test_track_once_fills_coverage_list(cli: Cli, server: tuple[FeedServer, str]) -> None:
    _, base = server
    cli("campaign", "add", "阅读月", "--tz", "Asia/Shanghai", "--start", "2026-11-25")
    rules = cli("campaign", "rules", "阅读月", "--any", "阅读月", "--any", "亲子共读", "--all", "阳光幼儿园").stdout
    assert "any of   阅读月, 亲子共读" in rules
    assert cli.json("campaign", "rules", "阅读月") == {"any": ["阅读月", "亲子共读"], "all": ["阳光幼儿园"], "none": []}

    out = cli("track", "--once").stdout
    assert "polled 1 sources" in out
    assert "3 new entries, 2 new coverage items" in out
    items = cli.json("coverage", "list", "--campaign", "阅读月")
    assert [(i["outlet"], i["title"], i["matched_by"]) for i in items] == [
        ("城市日报", "阳光幼儿园启动阅读月", "keywords"),
        ("城市日报", "陽光幼兒園親子共讀", "keywords"),
    ]
    table = cli("coverage", "list", "--campaign", "阅读月").stdout
    assert "2 items from 1 outlets" in table
    assert "2026-12-02 16:00 CST" in table

    assert "0 new entries" in cli("track", "--once", "--all").stdout  # 304: nothing new
    waiting = cli("track", "--once").stdout  # every feed was just polled: say when the next is due, and how to force
    assert "polled 0 sources" in waiting
    assert re.search(r"no feed is due; the next poll is due \d{4}-\d\d-\d\d \d\d:\d\d", waiting), waiting
    assert "publisher track --once --all" in waiting

    health = cli.json("outlet", "list")
    assert health[0]["outlet"] == "城市日报"
    assert health[0]["status"] == "ok"
    assert health[0]["entries"] == 3
    assert health[0]["feed"] == f"{base}/daily.xml"
    assert health[0]["origin"] == "config"


def test_outlet_add_test_list_remove(cli: Cli, server: tuple[FeedServer, str]) -> None:
    _, base = server
    cli("outlet", "add", "省级门户", "--kind", "portal", "--tier", "province", "--feed", f"{base}/portal.xml")
    cli("outlet", "add", "微博账号", "--kind", "official_account", "--feed", "rsshub:/weibo/user/1195230310")
    cli("outlet", "add", "晚报", "--kind", "paper")
    verdict = cli("outlet", "test", "省级门户").stdout
    assert verdict.startswith("省级门户: OK: ")
    assert "rss20 in utf-8, 1 entries" in verdict
    missing = cli("outlet", "add", "坏的", "--feed", f"{base}/missing.xml")
    assert missing.returncode == 0
    failed = cli("outlet", "test", "坏的", ok=False)
    assert failed.returncode == 1
    assert "FAILED" in failed.stdout
    assert "HTTP 404" in failed.stdout

    listing = cli("outlet", "list").stdout
    assert "rsshub:/weibo/user/1195230310" in listing
    assert "never polled" in listing
    assert "no feed" in listing
    cli("outlet", "remove", "省级门户", "--reason", "merged")
    assert "省级门户" not in cli("outlet", "list").stdout

    assert "defined in the config file" in cli.refused("outlet", "remove", "城市日报")
    assert "not a feed URL" in cli.refused("outlet", "add", "x", "--feed", "ftp://nope")
    assert "there is no outlet" in cli.refused("outlet", "remove", "没有")
    store = open_store(f"sqlite:///{cli.folder / 'publisher.db'}")
    with store.sessions() as session:
        actions = session.scalars(select(Event.action).where(Event.action.like("outlet.%"))).all()
    store.engine.dispose()
    assert actions.count("outlet.change") >= 4
    assert "outlet.remove" in actions


def test_manual_coverage(cli: Cli) -> None:
    cli("campaign", "add", "阅读月", "--tz", "Asia/Shanghai")
    cli("outlet", "add", "晚报", "--kind", "paper", "--tier", "city")
    added = cli.json("coverage", "add", "--outlet", "晚报", "--title", "孩子们的读书节", "--date", "2026-12-03")
    item = added["id"]
    [row] = cli.json("coverage", "list", "--outlet", "晚报")
    assert (row["title"], row["origin"], row["published"]) == ("孩子们的读书节", "manual", "2026-12-02T16:00:00+00:00")
    assert cli.json("coverage", "list", "--from", "2026-12-04") == []
    assert "removed" in cli("coverage", "remove", str(item), "--reason", "duplicate").stdout
    assert cli.json("coverage", "list") == []
    assert "there is no outlet 日报" in cli.refused(
        "coverage", "add", "--outlet", "日报", "--title", "t", "--date", "2026-12-03"
    )
    assert "there is no coverage item 99" in cli.refused("coverage", "remove", "99")
    cli("campaign", "add", "另一个")
    assert "--campaign" in cli.refused("coverage", "add", "--outlet", "晚报", "--title", "t", "--date", "2026-12-03")


def test_track_needs_a_mode(cli: Cli) -> None:
    assert "--once" in cli.refused("track")


# a bad [tracker] or [outlets] entry is refused naming its key: tests/test_config.py, with every other config mistake


def test_tracker_config_defaults_and_outlets(tmp_path: Path) -> None:
    settings = load_settings(outbox_config(tmp_path, ""))
    assert settings.tracker.max_body_bytes == 8 * 1024 * 1024
    assert settings.outlets == {}
    text = (
        '[tracker]\nrsshub_base = "http://127.0.0.1:1200"\n'
        '[outlets.w]\nkind = "official_account"\nfeeds = ["rsshub:weibo/user/1"]'
    )
    settings = load_settings(outbox_config(tmp_path, text))
    assert settings.outlets["w"].feeds == ("rsshub:/weibo/user/1",)
    from publisher.tracker.settings import resolve_feed

    assert resolve_feed("rsshub:/weibo/user/1", settings.tracker.rsshub_base) == "http://127.0.0.1:1200/weibo/user/1"


def test_the_example_config_documents_every_tracker_key() -> None:
    import dataclasses

    from publisher.tracker.settings import TrackerSettings

    example = (Path(__file__).resolve().parents[2] / "config" / "publisher.example.toml").read_text(encoding="utf-8")
    section = example.split("[tracker]", 1)[1]
    for field in dataclasses.fields(TrackerSettings):
        assert f"\n{field.name} = " in section or f"\n# {field.name} = " in section, field.name
    assert "[outlets." in example
    assert "rsshub:/" in example


def test_a_headline_only_entry_is_found_by_its_page_and_coverage_show_gives_the_evidence(
    cli: Cli, server: tuple[FeedServer, str], tmp_path: Path
) -> None:
    feeds, base = server
    page = (
        "<html><body><article><h1>孩子们走进图书馆</h1>"
        "<p>阳光幼儿园阅读月活动中，孩子们走进市图书馆挑选绘本，还听了两个故事。</p></article></body></html>"
    ).encode()
    feeds.put("/a/9.html", page, content_type="text/html; charset=utf-8")
    feeds.put("/wechat.xml", rss([Item("孩子们走进图书馆", "", f"{base}/a/9.html", "w-9")]))
    cli("outlet", "add", "教育号", "--kind", "official_account", "--feed", f"{base}/wechat.xml")
    cli("campaign", "add", "阅读月", "--tz", "Asia/Shanghai", "--start", "2026-11-25")
    cli("campaign", "rules", "阅读月", "--any", "阅读月")

    cli("track", "--once", "--outlet", "教育号")
    [item] = [i for i in cli.json("coverage", "list", "--campaign", "阅读月") if i["outlet"] == "教育号"]
    shown = cli("coverage", "show", str(item["id"]), "--page", str(tmp_path / "kept.html")).stdout

    assert item["title"] == "孩子们走进图书馆"
    assert f"kept page: {base}/a/9.html" in shown
    assert f"SHA-256: {hashlib.sha256(page).hexdigest()}" in shown
    assert "孩子们走进市图书馆挑选绘本" in shown
    assert (tmp_path / "kept.html").read_bytes() == page
    missing = cli("coverage", "show", "999", ok=False)
    assert missing.returncode == 1
    assert "there is no coverage item 999" in missing.stderr


def test_coverage_show_writes_the_picture(cli: Cli, server: tuple[FeedServer, str], tmp_path: Path) -> None:
    feeds, base = server
    config = tmp_path / "publisher.toml"
    drawn_with = f'[tracker]\nscreenshots = true\nscreenshot_browser = "{chromium()}"\n'
    config.write_text(config.read_text(encoding="utf-8").replace("[tracker]\n", drawn_with), encoding="utf-8")
    page = (
        "<html><body><article><h1>孩子们走进图书馆</h1>"
        "<p>阳光幼儿园阅读月活动中，孩子们走进市图书馆挑选绘本，还听了两个故事。</p></article></body></html>"
    ).encode()
    feeds.put("/a/9.html", page, content_type="text/html; charset=utf-8")
    feeds.put("/wechat.xml", rss([Item("孩子们走进图书馆", "", f"{base}/a/9.html", "w-9")]))
    cli("outlet", "add", "教育号", "--kind", "official_account", "--feed", f"{base}/wechat.xml")
    cli("campaign", "add", "阅读月", "--tz", "Asia/Shanghai", "--start", "2026-11-25")
    cli("campaign", "rules", "阅读月", "--any", "阅读月")
    cli("track", "--once", "--outlet", "教育号")
    [item] = [i for i in cli.json("coverage", "list", "--campaign", "阅读月") if i["outlet"] == "教育号"]

    shown = cli("coverage", "show", str(item["id"]), "--screenshot", str(tmp_path / "kept.png")).stdout

    assert "picture: drawn " in shown
    assert f"picture written to {tmp_path / 'kept.png'}" in shown
    with Image.open(tmp_path / "kept.png") as picture:
        assert picture.size == (WIDTH, HEIGHT)
