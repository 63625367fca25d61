"""The feishu adapter against FakeFeishu over loopback HTTP."""

from __future__ import annotations

from typing import Any
from urllib.parse import quote

import httpx
import pytest

from adapters import AdapterConfigError, CredentialsRejected, Payload, Permanent, PostContent, Retryable
from adapters.feishu import FeishuAdapter
from tests.fakes import Clock, StandIn, serve
from tests.fakes.feishu import FakeFeishu

POST = PostContent(
    title="开学第一课",
    body="孩子們**回到**校園，见[官网](https://example.org/a_b?x=1)。\n\n- 升旗\n- 讲话",
    link="https://example.org/a/1",
    images=("https://img.example.org/1.png",),
)
TOKEN = "0a1b2c3d-4e5f-6789-abcd-ef0123456789"
SECRET = "qE5yXkdNRKhwQ7iJ2mD8fh"


def make(fake: StandIn, base: str, client: httpx.AsyncClient, **extra: Any) -> FeishuAdapter:
    return fake.adapter(FeishuAdapter, base, client, name="lark", **extra)


def text(value: str) -> dict[str, str]:
    return {"tag": "text", "text": value}


async def test_signed_post_message_is_accepted() -> None:
    fake = FakeFeishu()  # checks timestamp and sign itself
    async with serve(fake.app()) as base, httpx.AsyncClient() as client:
        adapter = make(fake, base, client)
        receipt = await adapter.publish(adapter.render(POST), "post-1-lark")
    assert receipt.remote_id is None
    assert receipt.details == {"msg_type": "post"}
    lines = [
        [text("孩子們回到校園，见"), {"tag": "a", "text": "官网", "href": "https://example.org/a_b?x=1"}, text("。")],
        [text("• 升旗")],
        [text("• 讲话")],
        [{"tag": "a", "text": "图片 1", "href": "https://img.example.org/1.png"}],
        [{"tag": "a", "text": "阅读全文", "href": "https://example.org/a/1"}],
    ]
    assert fake.accepted == [
        {"msg_type": "post", "content": {"post": {"zh_cn": {"title": "开学第一课", "content": lines}}}}
    ]


def test_render_turns_markdown_into_post_lines() -> None:
    adapter = FeishuAdapter("f", {"webhook_env": "W"}, client=httpx.AsyncClient(), env={"W": TOKEN})
    long_url = "https://example.org/" + "路径/" * 80 + "?q=%E4%B8%AD"
    body = (
        "## 繁體：臺灣🎉\n\n简体：台湾👨‍👩‍👧 [内部页面](/about) "
        f"<{long_url}>\n\n| 项目 | 人数 |\n|---|---|\n| 升旗 | 300 |\n\n```\nx = a*b\ny\n```\n\n> 引用\n第二行"
    )
    payload = adapter.render(PostContent(title="標題", body=body))
    lines = payload.data["content"]["post"]["zh_cn"]["content"]
    link = lines[1][1]  # the whole long link is one element, its address percent-encoded as browsers send it
    assert link == {"tag": "a", "text": long_url.replace("%E4%B8%AD", "中"), "href": quote(long_url, safe=":/?=&%")}
    assert lines == [
        [text("繁體：臺灣🎉")],
        [text("简体：台湾👨‍👩‍👧 内部页面 "), link],
        [text("项目 | 人数")],
        [text("升旗 | 300")],
        [text("x = a*b")],
        [text("y")],
        [text("> 引用")],
        [text("> 第二行")],
    ]
    assert payload.text.startswith("標題\n繁體：臺灣🎉\n简体：台湾👨‍👩‍👧 内部页面 https://example.org/路径/")


async def test_text_at_the_budget_is_sent_and_a_body_over_20_kb_is_refused() -> None:
    fake = FakeFeishu()
    async with serve(fake.app()) as base, httpx.AsyncClient() as client:
        adapter = make(fake, base, client)
        head = adapter.limits.count(adapter.render(PostContent(title="標題", body="x")).text) - 1
        at = adapter.render(PostContent(title="標題", body="字" * ((18000 - head) // 3) + "x" * ((18000 - head) % 3)))
        assert adapter.limits.count(at.text) == 18000 == adapter.limits.max_length
        await adapter.publish(at, "at")
        over = adapter.render(PostContent(title="標題", body="字" * ((18000 - head) // 3 + 1)))
        assert adapter.limits.count(over.text) > 18000
        with pytest.raises(Permanent, match="at most 20 KB"):  # quotes double in JSON: the body check catches it
            adapter.render(PostContent(title="t", body='"' * 12000))
        huge = {"msg_type": "post", "content": {"post": {"zh_cn": {"title": "t", "content": [[text("字" * 7000)]]}}}}
        with pytest.raises(Permanent, match="code 9499: Bad Request"):
            await adapter.publish(Payload(text="", data=huge), "huge")
    assert len(fake.accepted) == 1


async def test_unsigned_bot_and_lark_address() -> None:
    fake = FakeFeishu(signed=False)
    async with serve(fake.app()) as base, httpx.AsyncClient() as client:
        adapter = make(fake, base, client)
        await adapter.publish(adapter.render(POST), "k")
    lark = FeishuAdapter(
        "l",
        {"webhook_env": "W"},
        client=httpx.AsyncClient(),
        env={"W": f"https://open.larksuite.com/open-apis/bot/v2/hook/{TOKEN}"},
    )
    assert (lark._token, lark.api_base) == (TOKEN, "https://open.larksuite.com")
    assert len(fake.accepted) == 1


async def test_credentials_and_keyword_refusals() -> None:
    stale = FakeFeishu(clock=Clock(offset=-2 * 3600))  # the bot's clock is two hours behind ours
    async with serve(stale.app()) as base, httpx.AsyncClient() as client:
        adapter = make(stale, base, client)
        with pytest.raises(
            CredentialsRejected, match="code 19021: sign match fail or timestamp is not within one hour"
        ):
            await adapter.publish(adapter.render(POST), "k")
    fake = FakeFeishu(keywords=("宣传",))
    async with serve(fake.app()) as base, httpx.AsyncClient() as client:
        options, env = fake.channel_options(base)
        wrong_secret = FeishuAdapter("f", options, client=client, env={**env, "FEISHU_SECRET": "not-the-secret"})
        with pytest.raises(CredentialsRejected, match="code 19021") as caught:
            await wrong_secret.publish(wrong_secret.render(POST), "k")
        wrong_token = FeishuAdapter("f", options, client=client, env={**env, "FEISHU_WEBHOOK": "other-token"})
        with pytest.raises(CredentialsRejected, match="code 19001: param invalid") as token_caught:
            await wrong_token.publish(wrong_token.render(POST), "k")
        adapter = make(fake, base, client)
        with pytest.raises(Permanent, match="code 19024: Key Words Not Found"):
            await adapter.publish(adapter.render(POST), "k")
        await adapter.publish(adapter.render(PostContent(title="宣传周", body="开幕")), "k")
    assert "not-the-secret" not in caught.value.reason
    assert "other-token" not in token_caught.value.reason
    assert stale.accepted == []
    assert len(fake.accepted) == 1


async def test_five_a_second() -> None:
    """A hundred a minute is in test_robots.py, with the other robots' rates."""
    clock = Clock()
    fake = FakeFeishu(clock=clock)
    async with serve(fake.app()) as base, httpx.AsyncClient() as client:
        adapter = make(fake, base, client)
        payload = adapter.render(POST)
        for n in range(5):
            await adapter.publish(payload, f"burst{n}")
        with pytest.raises(Retryable, match="code 11232: frequency limited"):
            await adapter.publish(payload, "burst5")
        clock.now += 1
        await adapter.publish(payload, "burst5")
    assert len(fake.accepted) == 6


def test_secrets_never_show() -> None:
    env = {"W": f"https://open.feishu.cn/open-apis/bot/v2/hook/{TOKEN}", "S": SECRET}
    adapter = FeishuAdapter("f", {"webhook_env": "W", "secret_env": "S"}, client=httpx.AsyncClient(), env=env)
    shown = f"{adapter.describe()} {adapter!r} {adapter.render(POST)!r}"
    assert TOKEN not in shown
    assert SECRET not in shown
    assert adapter.describe()["webhook_env"] == "$W (hidden)"  # the variable named, never its value


@pytest.mark.parametrize(
    ("options", "message"),
    [
        ({}, "webhook_env: is required"),
        ({"webhook_env": "EMPTY_PATH"}, "webhook_env: .* no token at the end of its path"),
        ({"webhook_env": "W", "secret_env": "UNSET"}, "secret_env: the environment variable UNSET is not set"),
        ({"webhook_env": "W", "msg_type": "text"}, "msg_type: unknown option"),
        ({"webhook_env": "W", "timeout": "10"}, "timeout: must be a positive number"),
    ],
)
def test_config_errors_name_the_key(options: dict[str, Any], message: str) -> None:
    env = {"W": TOKEN, "EMPTY_PATH": "https://open.feishu.cn/"}
    with pytest.raises(AdapterConfigError, match=message):
        FeishuAdapter("f", options, client=httpx.AsyncClient(), env=env)
