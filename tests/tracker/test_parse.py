"""Parsing: real-world feeds (../shared/feeds) served over loopback, the shapes Chinese outlets produce, XML attacks,
and the lean reader (tried first) giving what feedparser gives."""

from __future__ import annotations

import io
import re
from datetime import UTC, datetime
from pathlib import Path

import feedparser
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from publisher.tracker.leanfeed import PLAIN_URL, read_lean
from publisher.tracker.parse import _lean, choose_charset, parse_feed
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


# --- the lean reader: the first try, with feedparser as the fallback ---------------------------------------------

# the files the lean reader must take itself (well-formed RSS 2.0 or Atom 1.0 in an encoding the bytes decide)
LEAN_TAKES = {
    "ffp_cc314ce5dfbb3adc.xml",
    "mf_encoding_ISO-8859-1.xml",
    "mf_encoding_WINDOWS-1251.xml",
    "mf_large_atom.xml",
    "mf_large_rss.xml",
    "mf_small_atom.xml",
    "mf_urdu_UTF8.xml",
}
# and the ones it must leave to feedparser: RDF, malformed, wrongly declared, UTF-16
LEAN_DECLINES = {
    "mf_rdf_UTF8.xml",
    "fp_rss_incomplete_cdata.xml",
    "fp_rss_item_link_corrupted_ampersands.xml",
    "ffp_malformed_rss_namespaced.xml",
    "ffp_utf16_encoded.xml",
    "mf_no_encoding_ISO-8859-1.xml",
    "mf_utf8-incorrect-prolog.xml",
    "fp_chardet_gb2312.xml",
}
FIELDS = ("title", "link", "guid", "published_at", "summary", "body", "author")


def _shapes() -> dict[str, tuple[bytes, str]]:
    """The shapes Chinese outlets produce (tests/fakes/feeds.py), in the encodings and declarations they use."""
    items = [
        *ITEMS[:1],
        Item("阅读月：第二篇", "<p>正文 &amp; <b>图片</b></p>", "/news/2.html?utm_source=rss&a=1", "g2"),
        Item("第三篇", "摘要", "http://news.example/3", None, content="<p>全文</p><script>x()</script>"),
    ]
    return {
        "rss-utf8": (rss(items), "application/rss+xml; charset=utf-8"),
        "rss-gbk": (rss(items, encoding="gbk"), "application/rss+xml"),
        "rss-gbk-as-gb2312": (rss(items, encoding="gbk", declare="gb2312"), "text/xml; charset=gb2312"),
        "rss-gbk-as-utf8": (rss(items, encoding="gbk", declare="utf-8"), "text/xml; charset=utf-8"),
        "rss-gbk-as-latin1": (rss(items, encoding="gbk", declare="iso-8859-1"), "text/xml; charset=iso-8859-1"),
        "rss-gb18030-undeclared": (rss(items, encoding="gb18030").split(b"?>", 1)[1], "text/xml"),
        "rss-as-html": (rss(items), "text/html"),
        "big5": (rss(ITEMS[1:], encoding="cp950", declare="big5", title="臺北日報"), "text/xml; charset=big5"),
        "atom": (atom(items), "application/atom+xml"),
        "rdf": (rdf(items), "application/rdf+xml"),
        "rss-extras": (_EXTRAS.encode("utf-8"), "application/rss+xml"),
        "atom-authors": (_ATOM_AUTHORS.encode("utf-8"), "application/atom+xml"),
    }


# what real feeds carry besides the fields: authors, categories, enclosures, media, comments, unknown namespaces,
# dates as Chinese sites write them, a relative link and a permalink guid standing in for a missing link
_EXTRAS = """<?xml version="1.0" encoding="utf-8"?>
<rss version="2.0" xmlns:dc="http://purl.org/dc/elements/1.1/" xmlns:media="http://search.yahoo.com/mrss/"
 xmlns:wfw="http://wellformedweb.org/CommentAPI/" xmlns:x="http://stats.example/ns"><channel><title>区 &amp; 县</title>
<item><title>第一篇 &lt;b&gt;加粗&lt;/b&gt;</title><link>/a/1.html?utm_source=rss&amp;id=1</link>
<dc:creator>记者 王明</dc:creator><category>教育</category><dc:subject>阅读</dc:subject><comments>/a/1#c</comments>
<enclosure url="http://x.example/1.jpg" type="image/jpeg" length="1"/><media:thumbnail url="http://x.example/t.jpg"/>
<wfw:commentRss>/a/1/rss</wfw:commentRss><x:views>12</x:views><pubDate>Wed, 02 Dec 2026 16:00:00 CST</pubDate>
<description><![CDATA[<p>正文&nbsp;第一段</p><p>第二段 &amp; 更多</p><style>p{}</style>]]></description></item>
<item><title>第二篇</title><guid>http://x.example/a/2.html</guid><author>editor@x.example (编辑)</author>
<pubDate>2026-12-02 16:00</pubDate><description>只有摘要</description></item>
<item><title>第三篇</title><guid isPermaLink="false">x-3</guid><dc:date>2026年12月2日 16:00</dc:date>
<content:encoded xmlns:content="http://purl.org/rss/1.0/modules/content/">&lt;p&gt;全文&lt;/p&gt;</content:encoded></item>
</channel></rss>"""
_ATOM_AUTHORS = """<?xml version="1.0" encoding="utf-8"?>
<feed xmlns="http://www.w3.org/2005/Atom"><title type="html">省级 &lt;i&gt;门户&lt;/i&gt;</title><id>urn:p</id>
<entry><id>tag:p.example,2026:1</id><title>一</title><link rel="self" href="http://p.example/1.atom"/>
<author><name>王明</name><email>w@p.example</email></author><published>2026-12-02T16:00:00+08:00</published>
<summary type="html">&lt;p&gt;摘要&lt;/p&gt;</summary><content type="html">&lt;p&gt;全文&lt;/p&gt;</content></entry>
<entry><id>http://p.example/2</id><title>二</title><link href="/2.html"/><link rel="alternate" type="text/html"
 href="http://p.example/2b.html"/><author><name>李</name></author><updated>2026-12-02T08:00:00Z</updated>
<category term="教育"/><content>只有全文</content></entry>
</feed>"""


SHAPES = _shapes()
CASES = [("file", p.name) for p in REAL] + [("shape", name) for name in SHAPES]


def _case(kind: str, name: str) -> tuple[bytes, str]:
    if kind == "shape":
        return SHAPES[name]
    data = (SHARED / name).read_bytes()
    return data, _content_type(data)


@pytest.mark.parametrize(("kind", "name"), CASES, ids=[name for _, name in CASES])
def test_lean_reader_matches_feedparser(kind: str, name: str) -> None:
    """Every entry the same from either parser, in every field the tracker keeps; the lean one takes what it should."""
    data, content_type = _case(kind, name)
    headers = {"content-type": content_type}
    url = "http://feeds.example/news/feed.xml"
    first = parse_feed(data, headers, url, "Asia/Shanghai")
    reference = parse_feed(data, headers, url, "Asia/Shanghai", lean=False)

    assert [[getattr(i, f) for f in FIELDS] for i in first.items] == [
        [getattr(i, f) for f in FIELDS] for i in reference.items
    ]
    assert (first.version, first.title, first.error) == (reference.version, reference.title, reference.error)
    if not first.items:
        assert first.error or first.warning  # nothing read is never silent
    taken = _lean(data, choose_charset(data, content_type)[0], headers) is not None
    if name in LEAN_TAKES or (kind == "shape" and name != "rdf"):
        assert taken, "the lean reader should have read this itself"
    if name in LEAN_DECLINES or name == "rdf":
        assert not taken, "this one is feedparser's"


def test_the_lean_reader_declines_what_it_must_not_read() -> None:
    base = rss(ITEMS[:1])
    cases = {
        "doctype": base.replace(b"<rss", b'<!DOCTYPE rss SYSTEM "http://127.0.0.1:9/evil.dtd">\n<rss', 1),
        "xml:base": base.replace(b"<channel>", b'<channel xml:base="http://elsewhere.example/">', 1),
        "undeclared entity": base.replace("孩子们".encode(), b"&nbsp;", 1),
        "rss 0.91": base.replace(b'version="2.0"', b'version="0.91"', 1),
        "two titles": base.replace(
            b"</title><link>http://news.example/1", b"</title><title>x</title><link>http://news.example/1", 1
        ),
        "media:title": base.replace(
            b"</item>", b'<media:title xmlns:media="http://search.yahoo.com/mrss/">x</media:title></item>', 1
        ),
        "markup in a description": base.replace("孩子们".encode(), b"<b>kids</b>", 1),
    }
    for name, body in cases.items():
        assert read_lean(body, "utf-8", None) is None, name
        assert parse_feed(body, {"content-type": "application/rss+xml"}).items, name  # feedparser reads it
    atom_cases = {
        "xhtml": atom(ITEMS[:1]).replace(b"<summary>", b'<summary type="xhtml">', 1),
        "content by reference": atom(ITEMS[:1]).replace(b"</entry>", b'<content src="http://x/1"/></entry>', 1),
    }
    for name, body in atom_cases.items():
        assert read_lean(body, "utf-8", None) is None, name
    unknown = base.replace(b"</item>", b'<x:views xmlns:x="http://stats.example/ns">12</x:views></item>', 1)
    assert read_lean(unknown, "utf-8", None) is not None  # feedparser keeps nothing of it either


def test_lean_reader_never_expands_or_fetches_entities(feeds: tuple[FeedServer, str]) -> None:
    _, base = feeds
    body = (
        f'<?xml version="1.0"?>\n<!DOCTYPE rss [<!ENTITY xxe SYSTEM "{base}/secret">]>\n{_channel("&xxe;")}'
    ).encode()
    assert read_lean(body, "utf-8", None) is None  # a DOCTYPE is feedparser's (after disarm)


@settings(max_examples=300, deadline=None)
@given(url=st.from_regex(PLAIN_URL, fullmatch=True))
def test_the_urls_the_lean_reader_does_not_join_come_back_from_feedparsers_join_unchanged(url: str) -> None:
    from feedparser.urls import _urljoin

    for base in ("", "http://feeds.example/news/feed.xml", "https://feeds.example/a/b/"):
        assert _urljoin(base, url) == url
