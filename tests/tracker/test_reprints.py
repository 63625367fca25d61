"""Reprints on headlines: the labelled set's figures on its fixed test part, and stories counted right.

The labelled set (tests/data/reprints, its README.md says how it was written and split) holds 20 of our posts and
324 feed entries: reworded reprints, near misses and unrelated news. bench/tracker.py prints the same figures.
"""

from __future__ import annotations

from collections import Counter
from datetime import UTC, datetime

from publisher.queue import Queue
from publisher.store import Store
from publisher.store.reports import open_report
from publisher.tracker.coverage import CoverageFilter, list_coverage, set_rules
from publisher.tracker.match import SIMILARITY, CampaignRules, Matcher, OurPost, prepare
from publisher.tracker.outlets import OutletSpec, add_outlet
from publisher.tracker.service import Tracker
from tests.fakes.feeds import FeedServer, Item, rss
from tests.tracker.conftest import FAST, start_campaign
from tests.tracker.reprints import best_scores, calibrate, figures, load

NOW = datetime(2026, 12, 1, 8, 0, tzinfo=UTC)


def test_the_labelled_set_is_as_its_readme_says() -> None:
    posts, entries = load()
    assert len(posts) == 20
    assert 300 <= len(entries) <= 500
    labels = Counter((e.label, e.part) for e in entries)
    assert labels[("reprint", "test")] >= 50
    assert labels[("reprint", "calibration")] >= 50
    assert labels[("near_miss", "test")] >= 50
    assert labels[("unrelated", "test")] >= 50
    for entry in entries:  # the split: the post's id (an unrelated entry's number) odd for calibration, even for test
        number = entry.post if entry.post is not None else int(entry.id[1:])
        assert entry.part == ("calibration" if number % 2 else "test"), entry.id
    assert {e.post for e in entries if e.label == "reprint"} == {p.post for p in posts}


def test_reworded_reprints_are_found_on_the_fixed_test_sample() -> None:
    scored = best_scores(corpus=False)  # as a pass matches: counts from our posts
    calibrated = calibrate(scored)
    found = figures(scored, SIMILARITY, "test")
    print(f"\n{calibrated.line()}\n{found.line()}")
    for wrong in found.wrong:
        print("  wrong:", wrong)
    assert calibrated.threshold == SIMILARITY  # the constant is what the calibration part gives
    assert found.precision >= 0.9
    assert found.recall >= 0.8


def test_a_short_headline_is_compared_too() -> None:
    """No cut-off for short texts: an eleven-character headline that reprints a post is found, one that only shares
    the school's name and the date is not."""
    post = OurPost(
        post_id=7,
        campaign_id=1,
        texts=["育才中学退休教师王淑兰逝世\n育才中学退休教师王淑兰同志于12月6日逝世，享年87岁，从教三十五年。"],
    )
    others = [
        OurPost(post_id=n, campaign_id=1, texts=[f"育才中学第{n}届运动会开幕\n12月6日，育才中学举行运动会。"])
        for n in range(1, 4)
    ]
    matcher = Matcher([CampaignRules(campaign_id=1)], [post, *others])
    [found] = matcher.match(prepare("【讣告】王淑兰老师逝世", ""))
    assert (found.post_id, found.matched_by) == (7, "similarity")
    assert matcher.match(prepare("12月6日育才中学召开家长会", "")) == []


def _outlet(store: Store, name: str, feed: str) -> None:
    add_outlet(store, OutletSpec(name=name, tier="city", feeds=[feed]), FAST, NOW, "tester")


STORIES = [
    [
        "阳光幼儿园启动阅读月 三百本绘本漂流进社区",
        "【城东发布】阳光幼儿园启动阅读月 三百本绘本漂流进社区",
        "阳光幼儿园启动阅读月：三百本绘本漂流进社区",
        "阳光幼儿园阅读月启动 300本绘本漂流进社区",
        "三百本绘本漂流进社区 阳光幼儿园启动阅读月",
        "陽光幼兒園啟動閱讀月 三百本繪本漂流進社區",
    ],
    [
        "阳光幼儿园阅读月：作家周明远给孩子们讲《萤火虫邮局》",
        "【教育】阳光幼儿园阅读月 作家周明远讲《萤火虫邮局》",
        "作家周明远给阳光幼儿园孩子们讲萤火虫邮局 阅读月",
        "阳光幼儿园阅读月迎来作家周明远 讲《萤火虫邮局》",
        "阳光幼儿园阅读月：周明远讲萤火虫邮局的故事",
    ],
    [
        "阳光幼儿园亲子共读半小时 孩子当起小老师",
        "阳光幼儿园：亲子共读半小时，孩子们当起了小老师",
        "【区教育局】阳光幼儿园亲子共读半小时 孩子当起小老师",
        "亲子共读半小时 阳光幼儿园孩子当起小老师",
        "孩子当起小老师 阳光幼儿园亲子共读半小时",
    ],
]


async def test_sixteen_headlines_of_three_stories_are_three_stories(
    store: Store, queue: Queue, tracker: Tracker, feeds: tuple[FeedServer, str]
) -> None:
    """Headline-only entries (as WeChat bridges carry them) from sixteen outlets, three stories told with small
    changes of wording and order, an outlet's tag, Traditional characters: the report counts three stories."""
    server, base = feeds
    start_campaign(queue)
    set_rules(store, "阅读月", any_of=["阅读月", "亲子共读"], all_of=["阳光幼儿园"], none_of=[], now=NOW, actor="t")
    n = 0
    for story, headlines in enumerate(STORIES):
        for headline in headlines:
            server.put(f"/f{n}.xml", rss([Item(headline, "", f"http://site{n}.example/{story}", f"s{n}")]))
            _outlet(store, f"outlet-{n}", f"{base}/f{n}.xml")
            n += 1
    assert n == 16

    report = await tracker.run_once()
    assert report.coverage == 16
    items = list_coverage(store, CoverageFilter(campaign="阅读月"))
    by_group: dict[int, set[int]] = {}
    for item in items:
        story = next(s for s, headlines in enumerate(STORIES) if item.title in headlines)
        by_group.setdefault(item.reprint_group or item.id, set()).add(story)
    assert sorted(by_group.values(), key=min) == [{0}, {1}, {2}]
    with open_report(store, "阅读月", now=NOW) as opened:
        assert opened.summary.stories == 3
