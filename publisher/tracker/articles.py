"""The main text of an article page, for feed entries that carry only a headline or a short summary.

WeChat official accounts through RSS bridges and many government feeds give a headline and nothing else, so an
article about the campaign whose headline has no keyword cannot be found from the feed alone. For such entries the
tracker fetches the article page (through the pass's ``Fetcher``: the outbound guard, the per-host caps, conditional
requests) and matches on the text extracted here.

Extraction is trafilatura's. On the pages in tests/data/articles (government, school, newspaper, portal and WeChat
layouts, UTF-8 and GB2312) it kept every paragraph of every body, where readability-lxml lost three pages of eight
(the WeChat page, whose content is hidden until a script runs, a two-paragraph item and a GB2312 page):
``bench/articles.py`` prints both. What trafilatura keeps beyond the body on Chinese sites is mostly the links to
the previous and next articles and the sidebar's heading; the previous/next titles would make an article match
another story, so the lines that open with the words of that furniture are dropped.
"""

from __future__ import annotations

import re

__all__ = ["extract_text", "needs_full_text"]

#: lines a Chinese news or government page puts around the body: previous/next article, share, the credits
#: ("上一篇：…", "责任编辑：…"), and lines made only of bracketed buttons ("【打印本页】【关闭窗口】")
_FURNITURE = re.compile(
    r"^[|\s]*(?:(?:上一篇|下一篇|上一条|下一条|分享到|责任编辑|编辑|审核|相关新闻|相关阅读|推荐阅读)\s*[:：]"
    r"|(?:[\[【(（]\s*[^\]】)）]{1,8}\s*[\]】)）]\s*)+$|微信扫一扫|相关新闻$|猜你喜欢$|热点排行$)"
)


def extract_text(page: bytes, url: str | None = None) -> str:
    """The main text of an HTML page, paragraphs one per line; "" when the page has none (a login wall, a video).

    trafilatura reads the bytes and finds their encoding (a GB2312 page declared as such, or undeclared)."""
    import trafilatura  # loaded on the first article, not with the tracker: most passes never need it

    text = trafilatura.extract(page, url=url, include_comments=False, include_tables=False, include_images=False)
    if not text:
        return ""
    kept: list[str] = []
    label_alone = False  # "上一篇：" on a line of its own: the linked title comes on the next line
    for line in (line.strip() for line in text.splitlines()):
        if not line:
            continue
        if label_alone:
            label_alone = False
            continue
        found = _FURNITURE.match(line)
        if found:
            label_alone = found.end() == len(line) and line[-1] in ":："
            continue
        kept.append(line)
    return "\n".join(kept)


def needs_full_text(title: str, summary: str, body: str, below: int) -> bool:
    """An entry is worth fetching when what the feed gave of its text (beyond the headline) is under ``below``
    characters: a headline-only entry, or one whose summary is a line."""
    given = body if len(body) > len(summary) else summary
    return len(given.strip()) < below and bool(title.strip())
