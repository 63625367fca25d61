"""SMS templates fill ``event_date``/``event_time`` from the post's ``event_at``; ``date``/``time`` stay the send's.

The example configurations (config/channels/sms_*.toml) promise "将于{event date}举行": they must say the event's
day, not the day the message goes out. Checked on the adapters, through the queue on both stores, and from a post
file.
"""

from __future__ import annotations

import tomllib
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
import pytest

from adapters import Adapter, Permanent, PostContent, create
from publisher.clock import ManualClock
from publisher.errors import ValidationError
from publisher.postfile import read_post_file
from publisher.queue import PostDraft, Queue
from publisher.store import Store

ROOT = Path(__file__).resolve().parents[2]
ENV = {
    "ALIYUN_SMS_ACCESS_KEY_ID": "LTAI5tExample",
    "ALIYUN_SMS_ACCESS_KEY_SECRET": "s",
    "TENCENT_SMS_SECRET_ID": "AKIDexample",
    "TENCENT_SMS_SECRET_KEY": "s",
}
CONTACTS = {"parents": ["+8613800138000"], "members": ["13900139000"]}
# sent on 28 August (Shanghai) about a ceremony on 1 September at 09:00 Shanghai, which is still 31 August in UTC
SENT = datetime(2026, 8, 28, 8, 0, tzinfo=UTC)
EVENT = datetime(2026, 9, 1, 1, 0, tzinfo=UTC)


def example(kind: str, **changes: Any) -> Adapter:
    """The channel of config/channels/KIND.toml, as written there (plus ``changes``)."""
    document = tomllib.loads((ROOT / f"config/channels/{kind}.toml").read_text(encoding="utf-8"))
    ((name, table),) = document["channels"].items()
    options = {k: v for k, v in table.items() if k not in ("kind", "concurrency", "rate_per_minute")}
    options = {**options, "contacts": CONTACTS, **changes}
    return create(kind, name, options, client=httpx.AsyncClient(), env=ENV)


def post(**changes: Any) -> PostContent:
    fields: dict[str, Any] = {
        "title": "开学典礼",
        "body": "全体师生参加。",
        "timezone": "Asia/Shanghai",
        "due_at": SENT,
        "event_at": EVENT,
    }
    return PostContent(**{**fields, **changes})


@pytest.mark.parametrize("kind", ["sms_aliyun", "sms_tencent"])
def test_the_example_says_the_event_date_not_the_send_date(kind: str) -> None:
    assert example(kind).render(post()).text == "【青禾学校】开学典礼将于9月1日举行,详见学校官网。"


@pytest.mark.parametrize(
    ("kind", "template", "params"),
    [
        ("sms_aliyun", "${t}于${d}${h}举行,${s}发", {"t": "title", "d": "event_date", "h": "event_time", "s": "date"}),
        ("sms_tencent", "{1}于{2}{3}举行,{4}发", ["title", "event_date", "event_time", "date"]),
    ],
)
def test_event_and_send_fields_side_by_side_in_the_campaigns_zone(kind: str, template: str, params: Any) -> None:
    adapter = example(kind, template_text=template, params=params)
    assert adapter.render(post()).text == "【青禾学校】开学典礼于9月1日09:00举行,8月28日发"
    # the same instants read in another campaign's zone
    assert adapter.render(post(timezone="Europe/London")).text == "【青禾学校】开学典礼于9月1日02:00举行,8月28日发"


@pytest.mark.parametrize("kind", ["sms_aliyun", "sms_tencent"])
def test_a_post_without_an_event_date_is_refused_with_the_reason(kind: str) -> None:
    with pytest.raises(Permanent, match=r"needs the post's event_date, but the post has no event date \(event_at\)"):
        example(kind).render(post(event_at=None))


def test_a_template_without_event_fields_needs_no_event_date() -> None:
    adapter = example("sms_tencent", template_text="{1}将于{2}举行。", params=["title", "date"])
    assert adapter.render(post(event_at=None)).text == "【青禾学校】开学典礼将于8月28日举行。"


def test_event_at_is_read_from_a_post_file(tmp_path: Path) -> None:
    path = tmp_path / "ceremony.md"
    path.write_text("---\ntitle: 开学典礼\nevent_at: 2026-09-01\n---\n全体师生参加。\n", encoding="utf-8")
    assert read_post_file(str(path))["event_at"] == "2026-09-01"
    path.write_text("---\ntitle: 开学典礼\nevent_at: [1]\n---\n全体师生参加。\n", encoding="utf-8")
    with pytest.raises(ValidationError, match="event_at"):
        read_post_file(str(path))


@pytest.fixture
def sms_queue(store: Store, clock: ManualClock) -> Queue:
    adapters = {"parents-sms": example("sms_aliyun")}
    store.sync_channels({"parents-sms": "sms_aliyun"}, clock.now())
    return Queue(store, adapters, clock, timezone="Asia/Shanghai", actor="tester")


def test_the_queue_keeps_the_event_date_and_refuses_a_post_that_lacks_one(sms_queue: Queue, clock: ManualClock) -> None:
    at = clock.now().replace(hour=12)
    draft = PostDraft(title="开学典礼", body="全体师生参加。", channels=["parents-sms"], at=at, event_at=EVENT)
    post_id = sms_queue.add_post(draft)
    (row,) = sms_queue.preview(post_id)
    assert row["text"] == "【青禾学校】开学典礼将于9月1日举行,详见学校官网。"
    with pytest.raises(ValidationError, match="no event date"):
        sms_queue.add_post(PostDraft(title="开学典礼", body="全体师生参加。", channels=["parents-sms"], at=at))


def test_the_cli_takes_event_at_and_shows_it_in_the_campaigns_zone(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from tests.test_cli import Cli

    for name, value in ENV.items():
        monkeypatch.setenv(name, value)
    channel = (ROOT / "config/channels/sms_aliyun.toml").read_text(encoding="utf-8")
    (tmp_path / "publisher.toml").write_text(
        f'[publisher]\ntimezone = "Asia/Shanghai"\n\n{channel}\n', encoding="utf-8"
    )
    cli = Cli(tmp_path)
    cli("init")
    cli("campaign", "add", "家长会", "--tz", "Asia/Shanghai")
    # a day given without a time is that day's midnight in the campaign's zone (16:00 UTC the day before)
    added = ("post", "add", "--title", "开学典礼", "--body", "全体师生参加。", "--channel", "parents-sms", "--now")
    cli(*added, "--campaign", "家长会", "--event-at", "2026-09-01")
    shown = cli.json("post", "show", "1")
    assert shown["event"].startswith("2026-09-01 00:00")
    (preview,) = cli.json("post", "preview", "1")
    assert preview["text"] == "【青禾学校】开学典礼将于9月1日举行,详见学校官网。"
    assert "no event date (event_at)" in cli.refused(*added)


@pytest.mark.parametrize("kind", ["sms_aliyun", "sms_tencent"])
def test_every_group_an_sms_example_sends_to_is_in_its_contacts(kind: str) -> None:
    """The example file and the docs page's example, each read whole: [contacts] holds every group named."""
    page = (ROOT / f"docs/channels/{kind}.md").read_text(encoding="utf-8")
    block = page.split("```toml\n", 1)[1].split("```", 1)[0]
    for text in ((ROOT / f"config/channels/{kind}.toml").read_text(encoding="utf-8"), block):
        document = tomllib.loads(text)
        for table in document["channels"].values():
            assert set(table["recipients"]) <= set(document["contacts"]), (kind, table["recipients"])
