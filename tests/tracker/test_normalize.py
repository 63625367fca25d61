"""Folding text and links."""

from __future__ import annotations

import pytest

from publisher.tracker.normalize import canonical_link, compact, content_hash, fold, plain_text, shingles


@pytest.mark.parametrize(
    ("given", "folded"),
    [
        ("閱讀月：親子共讀", "阅读月亲子共读"),  # Traditional to Simplified, punctuation out
        ("裡面 著實 衞生 綫上", "里面着实卫生线上"),  # Taiwan and Hong Kong variants
        ("ＡＢＣ　１２３！", "abc 123"),  # full-width letters, digits, space
        ("Reading\u00a0Month —  2026", "reading month 2026"),
        ("「阅读」 《月》", "阅读月"),
        ("", ""),
    ],
)
def test_fold(given: str, folded: str) -> None:
    assert fold(given) == folded


def test_traditional_and_simplified_fold_to_the_same_text() -> None:
    simplified = "本周三下午，大一班的教室里坐满了前来参加亲子共读的家长。"
    traditional = "本週三下午，大一班的教室裡坐滿了前來參加親子共讀的家長。"
    assert fold(simplified) == fold(traditional)
    assert content_hash("标题", simplified) == content_hash("標題", traditional)


@pytest.mark.parametrize(
    ("link", "canonical"),
    [
        ("HTTPS://News.Example.COM:443/a/b?utm_source=x&b=2&a=1#frag", "https://news.example.com/a/b?a=1&b=2"),
        ("http://news.example:8080/x?spm=1.2&id=3", "http://news.example:8080/x?id=3"),
        ("http://news.example", "http://news.example/"),
        (
            "https://mp.weixin.qq.com/s?__biz=MzA&mid=26&idx=1&sn=abc&chksm=zz&scene=21#wechat_redirect",
            "https://mp.weixin.qq.com/s?__biz=MzA&idx=1&mid=26&sn=abc",
        ),
        ("javascript:alert(1)", None),
        ("/relative", None),
        ("http://[::1:bad", None),
    ],
)
def test_canonical_link(link: str, canonical: str | None) -> None:
    assert canonical_link(link) == canonical


def test_plain_text_and_shingles() -> None:
    assert plain_text("<p>一段</p><p>两段 &amp; 三</p><script>x()</script>") == "一段 两段 & 三"
    assert shingles(compact(fold("阅读 月！"))) == {"阅读月"}
    assert shingles("abcd") == {"abc", "bcd"}
    assert content_hash("短", "") is None  # too little text to tell articles apart
