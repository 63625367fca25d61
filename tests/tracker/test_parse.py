"""Parsing: real-world feeds (../shared/feeds) served over loopback, the shapes Chinese outlets produce, XML attacks."""

from __future__ import annotations

import io
import re
from datetime import UTC, datetime
from pathlib import Path

import feedparser
import pytest

from publisher.tracker.parse import parse_feed
from publisher.tracker.poll import Fetcher
from tests.fakes.feeds import FeedServer, Item, atom, rdf, rss
from tests.tracker.conftest import FAST, LOOPBACK

SHARED = Path(__file__).resolve().parents[2].parent / "shared" / "feeds"
REAL = sorted(SHARED.glob("*.xml")) if SHARED.is_dir() else []
_HEADER = re.compile(rb"Header:\s*Content-type:\s*([^\n]+)", re.IGNORECASE)

# what SOURCES.md records feedparser 6.0.14 finding in each file (entries), for the ones with entries
SOURCES_MD_ENTRIES = {
    "ffp_cc314ce5dfbb3adc.xml": 1046,
    "mf_encoding_ISO-8859-1.xml": 40,
    "mf_encoding_WINDOWS-1251.xml": 50,
    "mf_large_atom.xml": 25,
    "mf_large_rss.xml": 25,
    "mf_no_encoding_ISO-8859-1.xml": 10,
    "mf_rdf_UTF8.xml": 60,
    "mf_small_atom.xml": 20,
    "mf_urdu_UTF8.xml": 26,
    "fp_chardet_gb2312.xml": 1,
    "fp_rss_incomplete_cdata.xml": 1,
    "fp_rss_item_link_corrupted_ampersands.xml": 1,
    "fp_bozo_encoding_mismatch_crash.xml": 1,
    "fp_bozo_linenoise.xml": 1,
    "ffp_utf16_encoded.xml": 1,
    "mf_invalid-prolog.xml": 1,
    "mf_utf8-incorrect-prolog.xml": 1,
}


def _content_type(data: bytes) -> str:
    """The header a feedparser test file names in its leading comment, else plain application/xml."""
    match = _HEADER.search(data[:1000])
    return match.group(1).decode().strip() if match else "application/xml"


def _text(entries: list[dict[str, str]]) -> str:
    return " ".join(e.get("title", "") + " " + e.get("summary", "") for e in entries)


def _mojibake(text: str) -> int:
    return sum(text.count(s) for s in ("Ã", "â€", "\ufffd", "Â"))


@pytest.mark.skipif(not REAL, reason="../shared/feeds is not beside this checkout")
@pytest.mark.parametrize("path", REAL, ids=[p.name for p in REAL])
async def test_reads_real_world_feeds_at_least_as_well_as_feedparser(path: Path, feeds: tuple[FeedServer, str]) -> None:
    server, base = feeds
    data = path.read_bytes()  # noqa: ASYNC240 (a small test file)
    content_type = _content_type(data)
    server.put(f"/{path.name}", data, content_type=content_type)
    async with Fetcher(FAST, policy=LOOPBACK) as fetcher:
        fetched = await fetcher.fetch(f"{base}/{path.name}")
    assert fetched.error is None
    assert fetched.body == data
    ours = parse_feed(fetched.body, fetched.headers, fetched.url)
    alone = feedparser.parse(io.BytesIO(data), response_headers={"content-type": content_type})

    assert len(ours.items) >= len(alone.entries)
    assert len(ours.items) == SOURCES_MD_ENTRIES.get(path.name, 0)
    if alone.entries:
        theirs = _text([{"title": e.get("title", ""), "summary": e.get("summary", "")} for e in alone.entries])
        mine = " ".join(i.title + " " + i.summary for i in ours.items)
        assert _mojibake(mine) <= _mojibake(theirs)
        cjk = re.compile(r"[\u4e00-\u9fff]")
        assert len(cjk.findall(mine)) >= len(cjk.findall(theirs))
    if not ours.items:
        assert ours.error or ours.warning  # nothing read is reported, never silent
    elif alone.bozo:
        assert ours.warning  # malformed but used: flagged


def test_wrongly_declared_utf8_is_read_as_utf8() -> None:
    data = (SHARED / "mf_utf8-incorrect-prolog.xml").read_bytes() if REAL else None
    if data is None:
        pytest.skip("../shared/feeds is not beside this checkout")
    ours = parse_feed(data, {"content-type": "application/xml"})
    assert ours.items[0].title == "Café"  # feedparser alone gives "CafÃ©"
    assert "UTF-8" in (ours.warning or "")


ITEMS = [
    Item("阳光幼儿园启动阅读月", "孩子们和家长一起读绘本。", "http://news.example/1", "n1"),
    Item("碁盤上的裏程碑", "臺灣的圍棋比賽。", "http://news.example/2", "n2"),
]


@pytest.mark.parametrize(
    ("body", "content_type"),
    [
        (rss(ITEMS[:1]), "application/rss+xml; charset=utf-8"),
        (rss(ITEMS[:1], encoding="gbk"), "application/rss+xml"),  # declared in the XML only
        (rss(ITEMS[:1], encoding="gbk", declare="gb2312"), "text/xml; charset=gb2312"),  # GBK sent as GB2312
        (rss(ITEMS[:1], encoding="gb18030"), "text/xml; charset=gb18030"),
        (rss(ITEMS[:1], encoding="gbk", declare="utf-8"), "text/xml; charset=utf-8"),  # wrong declaration
        (rss(ITEMS[:1], encoding="gbk", declare="iso-8859-1"), "text/xml; charset=iso-8859-1"),  # wrong, and decodes
        (rss(ITEMS[:1], encoding="utf-8", declare="gbk"), "text/xml; charset=gbk"),  # UTF-8 sent as GBK
        (atom(ITEMS[:1]), "application/atom+xml"),
        (rdf(ITEMS[:1]), "application/rdf+xml"),
        (rss(ITEMS[:1]), "text/html"),  # a server that calls everything HTML
    ],
    ids=[
        "utf8",
        "gbk",
        "gb2312-label",
        "gb18030",
        "gbk-as-utf8",
        "gbk-as-latin1",
        "utf8-as-gbk",
        "atom",
        "rss1",
        "html",
    ],
)
def test_chinese_feeds_decode_whatever_they_declare(body: bytes, content_type: str) -> None:
    parsed = parse_feed(body, {"content-type": content_type}, "http://news.example/feed", "Asia/Shanghai")
    assert parsed.error is None
    [item] = parsed.items
    assert (item.title, item.summary) == ("阳光幼儿园启动阅读月", "孩子们和家长一起读绘本。")
    assert item.link == "http://news.example/1"


def test_big5_with_the_characters_windows_added() -> None:
    body = rss(ITEMS[1:], encoding="cp950", declare="big5", title="臺北日報")
    parsed = parse_feed(body, {"content-type": "text/xml; charset=big5"})
    assert [i.title for i in parsed.items] == ["碁盤上的裏程碑"]  # 碁 and 裏 are not in Python's big5


def test_dates_without_an_offset_are_the_outlets_local_time() -> None:
    body = (
        '<rss version="2.0"><channel><title>t</title>'
        "<item><title>a</title><pubDate>Wed, 02 Dec 2026 16:00:00 CST</pubDate></item>"
        "<item><title>b</title><pubDate>2026-12-02 16:00</pubDate></item>"
        "<item><title>c</title><pubDate>2026年12月2日 16:00</pubDate></item>"
        "<item><title>d</title><pubDate>Wed, 02 Dec 2026 16:00:00 +0800</pubDate></item>"
        "<item><title>e</title><pubDate>Wed, 02 Dec 2026 08:00:00 GMT</pubDate></item>"
        "</channel></rss>"
    ).encode()
    parsed = parse_feed(body, {"content-type": "application/rss+xml"}, None, "Asia/Shanghai")
    assert {i.published_at for i in parsed.items} == {datetime(2026, 12, 2, 8, 0, tzinfo=UTC)}


def test_a_truncated_feed_gives_what_it_has_and_is_flagged() -> None:
    body = rss(ITEMS[:1] * 3)
    parsed = parse_feed(body[: len(body) - 40], {"content-type": "application/rss+xml"})
    assert len(parsed.items) >= 2
    assert "malformed" in (parsed.warning or "")


def test_a_feed_that_yields_nothing_is_an_error() -> None:
    parsed = parse_feed(b"<html><body>503 Service Unavailable", {"content-type": "text/html"})
    assert parsed.items == []
    assert parsed.error


def test_links_are_canonical_and_relative_ones_resolved() -> None:
    body = rss([Item("a", "b", "/news/1.html?utm_source=rss&id=7#top", "g")])
    parsed = parse_feed(body, {"content-type": "application/rss+xml"}, "HTTP://Paper.Example:80/feed.xml")
    assert parsed.items[0].link == "http://paper.example/news/1.html?id=7"


# --- XML attacks: nothing expands, nothing is fetched ------------------------------------------------------------


def _channel(extra: str) -> str:
    item = f"<item><title>x</title><description>{extra}</description></item>"
    return f'<rss version="2.0"><channel><title>t</title>{item}</channel></rss>'


def test_billion_laughs_does_not_expand() -> None:
    lol = "".join(
        f'<!ENTITY lol{n} "{"&lol" + str(n - 1) + ";" * 1}{("&lol" + str(n - 1) + ";") * 9}">' for n in range(1, 10)
    )
    body = f'<?xml version="1.0"?>\n<!DOCTYPE rss [\n<!ENTITY lol0 "lol">\n{lol}\n]>\n{_channel("&lol9;")}'
    parsed = parse_feed(body.encode(), {"content-type": "application/rss+xml"})
    assert len(parsed.items[0].summary) < 100


def test_a_quadratic_blowup_does_not_expand() -> None:
    body = (
        '<?xml version="1.0"?>\n<!DOCTYPE rss [\n<!ENTITY a "' + "x" * 50_000 + '">\n]>\n' + _channel("&a;" * 20_000)
    ).encode()
    small = (
        '<?xml version="1.0"?>\n<!DOCTYPE rss [\n<!ENTITY a "' + "x" * 1000 + '">\n]>\n' + _channel("&a;" * 500)
    ).encode()
    alone = feedparser.parse(io.BytesIO(small))
    assert len(alone.entries[0].summary) == 500_000  # the attack is real: feedparser alone expands "safe" entities
    parsed = parse_feed(body, {"content-type": "application/rss+xml"})
    assert parsed.items
    assert len(parsed.items[0].summary) <= 4000
    assert "x" * 100 not in parsed.items[0].summary
    assert "entity" in (parsed.warning or "")


async def test_external_entities_and_dtds_are_never_fetched(feeds: tuple[FeedServer, str], tmp_path: Path) -> None:
    server, base = feeds
    secret = tmp_path / "secret.txt"
    secret.write_text("TOP-SECRET-VALUE", encoding="utf-8")
    payloads = [
        f'<!DOCTYPE rss [<!ENTITY xxe SYSTEM "file://{secret}">]>',
        f'<!DOCTYPE rss [<!ENTITY xxe SYSTEM "{base}/secret">]>',
        f'<!DOCTYPE rss [<!ENTITY % dtd SYSTEM "{base}/evil.dtd"> %dtd;]>',
        f'<!DOCTYPE rss SYSTEM "{base}/evil.dtd">',
        f'<!DOCTYPE rss [\n  <!ENTITY xxe SYSTEM "file://{secret}">\n]>',
    ]
    for doctype in payloads:
        body = f'<?xml version="1.0"?>\n{doctype}\n{_channel("&xxe;")}'.encode()
        parsed = parse_feed(body, {"content-type": "application/rss+xml"})
        text = " ".join(i.summary + i.title for i in parsed.items)
        assert "TOP-SECRET" not in text, doctype
    assert server.requests == []  # neither the DTD nor the "secret" URL was asked for
