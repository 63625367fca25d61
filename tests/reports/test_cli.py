"""``publisher report`` through the real command tree: formats, periods, standard output, refusals, schedules."""

from __future__ import annotations

import json
from pathlib import Path

import openpyxl

from tests.test_cli import Cli, cli  # noqa: F401  (the fixture: a folder with publisher.toml)


def _campaign(cli: Cli) -> None:  # noqa: F811
    cli("campaign", "add", "阅读月", "--tz", "Asia/Shanghai", "--start", "2026-11-16")
    cli("outlet", "add", "城市日报", "--kind", "news_site", "--tier", "city")
    cli("outlet", "add", "省教育网", "--kind", "portal", "--tier", "province")
    for outlet, title, date in (
        ("城市日报", "阳光幼儿园启动阅读月", "2026-11-20 10:00"),
        ("省教育网", "亲子共读半小时", "2026-11-21 15:00"),
        ("城市日报", "绘本漂流", "2026-11-30 23:30"),
    ):
        cli("coverage", "add", "--campaign", "阅读月", "--outlet", outlet, "--title", title, "--date", date)


def test_a_report_in_each_format(cli: Cli) -> None:  # noqa: F811
    _campaign(cli)
    result = cli("report", "--campaign", "阅读月", "--format", "html", "--format", "xlsx", "--folder", "out")
    written = [line.removeprefix("wrote ") for line in result.stdout.splitlines() if line.startswith("wrote ")]
    assert [Path(p).suffix for p in written] == [".html", ".xlsx"]
    assert "3 coverage items from 2 outlets" in result.stdout
    assert "城市日报、省教育网等2家媒体先后刊发活动报道3篇，其中城市日报2篇、省教育网1篇。" in result.stdout
    book = openpyxl.load_workbook(cli.folder / written[1])
    assert book["媒体"]["A2"].value == "城市日报"
    one = cli("report", "--format", "md", "--lang", "en", "--out", "r.md")  # the only campaign
    assert one.stdout.startswith("wrote r.md")
    assert "carried 3 reports on it" in (cli.folder / "r.md").read_text(encoding="utf-8")


def test_json_to_standard_output_and_an_inclusive_to_date(cli: Cli) -> None:  # noqa: F811
    _campaign(cli)
    result = cli(
        "report", "--campaign", "阅读月", "--from", "2026-11-20", "--to", "2026-11-30", "--format", "json", "--out", "-"
    )
    document = json.loads(result.stdout)
    assert document["totals"]["coverage"] == 3  # 23:30 on the 30th is inside "--to 2026-11-30"
    assert document["period"]["to"] == "2026-12-01T00:00:00+08:00"
    assert document["narrative"].startswith("2026年11月20日至2026年11月30日，")
    earlier = cli("report", "--campaign", "阅读月", "--to", "2026-11-30 12:00", "--format", "json", "--out", "-")
    assert json.loads(earlier.stdout)["totals"]["coverage"] == 2


def test_refusals_name_the_fix(cli: Cli) -> None:  # noqa: F811
    _campaign(cli)
    assert "choose a format: --format" in cli.refused("report", "--campaign", "阅读月")
    assert "there is no campaign 没有" in cli.refused("report", "--campaign", "没有", "--format", "md")
    assert "xlsx cannot go to standard output" in cli.refused(
        "report", "--campaign", "阅读月", "--format", "xlsx", "--out", "-"
    )
    assert "one --out is for one format" in cli.refused(
        "report", "--campaign", "阅读月", "--format", "md", "--format", "html", "--out", "r"
    )
    assert "the end must be after the start (--to after --from)" in cli.refused(
        "report", "--campaign", "阅读月", "--from", "2026-12-01", "--to", "2026-11-01", "--format", "md"
    )
    cli("campaign", "add", "另一个")
    assert "say which campaign" in cli.refused("report", "--format", "md")


def test_scheduled_reports_for_cron(cli: Cli) -> None:  # noqa: F811
    assert "no scheduled reports" in cli("report", "--scheduled").stdout
    config = cli.folder / "publisher.toml"
    config.write_text(
        config.read_text(encoding="utf-8")
        + '\n[reports.minutely]\ncampaign = "阅读月"\ncron = "* * * * *"\nformats = ["md"]\nfolder = "weekly"\n',
        encoding="utf-8",
    )
    _campaign(cli)
    result = cli("report", "--scheduled")
    assert "minutely (" in result.stdout
    assert ": done: weekly/minutely-" in result.stdout
    assert len(list((cli.folder / "weekly").glob("minutely-*.md"))) == 1


def test_the_report_links_kept_pages_to_the_console_at_its_public_url(tmp_path: Path) -> None:
    from publisher.store import open_store
    from tests.reports.test_evidence import DIGEST, keep_page
    from tests.test_cli import configured

    run = configured(tmp_path, '[web]\npublic_url = "https://publicity.example.edu.cn/"\n')
    run("init")
    _campaign(run)
    store = open_store(f"sqlite:///{tmp_path / 'publisher.db'}")
    try:
        keep_page(store, 1, "https://daily.example.cn/a/1")
    finally:
        store.engine.dispose()

    run("report", "--campaign", "阅读月", "--format", "html", "--out", "r.html")

    page = (tmp_path / "r.html").read_text(encoding="utf-8")
    assert f'<a href="https://publicity.example.edu.cn/coverage/1/evidence">{DIGEST}</a>' in page
