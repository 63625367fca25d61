"""Main text of article pages (publisher.tracker.articles) on the pages in tests/data/articles."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from publisher.tracker.articles import extract_text, needs_full_text

PAGES = Path(__file__).resolve().parents[1] / "data" / "articles"
EXPECTED = json.loads((PAGES / "expected.json").read_text(encoding="utf-8"))


def squash(text: str) -> str:
    return re.sub(r"\s+", "", text)


@pytest.mark.parametrize("file", sorted(EXPECTED))
def test_every_paragraph_of_the_body_is_kept(file: str) -> None:
    text = squash(extract_text((PAGES / file).read_bytes()))
    for paragraph in EXPECTED[file]["body"]:
        assert squash(paragraph) in text, f"{file}: lost {paragraph[:30]}"


@pytest.mark.parametrize("file", sorted(EXPECTED))
def test_links_to_other_articles_are_not_part_of_the_text(file: str) -> None:
    """The previous/next links and the sidebar name other stories: kept, they would make this page match them."""
    text = extract_text((PAGES / file).read_bytes())
    for other in ("区教育局开展教师节慰问活动", "全区中小学秋季运动会开幕", "我区新建三所公办幼儿园投入使用"):
        assert other not in text
    assert "上一篇" not in text
    assert "版权所有" not in text


def test_a_gb2312_page_is_read_in_its_encoding() -> None:
    page = (PAGES / "gb18030.html").read_bytes()
    assert "社区幼儿园".encode() not in page  # really not UTF-8 on disk
    assert "垃圾分类我先行" in extract_text(page)


def test_a_page_without_an_article_gives_nothing() -> None:
    assert extract_text(b"<html><body><video src='/v.mp4'></video><script>var a = 1;</script></body></html>") == ""
    assert extract_text(b"") == ""


def test_furniture_lines_go_but_a_paragraph_that_opens_with_the_same_word_stays() -> None:
    page = (
        "<html><body><article><h1>t</h1>"
        "<p>编辑部的老师们走进课堂，与孩子们一起完成了这期校报的采访和写作，孩子们都很兴奋。</p>"
        "<p>责任编辑：王芳</p><p>【打印本页】【关闭窗口】</p>"
        "<p>上一篇：另一篇文章的标题在这里</p></article></body></html>"
    ).encode()
    text = extract_text(page)
    assert "编辑部的老师们" in text
    assert "王芳" not in text
    assert "打印本页" not in text
    assert "另一篇文章" not in text


@pytest.mark.parametrize(
    ("summary", "body", "wanted"),
    [
        ("", "", True),  # a headline alone
        ("一句话", "", True),
        ("长" * 300, "", False),
        ("", "长" * 300, False),
        ("长" * 300, "短", False),  # the longer of the two counts
    ],
)
def test_which_entries_are_worth_a_fetch(summary: str, body: str, wanted: bool) -> None:
    assert needs_full_text("标题", summary, body, below=200) is wanted


def test_an_entry_without_a_headline_is_not_fetched() -> None:
    assert needs_full_text(" ", "", "", below=200) is False
