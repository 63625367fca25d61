"""The Weibo adapter against its stand-in over loopback HTTP, and its rendering of tricky posts."""

from __future__ import annotations

import itertools
import json
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from adapters.base import Payload, PostContent
from adapters.errors import AdapterConfigError, CredentialsRejected, Permanent, Retryable, Uncertain
from adapters.text import graphemes, markdown_to_text
from adapters.weibo import WeiboAdapter, count_weibo
from tests.fakes import Stand, serve
from tests.fakes import stand as serve_stand
from tests.fakes.images import MemoryImages, png
from tests.fakes.weibo import FakeWeibo, weibo_length

LINK = "https://www.example.org/news/2024/09/kaixue"
POST = PostContent(title="开学第一课", body="孩子们**回到**校园。\n\n- 升旗\n- 讲话", link=LINK)
IMAGES = MemoryImages()
PNG = png()


def make(options: dict[str, Any]) -> WeiboAdapter:
    base = {"token_env": "WEIBO_TOKEN", "safe_domain": "example.org", "rip": "203.0.113.7", **options}
    return WeiboAdapter("weibo", base, client=httpx.AsyncClient(), env={"WEIBO_TOKEN": "s3cret-token"})


@pytest.fixture
async def stand() -> AsyncIterator[Stand]:
    async for value in serve_stand(FakeWeibo(), WeiboAdapter, name="weibo", images=IMAGES):
        yield value


# --- sending ------------------------------------------------------------------------------------------------------


async def test_share_returns_idstr_and_the_platform_shows_the_text(stand: Stand) -> None:
    payload = stand.adapter.render(POST)
    receipt = await stand.adapter.publish(payload, "post-1-weibo")
    [shown] = stand.fake.accepted
    assert receipt.remote_id == shown["idstr"] == "4987654321000001"
    assert receipt.url == "https://m.weibo.cn/status/4987654321000001"
    assert receipt.details["uid"] == "5678901234"
    assert shown["text"] == payload.text == f"【开学第一课】孩子们回到校园。\n• 升旗\n• 讲话 {LINK}"


async def test_one_picture_goes_as_multipart_pic(stand: Stand) -> None:
    picture = IMAGES.add(PNG, "flag.png")
    post = PostContent(title="升旗仪式", body="", link=LINK, images=(picture, IMAGES.add(png(9, 9), "second.png")))
    payload = stand.adapter.render(post)
    assert payload.data["image"] == picture  # one picture: Weibo takes a single pic
    await stand.adapter.publish(payload, "k")
    assert stand.fake.accepted[0]["pic_bytes"] == len(PNG)


async def test_a_photo_over_five_megabytes_is_scaled_down_to_fit(stand: Stand) -> None:
    """Weibo takes a pic under 5 MB (the stand-in refuses a larger one with 20006); a phone's larger photo used to be
    refused with it, and now goes scaled down, as a JPEG."""
    import io
    import random

    from PIL import Image

    rng = random.Random(5)
    noise = bytes(rng.getrandbits(8) for _ in range(1400 * 1300 * 3))  # noise does not compress: a PNG over 5 MB
    big = io.BytesIO()
    Image.frombytes("RGB", (1400, 1300), noise).save(big, "PNG")
    assert len(big.getvalue()) > 5 * 1024 * 1024
    post = PostContent(title="运动会", body="", link=LINK, images=(IMAGES.add(big.getvalue(), "big.png"),))

    await stand.adapter.publish(stand.adapter.render(post), "big-pic")

    [shown] = stand.fake.accepted
    assert 0 < shown["pic_bytes"] < 5 * 1024 * 1024


async def test_missing_picture_is_permanent_and_posts_nothing(stand: Stand, tmp_path: Path) -> None:
    post = PostContent(title="升旗仪式", body="", link=LINK, images=(str(tmp_path / "gone.png"),))
    with pytest.raises(Permanent, match="refused"):  # a path is not an image source: nothing is opened
        await stand.adapter.publish(stand.adapter.render(post), "k")
    assert stand.fake.accepted == []


# --- errors ---------------------------------------------------------------------------------------------------------


async def test_rate_limit_is_retryable_with_weibos_reset_time(stand: Stand) -> None:
    stand.fake.inject("rate_limit")
    with pytest.raises(Retryable) as caught:
        await stand.adapter.publish(stand.adapter.render(POST), "k")
    assert "10023" in caught.value.reason
    assert caught.value.after is not None
    assert 0 < caught.value.after <= 3600
    assert stand.fake.accepted == []


async def test_posting_more_than_the_hourly_allowance_is_retryable() -> None:
    fake = FakeWeibo(posts_per_hour=2)
    async with serve(fake.app()) as base, httpx.AsyncClient() as client:
        options, env = fake.channel_options(base)
        adapter = WeiboAdapter("weibo", options, client=client, env=env)
        for n in range(2):
            await adapter.publish(adapter.render(PostContent(title=f"第{n}条", body="", link=LINK)), f"k{n}")
        with pytest.raises(Retryable) as caught:
            await adapter.publish(adapter.render(PostContent(title="第三条", body="", link=LINK)), "k3")
    assert caught.value.after is not None
    assert caught.value.after > 0
    assert len(fake.accepted) == 2


async def test_expired_token_pauses_the_channel_with_a_clear_message(stand: Stand) -> None:
    stand.fake.inject("auth")
    with pytest.raises(CredentialsRejected) as caught:
        await stand.adapter.publish(stand.adapter.render(POST), "k")
    assert "21327" in caught.value.reason
    assert "has expired" in caught.value.reason
    assert "WEIBO_TOKEN" in caught.value.reason
    assert stand.fake.token not in caught.value.reason


async def test_wrong_token_is_rejected_and_never_shown() -> None:
    fake = FakeWeibo()
    async with serve(fake.app()) as base, httpx.AsyncClient() as client:
        options, _ = fake.channel_options(base)
        adapter = WeiboAdapter("weibo", options, client=client, env={"WEIBO_TOKEN": "2.00stolen-or-revoked"})
        with pytest.raises(CredentialsRejected, match="21332") as caught:
            await adapter.publish(adapter.render(POST), "k")
        with pytest.raises(CredentialsRejected):
            await adapter.check()
    assert "2.00stolen-or-revoked" not in caught.value.reason
    assert "2.00stolen-or-revoked" not in repr(adapter) + json.dumps(adapter.describe())


async def test_lost_answer_then_resend_is_refused_as_repeat_not_posted_twice(stand: Stand) -> None:
    assert stand.adapter.idempotency == "none"  # the dispatcher waits for a person after Uncertain
    payload = stand.adapter.render(POST)
    stand.fake.inject("timeout")
    with pytest.raises(Uncertain):
        await stand.adapter.publish(payload, "post-1-weibo")
    with pytest.raises(Permanent, match="20019") as caught:  # what a person's resend would meet
        await stand.adapter.publish(payload, "post-1-weibo")
    assert "already on the account" in caught.value.reason
    assert len(stand.fake.accepted) == 1


async def test_refused_connection_is_retryable() -> None:
    async with httpx.AsyncClient() as client:
        adapter = WeiboAdapter(
            "weibo",
            {"api_base": "http://127.0.0.1:9", "token_env": "T", "safe_domain": "example.org", "rip": "203.0.113.7"},
            client=client,
            env={"T": "x"},
        )
        with pytest.raises(Retryable):
            await adapter.publish(adapter.render(POST), "k")


async def test_check_reports_the_uid_and_days_left() -> None:
    fake = FakeWeibo(token_seconds_left=3 * 86400)
    async with serve(fake.app()) as base, httpx.AsyncClient() as client:
        options, env = fake.channel_options(base)
        verdict = await WeiboAdapter("weibo", options, client=client, env=env).check()
    assert verdict == "token for Weibo user 5678901234 is valid for 3 more days; renew it soon"


async def test_check_and_publish_with_an_expired_token() -> None:
    fake = FakeWeibo(token_seconds_left=0)
    async with serve(fake.app()) as base, httpx.AsyncClient() as client:
        options, env = fake.channel_options(base)
        adapter = WeiboAdapter("weibo", options, client=client, env=env)
        with pytest.raises(CredentialsRejected, match="has expired"):
            await adapter.check()
        with pytest.raises(CredentialsRejected, match="21327"):
            await adapter.publish(adapter.render(POST), "k")


# --- rendering ----------------------------------------------------------------------------------------------------


def test_count_follows_weibo() -> None:
    assert count_weibo("Test") == 2
    assert count_weibo("我司CEO与我司吉祥物...好大一坨！") == 16  # 13 full + 6 half
    assert count_weibo("https://example.org/" + "a" * 100) == 10  # a link is a 10-汉字 short link
    assert count_weibo("看 https://example.org/a。") == 13  # 看 1 + space ½ + link 10 + 。1, rounded up
    assert count_weibo("😀") == 2  # counted as two UTF-16 units, like Weibo's web client


def test_link_off_the_safe_domain_uses_the_fallback_or_is_refused() -> None:
    off_domain = PostContent(title="通知", body="正文", link="https://elsewhere.net/a")
    assert make({}).render(PostContent(title="通知", body="", link=LINK)).text.endswith(LINK)
    with pytest.raises(Permanent, match=r"safe domain example\.org"):
        make({}).render(off_domain)
    with pytest.raises(Permanent, match="fallback_link"):
        make({}).render(PostContent(title="通知", body="正文"))
    fallback = make({"fallback_link": "https://example.org/"})
    assert fallback.render(off_domain).text == "【通知】正文 https://example.org/"


def test_topic_markers_are_removed() -> None:
    text = make({}).render(PostContent(title="#开学季# 活动", body="欢迎 #新生#", link=LINK)).text
    assert "#" not in text.replace(LINK, "")
    assert text.startswith("【开学季 活动】欢迎 新生")


def test_a_markdown_link_in_the_body_keeps_its_url() -> None:
    """Found on Mastodon first (issue 14): the label alone ("报名表") would lose where it pointed."""
    text = (
        make({})
        .render(PostContent(title="报名", body="请下载[报名表](https://www.example.org/form.pdf)。", link=LINK))
        .text
    )
    assert "报名表 https://www.example.org/form.pdf" in text


TRICKY = (
    "臺北市立圖書館舉辦「閱讀節」，歡迎大家參加！北京市图书馆同步举办读书节。🎉📚👨‍👩‍👧‍👦 "
    "详见 https://example.org/very/long/path/" + "x" * 180 + " 以及附表：\n\n"
    "| 日期 | 活动 |\n|---|---|\n| 9月1日 | 开幕 |\n\n```python\nprint('你好')\n```\n\n" + "更多内容。" * 40
)


def test_tricky_text_fits_and_is_cut_cleanly() -> None:
    adapter = make({})
    text = adapter.render(PostContent(title="讀書節 · 读书节 🎉", body=TRICKY, link=LINK)).text
    assert count_weibo(text) <= 140
    assert weibo_length(text) <= 140  # the stand-in's own count agrees
    assert text.endswith(f"… {LINK}")
    body = text.removeprefix("【讀書節 · 读书节 🎉】").removesuffix(f"… {LINK}")
    source = markdown_to_text(TRICKY).replace("\n\n", "\n")
    assert source.startswith(body)
    assert body.startswith("臺北市立圖書館舉辦「閱讀節」")
    ends = {0, *itertools.accumulate(len(c) for c in graphemes(source))}
    assert len(body) in ends  # never inside the family emoji 👨‍👩‍👧‍👦
    assert "https://example.org/very/long/path/" not in text or "x" * 180 in text  # never half a link


def test_a_short_budget_cuts_before_a_link_never_inside_it() -> None:
    adapter = make({})
    body = "详见 https://example.org/" + "y" * 100 + " 后文" * 80
    text = adapter.render(PostContent(title="标" * 60, body=body, link=LINK)).text
    assert count_weibo(text) <= 140
    assert "https://example.org/y" not in text or "y" * 100 in text


@pytest.mark.parametrize("extra", [0, 1])
async def test_exactly_at_the_limit_is_accepted_and_one_past_is_refused(stand: Stand, extra: int) -> None:
    # 【】 and the space: 2 + ½; the link: 10; so 127 汉字 of title reaches 140 (rounded up)
    title = "字" * (127 + extra)
    text = f"【{title}】 {LINK}"
    assert count_weibo(text) == 140 + extra
    assert stand.adapter.limits.max_length == 140  # the queue refuses the one-past text before it is sent
    if extra:
        rendered = stand.adapter.render(PostContent(title=title, body="", link=LINK)).text
        assert count_weibo(rendered) <= 140
        assert rendered.endswith(f"…】 {LINK}")
        with pytest.raises(Permanent, match="20012"):  # and Weibo itself refuses it
            await stand.adapter.publish(Payload(text=text, data={"status": text}), "k")
    else:
        assert stand.adapter.render(PostContent(title=title, body="", link=LINK)).text == text
        await stand.adapter.publish(stand.adapter.render(PostContent(title=title, body="", link=LINK)), "k")
        assert stand.fake.accepted[0]["text"] == text


# --- configuration --------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("options", "key"),
    [
        ({"safe_domain": "https://example.org/"}, "safe_domain"),
        ({"fallback_link": "https://elsewhere.net/"}, "fallback_link"),
        ({"rip": "my laptop"}, "rip"),
        ({"timeout": 0}, "timeout"),
    ],
)
def test_bad_options_name_the_key(options: dict[str, Any], key: str) -> None:
    merged = {"token_env": "WEIBO_TOKEN", "safe_domain": "example.org", "rip": "203.0.113.7", **options}
    merged = {k: v for k, v in merged.items() if v is not None}
    with pytest.raises(AdapterConfigError) as caught:
        WeiboAdapter("weibo", merged, client=httpx.AsyncClient(), env={"WEIBO_TOKEN": "s3cret-token"})
    assert caught.value.key == key
