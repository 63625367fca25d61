"""The console's plan page (issue 15): upload a plan, see each row's check, confirm; templates to download. The page
has no script of its own, so the web client drives it as a browser without JavaScript would."""

from __future__ import annotations

import io
from typing import Any

from openpyxl import load_workbook
from sqlalchemy import select

from publisher.models import Action, Event
from publisher.planfile import read_plan
from publisher.store import PostFilter, list_deliveries
from publisher.web.accounts import UserView
from publisher.web.console import Console
from publisher.web.messages import ZH
from tests.test_plans import csv_plan

ROWS = [
    ["开学典礼", "新学期开始了。", "website; weibo", "2026-12-02 09:00", "", "", "开学", ""],
    # 23:00 is in the parents' group's quiet hours: held until 07:30, as add_post holds it
    ["家长会", "请家长准时参加", "parents", "2026-12-02 23:00", "", "", "", ""],
]


async def upload(visitor: Any, data: bytes, name: str = "plan.csv") -> Any:
    return await visitor.http.post(
        "/plans/check", data={"csrf_token": visitor.token}, files={"file": (name, data, "text/csv")}
    )


async def test_upload_check_then_confirm(visitors: Any, console: Console, people: dict[str, UserView]) -> None:
    editor = await visitors("eve")
    page = await editor.get("/plans")
    assert page.status_code == 200
    assert 'href="/plans"' in page.text  # in the navigation
    assert 'enctype="multipart/form-data"' in page.text
    checked = await upload(editor, csv_plan(ROWS).getvalue())
    assert checked.status_code == 200, checked.text
    assert "2 rows: 2 can be queued, 0 have errors." in checked.text
    assert list_deliveries(console.store, PostFilter()) == []  # a check writes nothing
    token = checked.text.split('name="token" value="')[1].split('"')[0]
    done = await editor.post("/plans/import", {"token": token})
    assert done.status_code == 303
    assert done.headers["location"] == "/queue"
    lines = list_deliveries(console.store, PostFilter())
    assert sorted(d.channel.name for _, d in lines) == ["parents", "website", "weibo"]
    with console.store.sessions() as session:
        held = session.scalars(select(Event).where(Event.action == Action.DELIVERY_HELD)).all()
    assert len(held) == 1
    assert {p.created_by for p, _ in lines} == {"eve"}
    # the same upload cannot be queued twice, nor by another session
    assert (await editor.post("/plans/import", {"token": token})).status_code in (303, 400)
    assert len(list_deliveries(console.store, PostFilter())) == 3


async def test_errors_are_listed_by_row_and_column_and_good_rows_may_go(
    visitors: Any, console: Console, people: dict[str, UserView]
) -> None:
    editor = await visitors("eve")
    await editor.get("/plans")
    bad = [
        ROWS[0],
        ["", "x", "website", "2026-12-02 09:00", "", "", "", ""],
        ["x", "y", "website", "2026-12-02 09:00", "", "/etc/passwd", "", ""],
    ]
    checked = await upload(editor, csv_plan(bad).getvalue())
    assert "3 rows: 1 can be queued, 2 have errors." in checked.text
    assert "row 3, column title (A): the post needs a title" in checked.text
    assert "row 4, column images (F): &#39;/etc/passwd&#39;: images must be uploaded" in checked.text
    assert 'name="skip_bad" value="1"' in checked.text
    token = checked.text.split('name="token" value="')[1].split('"')[0]
    other = await visitors("ada")  # another session does not know the upload
    assert (await other.post("/plans/import", {"token": token, "skip_bad": "1"})).status_code == 400
    done = await editor.post("/plans/import", {"token": token, "skip_bad": "1"})
    assert done.status_code == 303
    assert [p.title for p, _ in list_deliveries(console.store, PostFilter())] == ["开学典礼", "开学典礼"]
    shown = await editor.get("/queue")
    assert "Left out rows 3, 4." in shown.text


async def test_a_body_file_and_a_broken_file_are_refused(visitors: Any, people: dict[str, UserView]) -> None:
    editor = await visitors("eve")
    await editor.get("/plans")
    header = ["title", "body_file", "channels", "time"]
    checked = await upload(editor, csv_plan([["t", "/etc/passwd", "website", "2026-12-02 09:00"]], header).getvalue())
    assert "row 2, column body_file (B): a body_file is read only by" in checked.text
    assert 'name="token"' not in checked.text  # nothing to queue
    refused = await upload(editor, b"title,colour\nx,y\n")
    assert refused.status_code == 303
    page = await editor.get("/plans")
    assert "column B of the header is &#39;colour&#39;" in page.text
    assert (await upload(editor, b"x", "plan.txt")).status_code == 303
    # no token, no upload
    anonymous = await visitors()
    await anonymous.get("/login")
    assert (await anonymous.http.post("/plans/check", data={"csrf_token": anonymous.token})).status_code in (401, 403)


async def test_the_templates_download_in_the_readers_language(
    visitors: Any, console: Console, people: dict[str, UserView]
) -> None:
    editor = await visitors("eve")
    got = await editor.get("/plans/template.xlsx")
    assert got.status_code == 200
    assert "plan-template.xlsx" in got.headers["content-disposition"]
    sheet = load_workbook(io.BytesIO(got.content), read_only=True).worksheets[0]
    assert [c.value for c in next(sheet.iter_rows())][:4] == ["title", "body", "channels", "time"]
    # the template checks as it is (its example a year ahead)
    [row] = list(read_plan(io.BytesIO(got.content), "xlsx"))
    assert row.cells["time"].startswith("2027-")
    await editor.get("/plans")
    checked = await upload(editor, (await editor.get("/plans/template.csv")).content)
    assert "1 rows: 1 can be queued" in checked.text
    await editor.post("/language", {"lang": "zh", "next": "/plans"})
    chinese = await editor.get("/plans/template.csv")
    assert chinese.content.decode("utf-8-sig").splitlines()[0].startswith("标题,正文,渠道,时间")
    page = await editor.get("/plans")
    assert ZH["Check the plan"] in page.text
