"""The end of ``publisher demo``: some coverage of the demo campaign, found "by hand", and its reports.

The outlets and items go in through the tracker's own API (``add_outlet``, ``add_manual``), as
``publisher outlet add`` and ``publisher coverage add`` would put them; then every format is written.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, time, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

from publisher.clock import Clock
from publisher.reports.build import FORMATS, Written, write_reports
from publisher.store import Store
from publisher.tracker.coverage import add_manual
from publisher.tracker.outlets import OutletSpec, add_outlet
from publisher.tracker.settings import TrackerSettings

__all__ = ["COVERAGE", "OUTLETS", "demo_reports"]

OUTLETS = (
    OutletSpec(name="城市日报", kind="news_site", tier="city", region="阳光市"),
    OutletSpec(name="省教育网", kind="portal", tier="province"),
    OutletSpec(name="区融媒体中心", kind="official_account", tier="district", region="向阳区"),
)

#: (days before today, local time, outlet, title, url or None)
COVERAGE = (
    (13, "10:00", "城市日报", "阳光幼儿园启动“书香润童心”阅读月", "https://daily.example.cn/edu/2001.html"),
    (13, "16:30", "区融媒体中心", "阅读月开幕：孩子们和绘本交朋友", None),
    (10, "15:10", "省教育网", "阳光幼儿园：亲子共读半小时走进大一班", "https://edu.example.cn/news/kg/318.html"),
    (8, "08:20", "城市日报", "家长当起“故事爸爸”“故事妈妈”", "https://daily.example.cn/edu/2046.html"),
    (6, "11:00", "区融媒体中心", "绘本漂流进社区 阅读月里书香浓", None),
    (6, "14:40", "省教育网", "绘本漂流：一本书走过二十个家庭", "https://edu.example.cn/news/kg/331.html"),
    (3, "09:15", "城市日报", "小手拉大手 阅读月点亮幼儿园", "https://daily.example.cn/edu/2067.html"),
    (1, "17:45", "省教育网", "阅读月里的“小小故事家”", "https://edu.example.cn/news/kg/342.html"),
    (0, "07:00", "城市日报", "阳光幼儿园阅读月：孩子们的绘本推荐单", "https://daily.example.cn/edu/2080.html"),
)


def add_demo_coverage(store: Store, campaign: str, timezone: str, now: datetime) -> int:
    """Three outlets and nine items over the last two weeks; returns how many items were added."""
    zone = ZoneInfo(timezone)
    for spec in OUTLETS:
        add_outlet(store, spec, TrackerSettings(), now, "demo")
    today = now.astimezone(zone).date()
    for days, clock_time, outlet, title, url in COVERAGE:
        when = datetime.combine(today - timedelta(days=days), time.fromisoformat(clock_time), tzinfo=zone)
        add_manual(
            store,
            campaign=campaign,
            outlet=outlet,
            title=title,
            published_at=min(when, now),
            url=url,
            note=None if url else "微信公众号推文",
            now=now,
            actor="demo",
        )
    return len(COVERAGE)


def demo_reports(
    store: Store, folder: Path, campaign: str, timezone: str, clock: Clock, echo: Callable[[str], None] = print
) -> list[Written]:
    """Add the demo's coverage, write the campaign's report in every format (and the page in English too), and
    say where the files are."""
    added = add_demo_coverage(store, campaign, timezone, clock.now())
    reports = folder / "reports"
    now = clock.now()
    chinese = write_reports(store, campaign, FORMATS, now=now, lang="zh", folder=reports, base="report-zh")
    english = write_reports(store, campaign, ("html", "md"), now=now, lang="en", folder=reports, base="report-en")
    echo(f"\nadded {added} coverage items by hand (publisher coverage add); the campaign's reports:")
    for path in [*chinese.paths, *english.paths]:
        echo(f"  {path}")
    echo(f"\n{chinese.narrative}\n\n{english.narrative}")
    echo(f"\nreports are in {reports} (publisher report --campaign {campaign} --format html writes one)")
    return [chinese, english]
