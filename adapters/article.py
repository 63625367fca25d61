"""What the article channels (``wordpress``, ``cms_webhook``) share: the article's fields and its key-derived slug."""

from __future__ import annotations

import hashlib
import re
import unicodedata
from typing import Any

from adapters.base import PostContent
from adapters.text import markdown_to_html, markdown_to_text

__all__ = ["article", "excerpt", "slug_for"]

EXCERPT_LENGTH = 160
_SENTENCE_END = re.compile(r"[。！？]|[.!?](?=\s)")
_LINK = re.compile(r"https?://\S+")


def slug_for(key: str) -> str:
    """The post's slug: the same for every retry of one delivery, unlikely to clash with a person's slug."""
    return "pub-" + hashlib.sha256(key.encode()).hexdigest()[:16]


def excerpt(text: str, limit: int = EXCERPT_LENGTH) -> str:
    """The first paragraph of ``text``; if too long, cut after a sentence, else at a space, never inside a link
    or a grapheme, with an ellipsis."""
    first = " ".join(text.strip().split("\n\n", 1)[0].split("\n")).strip()
    if len(first) <= limit:
        return first
    ends = [end.end() for end in _SENTENCE_END.finditer(first, 0, limit)]
    if ends and ends[-1] >= limit // 2:
        return first[: ends[-1]]
    cut = first.rfind(" ", 0, limit + 1)
    if cut < limit // 2:
        cut = limit
        while 0 < cut < len(first) and _joins(first, cut):
            cut -= 1
    for link in _LINK.finditer(first):
        if link.start() < cut < link.end():
            cut = link.start()
    return first[:cut].rstrip() + "…"


def _joins(text: str, at: int) -> bool:
    """Whether a cut before ``text[at]`` would split a grapheme (combining mark, ZWJ sequence, flag pair)."""
    char = text[at]
    if text[at - 1] == "\u200d" or unicodedata.category(char) in ("Mn", "Me", "Sk", "Cf"):
        return True
    run = 0  # regional indicators pair up into flags: cut only after an even run of them
    while _is_flag_half(char) and at - run > 0 and _is_flag_half(text[at - run - 1]):
        run += 1
    return run % 2 == 1


def _is_flag_half(char: str) -> bool:
    return "\U0001f1e6" <= char <= "\U0001f1ff"


def article(post: PostContent) -> dict[str, Any]:
    """The article fields shared with the ``cms_webhook`` channel: title, HTML body, excerpt, tags, images."""
    return {
        "title": post.title,
        "html": markdown_to_html(post.body),
        "excerpt": excerpt(markdown_to_text(post.body)),
        "tags": list(post.tags),
        "images": list(post.images),
    }
