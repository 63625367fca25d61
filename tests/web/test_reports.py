"""The reports page and the coverage and reports API: every format written by ``publisher.reports`` and streamed
back with its type and file name; coverage listed, added and removed with tokens."""

from __future__ import annotations

import dataclasses
import hashlib
import io
import json
import tempfile
import zipfile
from pathlib import Path
from typing import Any
from urllib.parse import quote

import openpyxl
import pytest

from publisher.web.accounts import UserView
from publisher.web.console import Console
from tests.web.conftest import CAMPAIGN, PAGE, Visitor, coverage, events, keep_page

TYPES = {
    "csv": "application/zip",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "json": "application/json",
    "md": "text/markdown; charset=utf-8",
    "html": "text/html; charset=utf-8",
}
ENDINGS = {"csv": "-csv.zip", "xlsx": ".xlsx", "json": ".json", "md": ".md", "html": ".html"}


@pytest.fixture(autouse=True)
def own_temporary_folder(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Reports are written under here, so a test can see that nothing is left behind."""
    folder = tmp_path / "tmp"
    folder.mkdir()
    monkeypatch.setattr(tempfile, "tempdir", str(folder))
    return folder


@pytest.fixture
def tokens(console: Console, people: dict[str, UserView]) -> dict[str, str]:
    return {role: console.accounts.create_token(user.id, "tool", actor="setup")[1] for role, user in people.items()}


def auth(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def leftovers(folder: Path) -> list[Path]:
    return list(folder.iterdir())


def check_file(fmt: str, body: bytes) -> None:
    """The file is what its format says, and carries the campaign's coverage."""
    if fmt == "xlsx":
        book = openpyxl.load_workbook(io.BytesIO(body), read_only=True)
        cells = [str(c) for sheet in book.worksheets for row in sheet.iter_rows(values_only=True) for c in row]
        book.close()
        assert "阅读月闭幕" in cells
    elif fmt == "csv":
        with zipfile.ZipFile(io.BytesIO(body)) as archive:
            texts = [archive.read(name).decode("utf-8-sig") for name in archive.namelist()]
        assert any("阅读月闭幕" in text for text in texts)
    elif fmt == "json":
        assert "阅读月闭幕" in json.dumps(json.loads(body), ensure_ascii=False)
    else:
        assert "阅读月闭幕" in body.decode("utf-8")


async def test_the_reports_page_offers_campaigns_formats_and_languages(
    visitors: Any, reading_month: dict[str, int]
) -> None:
    editor: Visitor = await visitors("eve")
    page = await editor.get("/reports")
    assert page.status_code == 200
    for fmt in TYPES:
        assert f'<option value="{fmt}"' in page.text
    for lang in ("zh", "zh-Hant", "en"):
        assert f'<option value="{lang}"' in page.text
    assert '<option value="阅读月" selected>阅读月 (Asia/Shanghai)</option>' in page.text
    assert 'action="/reports/download"' in page.text


@pytest.mark.parametrize("fmt", list(TYPES))
async def test_each_format_downloads_with_its_type_and_name(
    fmt: str, visitors: Any, reading_month: dict[str, int], own_temporary_folder: Path
) -> None:
    editor: Visitor = await visitors("eve")
    response = await editor.http.get(f"/reports/download?campaign={quote(CAMPAIGN)}&format={fmt}&lang=en")
    assert response.status_code == 200, response.text
    assert response.headers["content-type"] == TYPES[fmt]
    name = f"report-阅读月-20261201-1600-en{ENDINGS[fmt]}"  # the campaign's name, the time in its zone, the language
    disposition = response.headers["content-disposition"]
    assert disposition.startswith('attachment; filename="report-___-20261201-1600')
    assert disposition.endswith(f"filename*=UTF-8''{quote(name)}")
    assert int(response.headers["content-length"]) == len(response.content)
    check_file(fmt, response.content)
    assert leftovers(own_temporary_folder) == []  # the written file is gone once sent


async def test_a_period_and_a_language_reach_the_report(visitors: Any, reading_month: dict[str, int]) -> None:
    editor: Visitor = await visitors("eve")
    query = f"campaign={quote(CAMPAIGN)}&format=json&lang=zh&from=2026-12-01&to=2026-12-01"
    document = (await editor.http.get(f"/reports/download?{query}")).json()
    text = json.dumps(document, ensure_ascii=False)
    assert "阅读月闭幕" in text
    assert "阳光幼儿园启动阅读月" not in text  # 2026-11-29: before the period
    assert "媒体" in text  # the report's words in Chinese


@pytest.mark.parametrize(
    ("query", "message"),
    [
        ("format=pdf", "unknown report format"),
        ("format=json&lang=fr", "unknown report language"),
        ("format=json&from=2026-12-05&to=2026-12-01", "the period is empty"),
        ("format=json&from=yesterday", "cannot read the time"),
    ],
)
async def test_a_wrong_request_says_why_on_the_page(
    query: str, message: str, visitors: Any, reading_month: dict[str, int]
) -> None:
    editor: Visitor = await visitors("eve")
    response = await editor.http.get(f"/reports/download?campaign={quote(CAMPAIGN)}&{query}")
    assert response.status_code == 303
    assert response.headers["location"] == "/reports"
    assert message in (await editor.get("/reports")).text
    unknown = await editor.http.get("/reports/download?campaign=nope&format=json")
    assert unknown.status_code == 303
    assert "there is no campaign nope" in (await editor.get("/reports")).text


async def test_the_api_lists_adds_and_removes_coverage(
    visitors: Any, console: Console, tokens: dict[str, str], reading_month: dict[str, int]
) -> None:
    http = (await visitors()).http
    listed = await http.get(f"/api/coverage?campaign={quote(CAMPAIGN)}&from=2026-12-01", headers=auth(tokens["editor"]))
    assert listed.status_code == 200
    items = listed.json()["coverage"]
    assert [(i["title"], i["published_local"]) for i in items] == [
        ("亲子共读进社区", "2026-12-01 01:00 CST"),
        ("孩子们的读书节", "2026-12-01 09:00 CST"),
        ("阅读月闭幕", "2026-12-01 14:00 CST"),
    ]
    assert items[0]["published"] == "2026-11-30T17:00:00+00:00"
    assert (items[0]["outlet"], items[0]["kind"], items[0]["tier"]) == ("城市日报", "news_site", "city")
    body = {"campaign": CAMPAIGN, "outlet": "晚报", "title": "读书节特刊", "published": "2026-12-01 10:00"}
    added = await http.post("/api/coverage", json=body, headers=auth(tokens["editor"]))
    assert added.status_code == 201
    item_id = added.json()["id"]
    [logged] = [e for e in events(console, "coverage.add") if "读书节特刊" in (e.reason or "")]
    assert logged.actor == "eve"
    assert (await http.post("/api/coverage", json={"title": "x"}, headers=auth(tokens["editor"]))).status_code == 400
    no_outlet = await http.post("/api/coverage", json={**body, "outlet": "无"}, headers=auth(tokens["editor"]))
    assert no_outlet.status_code == 404
    bad_link = await http.post("/api/coverage", json={**body, "url": "ftp://x"}, headers=auth(tokens["editor"]))
    assert bad_link.status_code == 422
    refused = await http.post(f"/api/coverage/{item_id}/remove", json={}, headers=auth(tokens["editor"]))
    assert refused.status_code == 403
    approver = auth(tokens["approver"])
    removed = await http.post(f"/api/coverage/{item_id}/remove", json={"reason": "重复"}, headers=approver)
    assert removed.json() == {"id": item_id, "removed": True}
    assert item_id not in [i.id for i in coverage(console)]
    assert (await http.get("/api/coverage?campaign=nope", headers=auth(tokens["editor"]))).status_code == 404
    assert (await http.get("/api/coverage?limit=x", headers=auth(tokens["editor"]))).status_code == 400


async def test_the_api_downloads_reports(
    visitors: Any, console: Console, tokens: dict[str, str], reading_month: dict[str, int], own_temporary_folder: Path
) -> None:
    http = (await visitors()).http
    xlsx = await http.get(f"/api/reports?campaign={quote(CAMPAIGN)}&format=xlsx", headers=auth(tokens["editor"]))
    assert xlsx.status_code == 200
    assert xlsx.headers["content-type"] == TYPES["xlsx"]
    check_file("xlsx", xlsx.content)
    default = await http.get("/api/reports", headers=auth(tokens["editor"]))  # the only campaign, as JSON
    assert default.headers["content-type"] == "application/json"
    check_file("json", default.content)
    assert (await http.get("/api/reports?format=pdf", headers=auth(tokens["editor"]))).status_code == 422
    console.queue("setup").add_campaign("校园动态", timezone="Asia/Shanghai")
    unnamed = await http.get("/api/reports", headers=auth(tokens["editor"]))
    assert unnamed.status_code == 422
    assert unnamed.json()["error"] == "say which campaign the report is about (campaigns: 校园动态, 阅读月)"
    assert (await http.get("/api/reports?campaign=nope", headers=auth(tokens["editor"]))).status_code == 404
    assert (await http.get("/api/reports", headers={"Authorization": "Bearer pub_nope"})).status_code == 401
    assert leftovers(own_temporary_folder) == []


async def test_a_report_ordered_here_links_kept_pages_to_the_console(
    visitors: Any, console: Console, reading_month: dict[str, int]
) -> None:
    """With ``[web] public_url``, the HTML and XLSX reports link each kept page to its evidence page here."""
    console.settings = dataclasses.replace(
        console.settings, web=dataclasses.replace(console.web, public_url="https://publicity.example.edu.cn")
    )
    keep_page(console, reading_month["evening"])
    editor: Visitor = await visitors("eve")

    got = await editor.http.get(f"/reports/download?campaign={quote(CAMPAIGN)}&format=html&lang=zh")

    assert got.status_code == 200, got.text
    evidence = f"https://publicity.example.edu.cn/coverage/{reading_month['evening']}/evidence"
    assert f'<a href="{evidence}">{hashlib.sha256(PAGE).hexdigest()}</a>' in got.text
