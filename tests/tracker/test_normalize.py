"""Folding text and links."""

from __future__ import annotations

import importlib
import sys
import unicodedata
from pathlib import Path

import pytest

from publisher.tracker.match import grams
from publisher.tracker.normalize import canonical_link, compact, content_hash, fold, plain_text

ROOT = Path(__file__).resolve().parents[2]


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


def test_plain_text_and_grams() -> None:
    assert plain_text("<p>一段</p><p>两段 &amp; 三</p><script>x()</script>") == "一段 两段 & 三"
    assert grams(compact(fold("阅读 月！"))) == {"阅", "读", "月", "阅读", "读月"}
    assert grams("") == frozenset()
    assert content_hash("短", "") is None  # too little text to tell articles apart


def _reference_fold(text: str) -> str:
    """fold as the module docstring says it, step by step (``fold`` takes shortcuts that must not change it)."""
    from publisher.tracker.normalize import _SPACE_BY_CJK, _converters, _separators

    text = unicodedata.normalize("NFKC", text).casefold()
    if not text.isascii():
        hong_kong, taiwan = _converters()  # OpenCC reads C strings: each part between NULs on its own
        text = "\x00".join(taiwan.convert(hong_kong.convert(part)) for part in text.split("\x00"))
    return _SPACE_BY_CJK.sub("", " ".join(text.translate(_separators()).split()))


def test_fold_is_the_reference_pipeline_only_faster() -> None:
    """Full-width punctuation is made a space before NFKC (so most Chinese text skips NFKC) and separators are
    replaced one by one: the result must be the reference's for every character of the BMP, alone and between
    Chinese characters, and for full-width punctuation followed by a combining mark."""
    marks = [chr(c) for c in range(0x300, 0x370)] + ["\u0338", "\u20d2", "\u3099", "\u309a"]
    texts = [t for c in map(chr, range(0x10000)) if not 0xD800 <= ord(c) <= 0xDFFF for t in (c, f"阳{c}光", f"a{c}b")]
    texts += [f"阳{p}{m}光" for p in "！（），：；？＜＝＞\u3000" for m in marks]
    texts += ["阳光幼儿园（城东区）：“阅读月”启动！ＡＢＣ１２３，陽光幼兒園閱讀月　深沈", "25℃ №1 ½ ① ㈠ ﹙x﹚"]
    assert [fold(t) for t in texts] == [_reference_fold(t) for t in texts]


def test_a_text_without_a_character_opencc_changes_skips_it_and_stays_the_same() -> None:
    """``fold`` converts only texts holding a character of opencc_changes.txt. It must fold as the reference (which
    always converts) every character of the list (alone, between simplified ones, after one beyond the BMP), every key
    and value of OpenCC's dictionaries (with the characters a step changes and a later one restores put back), and
    everyday text; and the list must be the installed OpenCC's."""
    sys.path.insert(0, str(ROOT / "scripts"))
    opencc_changes = importlib.import_module("opencc_changes")

    entries = opencc_changes.dictionary_entries()
    assert opencc_changes.changed_characters(entries) == opencc_changes.OUT.read_text(encoding="utf-8").strip()
    restored = {c for c in "台温才床群像" if fold(c) == c}
    assert restored == set("台温才床群像")  # everyday characters the list leaves out
    kept = opencc_changes.OUT.read_text(encoding="utf-8").strip()
    texts = [t for c in kept for t in (c, f"阳{c}光", f"\U00020000{c}园")]
    dropped = opencc_changes.candidate_characters(entries) - set(kept)
    texts += sorted(opencc_changes.test_texts(entries, dropped))
    texts += ["电视台的台风预报", "气温回升，温暖如春", "陽光幼兒園\U0002a6a5閱讀月", "憑藉", "深沈", "乾隆", "看著"]
    assert [fold(t) for t in texts] == [_reference_fold(t) for t in texts]


def test_a_nul_does_not_cut_the_text_short() -> None:
    """OpenCC reads a C string; a NUL inside a traditional text lost what followed it."""
    assert fold("陽光\x00幼兒園") == "阳光幼儿园"


def test_a_link_already_canonical_takes_the_short_way_to_the_same_answer(monkeypatch: pytest.MonkeyPatch) -> None:
    """``canonical_link`` gives a plain link back without taking it apart; every link must come out as the long way
    (urlsplit and back) gives it."""
    import random

    from publisher.tracker import normalize

    rng = random.Random(3)
    alphabet = "hHtTpPsS:/.aA0-_?#&=%@ \t\n\x00\x7f阳~!$'()*+,;[]\\|"
    links = [
        f"{scheme}://{''.join(rng.choice(alphabet) for _ in range(rng.randint(0, 25)))}"
        for scheme in ("http", "https")
        for _ in range(20_000)
    ]
    links += [
        "http://a.b",
        "http://a.b/",
        "http://a.b.",
        "http://A.b/x",
        "http://a.b:80/x",
        "http://a..b/x",
        "http://a.b/路径",
    ]
    links += ["https://news.example.cn/2026/12/04/a.html", "https://mp.weixin.qq.com/s/abc", " http://a.b/x "]
    short = [canonical_link(link) for link in links]
    assert sum(normalize._PLAIN_LINK.fullmatch(link.strip()) is not None for link in links) > 100  # some take it

    class Never:
        def fullmatch(self, _: str) -> None:
            return None

    monkeypatch.setattr(normalize, "_PLAIN_LINK", Never())
    assert short == [canonical_link(link) for link in links]
