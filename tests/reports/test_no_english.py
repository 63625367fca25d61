"""A Chinese report speaks Chinese: every format, read back, has no English word outside an allow-list of names,
and the newspaper page note reaches every format."""

from __future__ import annotations

import csv
import io
import json
import re
import zipfile
from pathlib import Path
from typing import Any

import openpyxl
import pytest
from sqlalchemy import update

from publisher.models import Delivery
from publisher.reports.build import FORMATS, write_reports
from publisher.store import Store
from publisher.tracker.coverage import add_manual
from publisher.tracker.models import CoverageItem
from tests.reports.conftest import CAMPAIGN, Known, at

#: names, units and brands a Chinese text may carry as they are; and the test's own data (channel names, zone)
ALLOWED = {
    "WordPress", "Weibo", "RSS", "URL", "API", "CSV", "XLSX", "JSON", "HTML", "QQ", "SMS", "UTF", "CST", "UTC",
    "SHA",  # the kept page's fingerprint is named by its algorithm, SHA-256, as everywhere
    "publisher", "website", "weibo", "outbox", "Asia", "Shanghai",
}  # fmt: skip
_URL = re.compile(r"https?://\S+")
_WORD = re.compile(r"[A-Za-z]{3,}")
#: JSON keys and the stored values it documents (kind, matched_by, state) are its schema, not words shown to a reader
_JSON_CODES = {"format", "kind", "matched_by", "matched_terms", "state", "tier", "language", "bucket", "timezone"}


def english_words(texts: list[str]) -> list[str]:
    found: set[str] = set()
    for value in texts:
        for word in _WORD.findall(_URL.sub(" ", value)):
            if word not in ALLOWED:
                found.add(word)
    return sorted(found)


@pytest.fixture
def busy(store: Store, known: Known) -> Known:
    """The known campaign plus a keyword match, a keyword-and-reprint match and a newspaper item on page 3."""
    keyword = add_manual(
        store, campaign=CAMPAIGN, outlet="城市日报", title="绘本阅读进家庭", published_at=at(4, 15), url=None,
        note=None, now=at(4, 15), actor="tester",
    )  # fmt: skip
    both = add_manual(
        store, campaign=CAMPAIGN, outlet="区融媒体中心", title="书香润童心", published_at=at(5, 9), url=None,
        note=None, now=at(5, 9), actor="tester",
    )  # fmt: skip
    paper = add_manual(
        store, campaign=CAMPAIGN, outlet="晚报", title="孩子们的读书节", published_at=at(5, 10), url=None,
        note="第3版", now=at(5, 10), actor="tester",
    )  # fmt: skip
    kickoff = known.posts["kickoff"]
    with store.session() as session:  # as the tracker's rules write them
        # the failed delivery's detail is the platform's own words: a Chinese platform's are Chinese
        session.execute(update(Delivery).where(Delivery.last_error.is_not(None)).values(last_error="访问令牌已过期"))
        for item, how, terms in (
            (keyword, "keywords", "keywords: 阅读月, 绘本"),
            (both, "keywords+similarity", f"keywords: 书香; reprint of post {kickoff} (0.82)"),
        ):
            session.execute(
                update(CoverageItem).where(CoverageItem.id == item).values(matched_by=how, matched_terms=terms)
            )
    known.items.update(keyword=keyword, both=both, paper=paper)
    return known


def texts_of(fmt: str, path: Path) -> list[str]:
    if fmt == "csv":
        with zipfile.ZipFile(path) as archive:
            return [
                value
                for name in archive.namelist()
                for row in csv.reader(io.StringIO(archive.read(name).decode("utf-8-sig")))
                for value in row
            ]
    if fmt == "xlsx":
        book = openpyxl.load_workbook(path)
        cells = [str(c) for s in book.worksheets for r in s.iter_rows(values_only=True) for c in r if c is not None]
        return [*book.sheetnames, *cells]
    content = path.read_text(encoding="utf-8")
    if fmt == "json":
        return list(json_values(json.loads(content)))
    if fmt == "html":
        content = re.sub(r"<(style|script)\b.*?</\1>", " ", content, flags=re.S)
        content = re.sub(r"<[^>]+>", " ", content)
    return [content]


def json_values(value: Any, key: str = "") -> Any:
    if isinstance(value, dict):
        for k, v in value.items():
            if k not in _JSON_CODES:
                yield from json_values(v, k)
    elif isinstance(value, list):
        for v in value:
            yield from json_values(v, key)
    elif isinstance(value, str):
        yield value


@pytest.mark.parametrize("fmt", FORMATS)
def test_a_chinese_report_has_no_english_word(store: Store, busy: Known, tmp_path: Path, fmt: str) -> None:
    name = {"csv": "report.zip", "md": "report.md"}.get(fmt, f"report.{fmt}")
    written = write_reports(store, busy.campaign, [fmt], now=busy.now, lang="zh", out=tmp_path / name)
    texts = texts_of(fmt, written.paths[0])
    words = english_words(texts)
    assert not words, words
    joined = "\n".join(texts)
    assert "第3版" in joined  # the newspaper page note, in every format
    if fmt != "json":  # JSON keeps the stored reason; the others say it in words
        assert "关键词：阅读月、绘本" in joined
        assert f"转载我方稿件 {busy.posts['kickoff']}" in joined
