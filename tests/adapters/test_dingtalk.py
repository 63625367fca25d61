"""The dingtalk adapter against FakeDingTalk over loopback HTTP."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from adapters import AdapterConfigError, CredentialsRejected, Payload, Permanent, PostContent
from adapters.dingtalk import DingTalkAdapter
from tests.fakes import Clock, StandIn, serve
from tests.fakes.dingtalk import FakeDingTalk

POST = PostContent(
    title="开学第一课",
    body="孩子們**回到**校園，校园活动。\n\n```\ncode *stays*\n```",
    link="https://example.org/a/1",
    images=("https://img.example.org/1.png",),
)
TOKEN = "b10deee3d9e2dbc21ce57eb9f80da23a643ebe83154dd6b086486da2c833acb6"
SECRET = "SEC5a3ecf88f2b3eb50db30ecfc00f53033ac909c99bf7f88fd612bda89d7f3a9dc"


def make(fake: StandIn, base: str, client: httpx.AsyncClient, **extra: Any) -> DingTalkAdapter:
    return fake.adapter(DingTalkAdapter, base, client, name="ding", **extra)


async def test_signed_markdown_message_is_accepted() -> None:
    fake = FakeDingTalk()  # checks timestamp and sign itself
    async with serve(fake.app()) as base, httpx.AsyncClient() as client:
        adapter = make(fake, base, client)
        receipt = await adapter.publish(adapter.render(POST), "post-1-ding")
    assert receipt.remote_id is None
    assert receipt.details == {"msgtype": "markdown"}
    assert fake.accepted == [
        {
            "msgtype": "markdown",
            "markdown": {
                "title": "开学第一课",
                "text": "### 开学第一课\n\n孩子們**回到**校園，校园活动。\n\n> code *stays*\n\n"
                "![图片 1](https://img.example.org/1.png)\n\n[阅读全文](https://example.org/a/1)",
            },
        }
    ]


async def test_text_and_action_card_messages() -> None:
    fake = FakeDingTalk(signed=False)  # a robot secured by IP allowlist only: nothing to sign
    async with serve(fake.app()) as base, httpx.AsyncClient() as client:
        text = make(fake, base, client, msgtype="text")
        card = make(fake, base, client, msgtype="actionCard", link_text="查看详情")
        await text.publish(text.render(POST), "k1")
        await card.publish(card.render(POST), "k2")
        with pytest.raises(Permanent, match="has none"):
            card.render(PostContent(title="t", body="b"))
    assert fake.accepted[0]["text"]["content"] == (
        "开学第一课\n\n孩子們回到校園，校园活动。\n\ncode *stays*\n\nhttps://img.example.org/1.png\n\nhttps://example.org/a/1"
    )
    action = fake.accepted[1]["actionCard"]
    assert (action["singleTitle"], action["singleURL"]) == ("查看详情", "https://example.org/a/1")


async def test_keywords_are_ensured_by_render_and_enforced_by_the_robot() -> None:
    fake = FakeDingTalk(keywords=("宣传",))
    plain = PostContent(title="开学", body="没有关键字的正文")
    async with serve(fake.app()) as base, httpx.AsyncClient() as client:
        strict = make(fake, base, client)
        with pytest.raises(Permanent, match=r"one of its keywords \(宣传\)"):
            strict.render(plain)
        appending = make(fake, base, client, append_keyword=True)
        payload = appending.render(plain)
        assert payload.text.endswith("\n\n宣传")
        await appending.publish(payload, "k1")
        await strict.publish(strict.render(PostContent(title="宣传周", body="校园宣传周开幕")), "k2")
        no_keyword = Payload(text="x", data={"msgtype": "text", "text": {"content": "x"}})
        with pytest.raises(Permanent, match="errcode 310000: keywords not in content"):
            await strict.publish(no_keyword, "k3")
    assert len(fake.accepted) == 2


async def test_stale_timestamp_and_wrong_secret_are_rejected_credentials() -> None:
    stale = FakeDingTalk(clock=Clock(offset=2 * 3600))  # the robot's clock is two hours ahead of ours
    async with serve(stale.app()) as base, httpx.AsyncClient() as client:
        adapter = make(stale, base, client)
        with pytest.raises(CredentialsRejected, match="errcode 310000: invalid timestamp"):
            await adapter.publish(adapter.render(POST), "k")
    fake = FakeDingTalk()
    async with serve(fake.app()) as base, httpx.AsyncClient() as client:
        options, env = fake.channel_options(base)
        wrong = DingTalkAdapter("d", options, client=client, env={**env, "DINGTALK_SECRET": "SECnot-the-secret"})
        with pytest.raises(CredentialsRejected, match="sign not match") as caught:
            await wrong.publish(wrong.render(POST), "k")
    assert "SECnot-the-secret" not in caught.value.reason
    assert stale.accepted == fake.accepted == []


async def test_text_exactly_at_and_one_past_20000_bytes() -> None:
    fake = FakeDingTalk()
    async with serve(fake.app()) as base, httpx.AsyncClient() as client:
        adapter = make(fake, base, client, msgtype="text")
        head = adapter.limits.count(adapter.render(PostContent(title="標題", body="x")).text) - 1
        at = adapter.render(PostContent(title="標題", body="字" * ((20000 - head) // 3) + "x" * ((20000 - head) % 3)))
        assert adapter.limits.count(at.text) == 20000 == adapter.limits.max_length
        await adapter.publish(at, "at")
        over = adapter.render(PostContent(title="標題", body="字" * ((20000 - head) // 3 + 1)))
        assert adapter.limits.count(over.text) > 20000
        with pytest.raises(Permanent, match="errcode 460101: message too long"):
            await adapter.publish(over, "over")
    assert len(fake.accepted) == 1


def test_secrets_never_show() -> None:
    url = f"https://oapi.dingtalk.com/robot/send?access_token={TOKEN}"
    options = {"webhook_env": "W", "secret_env": "S", "keywords": ["宣传"]}
    adapter = DingTalkAdapter("d", options, client=httpx.AsyncClient(), env={"W": url, "S": SECRET})
    shown = f"{adapter.describe()} {adapter!r}"
    assert TOKEN not in shown
    assert SECRET not in shown
    assert adapter.api_base == "https://oapi.dingtalk.com"
    assert adapter.describe()["signed"] is True


@pytest.mark.parametrize(
    ("options", "message"),
    [
        ({"webhook_env": "W", "keywords": "宣传"}, "keywords: must be a list"),
        ({"webhook_env": "W", "keywords": [str(n) for n in range(11)]}, "keywords: must be a list of up to 10"),
        ({"webhook_env": "W", "append_keyword": "yes"}, "append_keyword: must be true or false"),
        ({"webhook_env": "W", "secret_env": "BAD"}, "secret_env: a DingTalk signing secret starts with SEC"),
        ({"webhook_env": "W", "msgtype": "feedCard"}, "msgtype: must be"),
        ({"webhook_env": "URL_ONLY"}, "webhook_env: .* no access_token= parameter"),
        ({"webhook_env": "W", "sign": True}, "sign: unknown option"),
        ({"secret_env": "S"}, "webhook_env: is required"),
    ],
)
def test_config_errors_name_the_key(options: dict[str, Any], message: str) -> None:
    env = {"W": TOKEN, "S": SECRET, "BAD": "no-prefix", "URL_ONLY": "https://oapi.dingtalk.com/robot/send"}
    with pytest.raises(AdapterConfigError, match=message) as caught:
        DingTalkAdapter("d", options, client=httpx.AsyncClient(), env=env)
    assert "no-prefix" not in str(caught.value)
