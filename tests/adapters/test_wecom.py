"""The wecom adapter against FakeWeCom over loopback HTTP."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from adapters import AdapterConfigError, CredentialsRejected, Payload, Permanent, PostContent, Retryable
from adapters.text import count_utf8_bytes, truncate_utf8
from adapters.wecom import WeComAdapter
from tests.fakes import StandIn, serve
from tests.fakes.wecom import FakeWeCom

POST = PostContent(
    title="开学第一课",
    body="孩子們**回到**校園。\n\n| 项目 | 人数 |\n|---|---|\n| 升旗 | 300 |",
    link="https://example.org/a/1",
    images=("https://img.example.org/1.png",),
)
KEY = "693a91f6-7xxx-4bc4-97a0-0ec2sifa5aaa"


def make(fake: StandIn, base: str, client: httpx.AsyncClient, **extra: Any) -> WeComAdapter:
    return fake.adapter(WeComAdapter, base, client, name="wecom", **extra)


async def test_markdown_message_is_accepted() -> None:
    fake = FakeWeCom()
    async with serve(fake.app()) as base, httpx.AsyncClient() as client:
        adapter = make(fake, base, client)
        receipt = await adapter.publish(adapter.render(POST), "post-1-wecom")
    assert receipt.remote_id is None  # the robot returns no message id
    assert receipt.details == {"msgtype": "markdown"}
    assert fake.accepted == [
        {
            "msgtype": "markdown",
            "markdown": {
                "content": "# 开学第一课\n\n孩子們**回到**校園。\n\n项目 | 人数\n\n升旗 | 300\n\n"
                "[图片 1](https://img.example.org/1.png)\n\n[阅读全文](https://example.org/a/1)"
            },
        }
    ]


async def test_text_and_news_messages() -> None:
    fake = FakeWeCom()
    async with serve(fake.app()) as base, httpx.AsyncClient() as client:
        text = make(fake, base, client, msgtype="text")
        news = make(fake, base, client, msgtype="news")
        await text.publish(text.render(POST), "k1")
        await news.publish(news.render(POST), "k2")
    assert fake.accepted[0]["text"]["content"] == (
        "开学第一课\n\n孩子們回到校園。\n\n项目 | 人数\n\n升旗 | 300\n\nhttps://img.example.org/1.png\n\nhttps://example.org/a/1"
    )
    assert fake.accepted[1]["news"]["articles"] == [
        {
            "title": "开学第一课",
            "description": "孩子們回到校園。\n\n项目 | 人数\n\n升旗 | 300",
            "url": "https://example.org/a/1",
            "picurl": "https://img.example.org/1.png",
        }
    ]
    assert (text.limits.max_length, news.limits.max_length, news.limits.max_images) == (2048, 512, 1)


def test_news_cuts_title_and_description_at_safe_places() -> None:
    adapter = WeComAdapter("w", {"webhook_env": "W", "msgtype": "news"}, client=httpx.AsyncClient(), env={"W": KEY})
    body = "第一句話講活動。" * 30 + "家庭👨‍👩‍👧‍👦🇨🇳" * 20
    family = "👨‍👩‍👧‍👦"  # one grapheme of 25 bytes
    payload = adapter.render(PostContent(title=family * 8, body=body, link="https://example.org/x"))
    article = payload.data["news"]["articles"][0]
    assert article["title"] == family * 5 + "…"  # 128 bytes, never half a family
    assert count_utf8_bytes(payload.text) <= 512
    assert payload.text.endswith("第一句話講活動。…")  # cut at a sentence end
    with pytest.raises(Permanent, match="has none"):
        adapter.render(PostContent(title="t", body="b"))


def test_truncation_never_splits_a_link_or_a_grapheme() -> None:
    text = "看这里 https://example.org/" + "路径" * 50 + " 结束"
    assert truncate_utf8(text, 100) == "看这里…"
    flags = "🇨🇳" * 10
    cut = truncate_utf8(flags, 20)
    assert cut == "🇨🇳🇨🇳…"
    assert count_utf8_bytes(cut) <= 20
    assert truncate_utf8("短", 10) == "短"


@pytest.mark.parametrize(("msgtype", "limit"), [("markdown", 4096), ("text", 2048)])
async def test_text_exactly_at_and_one_past_the_byte_limit(msgtype: str, limit: int) -> None:
    fake = FakeWeCom()
    async with serve(fake.app()) as base, httpx.AsyncClient() as client:
        adapter = make(fake, base, client, msgtype=msgtype)
        head = count_utf8_bytes(adapter.render(PostContent(title="繁體標題", body="x")).text) - 1
        at = adapter.render(
            PostContent(title="繁體標題", body="学" * ((limit - head) // 3) + "x" * ((limit - head) % 3))
        )
        assert adapter.limits.count(at.text) == limit == adapter.limits.max_length
        await adapter.publish(at, "at-limit")
        over = adapter.render(PostContent(title="繁體標題", body="学" * ((limit - head) // 3 + 1)))
        assert adapter.limits.count(over.text) > limit  # the queue refuses this; the robot would too:
        with pytest.raises(Permanent, match=f"errcode 40058: {msgtype}.content exceed max length {limit}"):
            await adapter.publish(over, "over-limit")
    assert len(fake.accepted) == 1


async def test_wrong_key_unknown_msgtype_and_refused_connection() -> None:
    fake = FakeWeCom()
    async with serve(fake.app()) as base, httpx.AsyncClient() as client:
        options = {"webhook_env": "W", "api_base": base}
        wrong = WeComAdapter("w", options, client=client, env={"W": "another-key"})
        with pytest.raises(CredentialsRejected, match="errcode 93000: invalid webhook url") as caught:
            await wrong.publish(wrong.render(POST), "k")
        adapter = make(fake, base, client)
        with pytest.raises(Permanent, match="errcode 40008"):
            await adapter.publish(Payload(text="x", data={"msgtype": "voice", "voice": {}}), "k")
        closed = WeComAdapter(
            "w", {"webhook_env": "W", "api_base": "http://127.0.0.1:9"}, client=client, env={"W": KEY}
        )
        with pytest.raises(Retryable, match="could not connect"):
            await closed.publish(closed.render(POST), "k")
    assert "another-key" not in caught.value.reason
    assert fake.accepted == []


def test_the_webhook_address_gives_key_and_host() -> None:
    url = f"https://qyapi.weixin.qq.com/cgi-bin/webhook/send?key={KEY}"
    adapter = WeComAdapter("w", {"webhook_env": "W"}, client=httpx.AsyncClient(), env={"W": url})
    assert (adapter._key, adapter.api_base) == (KEY, "https://qyapi.weixin.qq.com")
    bare = WeComAdapter("w", {"webhook_env": "W"}, client=httpx.AsyncClient(), env={"W": KEY})
    assert (bare._key, bare.api_base) == (KEY, "https://qyapi.weixin.qq.com")
    shown = f"{adapter.describe()} {adapter!r}"
    assert KEY not in shown
    assert adapter.describe()["webhook_env"] == "$W (hidden)"  # the variable named, never its value


@pytest.mark.parametrize(
    ("options", "env", "message"),
    [
        ({}, {}, "webhook_env: is required"),
        ({"webhook_env": "W"}, {}, "webhook_env: the environment variable W is not set"),
        ({"webhook_env": "W"}, {"W": "https://qyapi.weixin.qq.com/cgi-bin/webhook/send"}, "webhook_env: .* no key="),
        ({"webhook_env": "W"}, {"W": "two words"}, "webhook_env: the environment variable holds no usable key"),
        ({"webhook_env": "W", "msgtype": "image"}, {"W": KEY}, "msgtype: must be"),
        ({"webhook_env": "W", "mentioned_list": ["@all"]}, {"W": KEY}, "mentioned_list: unknown option"),
        ({"webhook_env": "W", "api_base": "qyapi.weixin.qq.com"}, {"W": KEY}, "api_base: must start with http"),
        ({"webhook_env": "W", "link_text": ""}, {"W": KEY}, "link_text: must be a non-empty string"),
    ],
)
def test_config_errors_name_the_key(options: dict[str, Any], env: dict[str, str], message: str) -> None:
    with pytest.raises(AdapterConfigError, match=message) as caught:
        WeComAdapter("w", options, client=httpx.AsyncClient(), env=env)
    assert "two words" not in str(caught.value)
