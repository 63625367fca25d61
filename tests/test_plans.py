"""Campaign plans in bulk (issue 15): every row checked with the queue's rules before anything is written, each
refusal naming its row and column (in Chinese too), all or nothing unless --skip-bad, and export then import giving
the same posts back, in CSV and XLSX."""

from __future__ import annotations

import csv
import io
from datetime import timedelta
from pathlib import Path

import pytest
from openpyxl import load_workbook
from sqlalchemy import func, select

from publisher.clock import ManualClock
from publisher.errors import ValidationError
from publisher.models import ApprovalState, Delivery, Event, Post
from publisher.planfile import read_plan, write_plan
from publisher.queue import Queue
from publisher.services.plans import PlanCheck, export_plan, import_plan
from publisher.store import Store
from publisher.web.i18n import say, translator
from publisher.web.messages import ZH
from tests.test_cli import configured
from tests.test_cli_zh import ZH_LOCALE, run

HEADER = ["title", "body", "channels", "time", "campaign", "images", "tags", "text:weibo"]


def csv_plan(rows: list[list[str]], header: list[str] = HEADER) -> io.BytesIO:
    text = io.StringIO()
    writer = csv.writer(text)
    writer.writerow(header)
    writer.writerows(rows)
    return io.BytesIO(text.getvalue().encode("utf-8-sig"))  # as a spreadsheet saves "CSV UTF-8"


def imported(queue: Queue, plan: io.BytesIO, kind: str = "csv", **options: bool) -> PlanCheck:
    return import_plan(queue, read_plan(plan, kind), **options)


def counts(store: Store) -> tuple[int, int, int]:
    with store.sessions() as session:
        return (
            session.scalar(select(func.count()).select_from(Post)) or 0,
            session.scalar(select(func.count()).select_from(Delivery)) or 0,
            session.scalar(select(func.count()).select_from(Event)) or 0,
        )


GOOD = [
    ["开学典礼", "新学期开始了。", "website; weibo", "2026-12-02 09:00", "", "", "开学;校园", ""],
    ["运动会", "**秋季**运动会", "website", "2026-12-03 10:30", "", "https://example.org/a.jpg", "", ""],
    ["读书月", "长文", "website，weibo", "2026-12-04 08:00", "", "", "", "微博自己的短文"],
]


def test_a_good_plan_is_queued_whole_as_add_post_would(queue: Queue, store: Store, clock: ManualClock) -> None:
    check = imported(queue, csv_plan(GOOD))
    assert (check.rows, check.problems, check.written) == (3, [], True)
    assert counts(store) == (3, 5, 3)  # a post_add event each, as add_post writes
    with store.sessions() as session:
        posts = {p.title: p for p in session.scalars(select(Post))}
        first = posts["开学典礼"]
        assert [d.channel.name for d in first.deliveries] == ["website", "weibo"]
        # read in the configured zone (Asia/Shanghai): 09:00 there is 01:00 UTC
        assert {d.due_at for d in first.deliveries} == {clock.now().replace(hour=1) + timedelta(days=1)}
        assert first.tags == ["开学", "校园"]
        assert first.created_by == "tester"
        assert posts["运动会"].images == ["https://example.org/a.jpg"]
        assert posts["读书月"].overrides == {"weibo": {"body": "微博自己的短文"}}
        reasons = sorted(e.reason or "" for e in session.scalars(select(Event)))
    assert reasons[0] == "due 2026-12-02 09:00 CST on website, weibo"


def test_the_campaign_rules_apply_its_zone_and_approval(queue: Queue, store: Store, clock: ManualClock) -> None:
    queue.add_campaign("迎新", timezone="Europe/London", requires_approval=True)
    check = imported(queue, csv_plan([["迎新日", "欢迎", "website", "2026-12-02 09:00", "迎新", "", "", ""]]))
    assert check.written
    with store.sessions() as session:
        post = session.scalars(select(Post)).one()
        assert post.approval == ApprovalState.PENDING
        assert [(d.due_at.hour, d.ready) for d in post.deliveries] == [(9, False)]  # London is UTC in December


def test_every_bad_row_is_named_with_its_column_and_nothing_is_written(queue: Queue, store: Store) -> None:
    rows = [
        GOOD[0],
        ["", "无标题", "website", "2026-12-02 09:00", "", "", "", ""],
        ["传真", "x", "website; fax", "2026-12-02 09:00", "", "", "", ""],
        ["过去", "x", "website", "2026-11-30 09:00", "", "", "", ""],
        ["乱时", "x", "website", "明天上午", "", "", "", ""],
        ["无活动", "x", "website", "2026-12-02 09:00", "没有", "", "", ""],
        ["路径", "x", "website", "2026-12-02 09:00", "", "/etc/passwd", "", ""],
        ["太长", "字" * 150, "weibo", "2026-12-02 09:00", "", "", "", ""],
        ["错渠道", "x", "website", "2026-12-02 09:00", "", "", "", "微博短文"],
    ]
    before = counts(store)
    check = imported(queue, csv_plan(rows))
    assert not check.written
    assert check.queued == []
    assert counts(store) == before
    found = [(p.row, p.column, p.letter) for p in check.problems]
    assert found == [
        (3, "title", "A"),
        (4, "channels", "C"),
        (5, "time", "D"),
        (6, "time", "D"),
        (7, "campaign", "E"),
        (8, "images", "F"),
        (9, "", ""),  # too long for weibo: the whole post, as the queue says
        (10, "text:weibo", "H"),
    ]
    en, zh = translator("en"), translator("zh")
    lines = [say(en, p.as_error()) for p in check.problems]
    assert lines[1] == "row 4, column channels (C): unknown channel fax: configured channels are website, weibo"
    assert lines[5].startswith("row 8, column images (F): '/etc/passwd': images must be uploaded")
    # said in Chinese whole: the frame and the queue's own refusal
    said = say(zh, check.problems[1].as_error())
    assert said == ZH["row {row}, column {column}: {problem}"].format(
        row=4,
        column="channels (C)",
        problem=ZH["unknown channel {names}: configured channels are {known}"].format(
            names="fax", known="website, weibo"
        ),
    )


def test_skip_bad_queues_the_good_rows_and_lists_the_rest(queue: Queue, store: Store) -> None:
    rows = [GOOD[0], ["", "x", "website", "2026-12-02 09:00", "", "", "", ""], GOOD[1]]
    check = imported(queue, csv_plan(rows), skip_bad=True)
    assert check.written
    assert len(check.queued) == 2
    assert check.skipped == [3]
    assert counts(store)[0] == 2


def test_a_dry_run_checks_and_writes_nothing(queue: Queue, store: Store) -> None:
    check = imported(queue, csv_plan(GOOD), dry_run=True)
    assert (check.rows, check.problems, check.written) == (3, [], False)
    assert counts(store) == (0, 0, 0)


def test_chinese_headings_and_file_level_refusals(queue: Queue, store: Store) -> None:
    header = ["标题", "正文", "渠道", "时间", "标签", "正文:weibo"]
    check = imported(
        queue, csv_plan([["开学典礼", "新学期", "website、weibo", "2026-12-02 09:00", "开学", "短"]], header)
    )
    assert check.written
    assert counts(store)[:2] == (1, 2)
    with pytest.raises(ValidationError, match="column B of the header is 'colour', which is not a plan column"):
        imported(queue, csv_plan([], ["title", "colour"]))
    with pytest.raises(ValidationError, match="has no posts"):
        imported(queue, csv_plan([]))
    with pytest.raises(ValidationError, match="not UTF-8"):
        imported(queue, io.BytesIO("title\n标题".encode("gb18030")))
    with pytest.raises(ValidationError, match="not a readable XLSX"):
        imported(queue, io.BytesIO(b"PK\x03\x04 broken"), "xlsx")


def test_a_body_file_is_never_opened_without_a_reader(queue: Queue, store: Store) -> None:
    # the console passes no reader: a path in an uploaded plan must not make the server open a file
    header = ["title", "body_file", "channels", "time"]
    check = imported(queue, csv_plan([["t", "/etc/passwd", "website", "2026-12-02 09:00"]], header))
    assert [(p.row, p.column, p.letter) for p in check.problems] == [(2, "body_file", "B")]
    assert "post import" in str(check.problems[0].error)


@pytest.mark.parametrize("kind", ["csv", "xlsx"])
def test_export_then_import_round_trips(queue: Queue, store: Store, clock: ManualClock, kind: str) -> None:
    queue.add_campaign("迎新", timezone="Europe/London")
    plan = [*GOOD, ["迎新日", "欢迎\n第二行", "weibo", "2026-12-05 09:15", "迎新", "", "迎新", ""]]
    assert imported(queue, csv_plan(plan)).written
    columns, rows = export_plan(queue)
    out = io.BytesIO()
    write_plan(out, kind, columns, rows)
    if kind == "xlsx":  # a real workbook, every cell text
        sheet = load_workbook(io.BytesIO(out.getvalue()), read_only=True).worksheets[0]
        assert [c.value for c in next(sheet.iter_rows())][:4] == ["title", "body", "channels", "time"]
    exported = [dict(row.cells) for row in read_plan(io.BytesIO(out.getvalue()), kind)]
    assert [r["time"] for r in exported] == [
        "2026-12-02 09:00",
        "2026-12-03 10:30",
        "2026-12-04 08:00",
        "2026-12-05 09:15",
    ]
    assert exported[2]["text:weibo"] == "微博自己的短文"
    assert exported[3]["campaign"] == "迎新"
    assert {r["author"] for r in exported} == {""}  # the importer is the author: not named again

    def shape() -> list[tuple[object, ...]]:
        with store.sessions() as session:
            posts = session.scalars(select(Post).order_by(Post.id)).unique().all()
            return [
                (
                    p.title,
                    p.body,
                    p.images,
                    p.tags,
                    p.overrides,
                    p.campaign_id,
                    [(d.channel.name, d.due_at) for d in p.deliveries],
                )
                for p in posts
            ]

    first = shape()
    check = imported(queue, io.BytesIO(out.getvalue()), kind)
    assert check.written
    assert check.rows == 4
    assert shape() == first + first  # the same posts again
    # --campaign and --from/--to choose what is exported
    assert [r["title"] for r in export_plan(queue, campaign="迎新")[1]] == ["迎新日", "迎新日"]
    later = clock.now() + timedelta(days=2)
    assert len(list(export_plan(queue, due_from=later)[1])) == 4  # from 12-04 on


def test_the_command_line_imports_exports_and_refuses_in_chinese(tmp_path: Path) -> None:
    cli = configured(tmp_path)
    cli("init")
    (tmp_path / "photo.png").write_bytes(_PNG)
    (tmp_path / "body.md").write_text("# 正文\n来自文件", encoding="utf-8")
    rows = [
        ["开学典礼", "", "website; weibo", "2030-03-01 09:00", "photo.png"],
        ["运动会", "x", "website", "2030-03-02 09:00", ""],
    ]
    header = ["title", "body_file", "channels", "time", "images"]
    plan = tmp_path / "plan.csv"
    plan.write_bytes(
        csv_plan(
            [[*rows[0][:1], "body.md", *rows[0][2:]], ["运动会", "", "website", "2030-03-02 09:00", ""]], header
        ).getvalue()
    )
    # a dry run: the second row has no text... and that is allowed (an empty body), so both pass
    assert "all 2 rows can be queued" in cli("post", "import", str(plan), "--dry-run").stdout
    assert cli.json("post", "list") == []
    assert "queued 2 posts from 2 rows" in cli("post", "import", str(plan)).stdout
    listed = cli.json("post", "list")
    assert len(listed) == 3
    shown = cli.json("post", "show", str(listed[0]["post"]))
    assert "来自文件" in shown["body"]
    out = tmp_path / "out.xlsx"
    assert "wrote 2 posts" in cli("post", "export", str(out)).stdout
    with out.open("rb") as source:
        exported = [dict(r.cells) for r in read_plan(source, "xlsx")]
    assert exported[0]["images"].startswith("media:")  # the file was copied in; the plan names the copy
    # refused in Chinese, row and column named; nothing queued
    bad = tmp_path / "bad.csv"
    bad.write_bytes(
        csv_plan([["传真", "x", "fax", "2030-03-01 09:00", ""]], ["标题", "正文", "渠道", "时间", "图片"]).getvalue()
    )
    _, err = run(tmp_path, "post", "import", str(bad), env=ZH_LOCALE, code=1)
    assert err.splitlines()[0].startswith("错误：" if err.startswith("错误") else "第 2 行")
    assert "渠道 (C)" in err
    assert ZH["nothing was queued: fix the rows above, or use --skip-bad"] in err
    assert len(cli.json("post", "list")) == 3


def _png() -> bytes:
    import struct
    import zlib

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    header = struct.pack(">IIBBBBB", 1, 1, 8, 2, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(b"\x00\xff\x00\x00"))
        + chunk(b"IEND", b"")
    )


_PNG = _png()


def test_a_spreadsheet_date_cell_is_read_as_the_time_typed(queue: Queue, store: Store) -> None:
    from datetime import datetime

    from openpyxl import Workbook

    book = Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.append(["标题", "正文", "渠道", "时间"])
    sheet.append(["开学典礼", "新学期", "website", datetime(2026, 12, 2, 9, 0)])  # a date cell, not text
    sheet.append([None, None, None, None])  # a blank row left at the end
    out = io.BytesIO()
    book.save(out)
    [row] = list(read_plan(io.BytesIO(out.getvalue()), "xlsx"))
    assert row.cells["time"] == "2026-12-02 09:00"
    assert row.headings["time"] == "时间"
    assert imported(queue, io.BytesIO(out.getvalue()), "xlsx").written
