"""The work-summary paragraph: exact text for the known campaign in both languages, periods, templates, edge cases."""

from __future__ import annotations

import dataclasses
from datetime import datetime

import pytest

from publisher.errors import ConfigError
from publisher.reports.labels import _EN, _ZH
from publisher.reports.narrative import PLACEHOLDERS, check_template, narrative
from publisher.reports.settings import parse_reports
from publisher.store import Store
from publisher.store.reports import OutletRow, Summary, open_report
from tests.reports.conftest import NARRATIVE_EN, NARRATIVE_ZH, Known, at


def _summary(store: Store, known: Known, **period: datetime) -> Summary:
    with open_report(store, known.campaign, now=known.now, **period) as report:
        return report.summary


def test_the_known_campaign_in_chinese_and_english(store: Store, known: Known) -> None:
    summary = _summary(store, known)
    assert narrative(summary, "zh") == NARRATIVE_ZH
    assert narrative(summary, "en") == NARRATIVE_EN


def test_traditional_chinese_is_converted_from_the_simplified_text(store: Store, known: Known) -> None:
    text = narrative(_summary(store, known), "zh-Hant")
    assert text.startswith("“閱讀月”活動開展以來，通過website、weibo等2個渠道發佈活動信息2篇")
    assert "城市日報、省教育網、區融媒體中心等3家媒體先後刊發活動報道6篇" in text


def test_a_period_is_named_by_its_days(store: Store, known: Known) -> None:
    both = _summary(store, known, start=at(1, 0), end=at(4, 0))
    assert narrative(both, "zh").startswith("2026年12月1日至2026年12月3日，")
    assert narrative(both, "en").startswith("From 1 December 2026 to 3 December 2026, ")
    since = _summary(store, known, start=at(2, 0))
    assert narrative(since, "zh").startswith("2026年12月2日以来，")
    until = _summary(store, known, end=at(6, 0))
    assert narrative(until, "zh").startswith("“阅读月”活动开展以来（截至2026年12月5日），")
    assert narrative(until, "en").startswith("Since the campaign “阅读月” began (up to 5 December 2026), ")


def test_one_outlet_one_channel_and_nothing_yet(store: Store, known: Known) -> None:
    one = _summary(store, known, start=at(1, 0), end=at(2, 0))  # 城市日报's first item; the kickoff post
    assert narrative(one, "zh") == (
        "2026年12月1日至2026年12月1日，通过website、weibo等2个渠道发布活动信息1篇，累计推送2次；"
        "城市日报刊发活动报道1篇。"
    )
    assert narrative(one, "en").endswith("; 城市日报 carried 1 report on it.")
    quiet = _summary(store, known, start=at(6, 0), end=at(7, 0))
    assert narrative(quiet, "zh") == "2026年12月6日至2026年12月6日，暂无发布记录和媒体报道。"
    assert narrative(quiet, "en") == (
        "From 6 December 2026 to 6 December 2026, nothing has been published and no coverage has been found."
    )
    no_coverage = dataclasses.replace(_summary(store, known), coverage=0, outlets=[])
    assert narrative(no_coverage, "zh").endswith("累计推送3次；暂未发现外部媒体报道。")
    assert narrative(no_coverage, "en").endswith("; no coverage by outside outlets has been found yet.")


def test_many_outlets_are_named_up_to_five_and_counted(store: Store, known: Known) -> None:
    summary = _summary(store, known)
    outlets = [OutletRow(f"媒体{i}", "news_site", None, None, 10 - i, None, None) for i in range(7)]
    many = dataclasses.replace(summary, outlets=outlets, coverage=sum(o.items for o in outlets))
    zh = narrative(many, "zh")
    assert "媒体0、媒体1、媒体2、媒体3、媒体4等7家媒体先后刊发活动报道49篇，其中媒体010篇、媒体19篇" in zh
    assert zh.endswith("媒体46篇等。")
    en = narrative(many, "en")
    assert "7 outlets, including 媒体0, 媒体1, 媒体2, 媒体3 and 媒体4, carried 49 reports on it" in en
    assert en.endswith("媒体4 6 and 2 others).")


def test_the_teams_own_template(store: Store, known: Known) -> None:
    summary = _summary(store, known)
    templates = {
        "zh": "截至目前，{outlets}等{outlet_count}家媒体刊发报道{count}篇（{stories}个独立报道，转载{reprints}篇）。",
        "en": "{count} items from {outlet_count} outlets; {sent} of {deliveries} deliveries sent.",
    }
    assert narrative(summary, "zh", templates) == (
        "截至目前，城市日报、省教育网、区融媒体中心等3家媒体刊发报道6篇（5个独立报道，转载1篇）。"
    )
    assert narrative(summary, "en", templates) == "6 items from 3 outlets; 3 of 5 deliveries sent."
    quiet = _summary(store, known, start=at(6, 0), end=at(7, 0))
    assert narrative(quiet, "zh", templates) == "2026年12月6日至2026年12月6日，暂无发布记录和媒体报道。"


def test_templates_are_checked_when_the_config_is_read() -> None:
    check_template("{since}，{count}篇，{{注}}")
    with pytest.raises(ValueError, match=r"unknown placeholder \{total\}; the placeholders are \{campaign\}"):
        check_template("{total}篇")
    with pytest.raises(ValueError, match="double a literal brace"):
        check_template("{count")
    with pytest.raises(ConfigError, match=r"\[reports.narrative_en\] unknown placeholder \{n\}"):
        parse_reports({"narrative_en": "{n} reports"}, "publisher.toml")
    settings = parse_reports({"narrative_zh": "{count}篇", "language": "en"}, "publisher.toml")
    assert settings.templates == {"zh": "{count}篇", "en": None}
    assert settings.language == "en"


def test_every_placeholder_is_filled_and_every_label_exists_in_both_languages(store: Store, known: Known) -> None:
    template = " ".join("{" + name + "}" for name in PLACEHOLDERS)
    text = narrative(_summary(store, known), "en", {"en": template})
    assert "{" not in text
    assert "阅读月" in text
    assert set(_ZH) == set(_EN)


def test_an_empty_campaign_says_so(store: Store, known: Known) -> None:
    summary = _summary(store, known)
    empty = dataclasses.replace(
        summary, coverage=0, outlets=[], channels=[], posts=0, sent=0, deliveries=0, stories=0, reprints=0
    )
    assert empty.empty
    assert narrative(empty, "zh") == "“阅读月”活动开展以来，暂无发布记录和媒体报道。"
    assert (
        narrative(empty, "en")
        == "Since the campaign “阅读月” began, nothing has been published and no coverage has been found."
    )
