"""The onebot adapter against FakeOneBot over loopback HTTP."""

from __future__ import annotations

import base64
from typing import Any

import httpx
import pytest

from adapters import AdapterConfigError, CredentialsRejected, Permanent, PostContent, Retryable
from adapters.onebot import OneBotAdapter
from tests.fakes import serve
from tests.fakes.images import MemoryImages, png
from tests.fakes.onebot import FakeOneBot

IMAGES = MemoryImages()
PICTURE = png()
POST = PostContent(
    title="开学第一课",
    body="孩子們**回到**校園，见[官网](https://example.org/a_b?x=1&y=%20z)。",
    link="https://example.org/a/1",
    images=(IMAGES.add(PICTURE),),
)


def make(fake: FakeOneBot, base: str, client: httpx.AsyncClient, **extra: Any) -> OneBotAdapter:
    options, env = fake.channel_options(base)
    return OneBotAdapter("qq", {**options, **extra}, client=client, env=env, images=IMAGES)


async def test_sends_segments_and_returns_the_message_id() -> None:
    fake = FakeOneBot()
    async with serve(fake.app()) as base, httpx.AsyncClient() as client:
        adapter = make(fake, base, client)
        receipt = await adapter.publish(adapter.render(POST), "post-1-qq")
    assert receipt.remote_id == "1001"
    assert receipt.details == {"group_id": 123456, "status": "ok"}
    [message] = fake.accepted
    text, image = message["message"]
    assert text["type"] == "text"
    assert text["data"]["text"].startswith("开学第一课\n\n孩子們回到校園，见官网 https://example.org/a_b?x=1&y=%20z。")
    assert text["data"]["text"].endswith("\n\nhttps://example.org/a/1")
    # the bytes themselves, read through the image source: the OneBot server never opens a path or an address
    assert image == {"type": "image", "data": {"file": "base64://" + base64.b64encode(PICTURE).decode()}}


async def test_text_that_looks_like_a_cq_code_stays_literal() -> None:
    fake = FakeOneBot()
    post = PostContent(title="通知", body="[CQ:at,qq=all] 请大家注意 &#91;")
    async with serve(fake.app()) as base, httpx.AsyncClient() as client:
        adapter = make(fake, base, client)
        await adapter.publish(adapter.render(post), "k")
    segments = fake.accepted[0]["message"]
    assert segments == [{"type": "text", "data": {"text": "通知\n\n[CQ:at,qq=all] 请大家注意 ["}}]


@pytest.mark.parametrize("style", ["http", "retcode"])
async def test_missing_or_wrong_token_is_rejected_credentials(style: str) -> None:
    fake = FakeOneBot(error_style=style)
    async with serve(fake.app()) as base, httpx.AsyncClient() as client:
        options, _ = fake.channel_options(base)
        del options["token_env"]
        anonymous = OneBotAdapter("qq", options, client=client, env={}, images=IMAGES)
        with pytest.raises(CredentialsRejected, match="wants an access token"):
            await anonymous.publish(anonymous.render(POST), "k")
        wrong = make(fake, base, client)
        wrong._token = "not-the-token"
        with pytest.raises(CredentialsRejected, match="refused the access token") as caught:
            await wrong.publish(wrong.render(POST), "k")
    assert "not-the-token" not in str(caught.value)
    assert fake.accepted == []


async def test_refusals_are_permanent() -> None:
    fake = FakeOneBot(error_style="retcode")
    async with serve(fake.app()) as base, httpx.AsyncClient() as client:
        adapter = make(fake, base, client, group_id=999)
        with pytest.raises(Permanent, match="retcode 100 群聊不存在"):
            await adapter.publish(adapter.render(POST), "k")
        with pytest.raises(Permanent, match=r"retcode 1404 \(the implementation does not offer this action\)"):
            await adapter._call("send_guild_channel_msg", {})
    assert fake.accepted == []


async def test_refused_connection_is_retryable() -> None:
    async with httpx.AsyncClient() as client:
        adapter = OneBotAdapter(
            "qq", {"api_base": "http://127.0.0.1:9", "group_id": 1}, client=client, env={}, images=IMAGES
        )
        with pytest.raises(Retryable, match="could not connect"):
            await adapter.publish(adapter.render(POST), "k")


async def test_check_logs_in_and_finds_the_group() -> None:
    fake = FakeOneBot()
    async with serve(fake.app()) as base, httpx.AsyncClient() as client:
        verdict = await make(fake, base, client).check()
        with pytest.raises(Permanent, match="群聊不存在"):
            await make(fake, base, client, group_id=42).check()
    assert verdict == "logged in as 宣传机器人 (10001); group 123456 is '校园宣传群'"
    assert fake.accepted == []


async def test_render_keeps_tricky_text_readable() -> None:
    adapter = OneBotAdapter(
        "qq", {"api_base": "http://127.0.0.1:1", "group_id": 1}, client=httpx.AsyncClient(), env={}, images=IMAGES
    )
    long_url = "https://example.org/" + "路径/" * 60 + "?q=%E4%B8%AD%E6%96%87&x=a_b_c*d"
    body = (
        "繁體：臺灣的學校🎉 简体：台湾的学校👨‍👩‍👧\n\n"
        f"详见 {long_url}\n\n| 项目 | 人数 |\n|---|---|\n| 升旗 | 300 |\n\n```\nx = a*b*c\n```"
    )
    payload = adapter.render(PostContent(title="标题", body=body))
    assert payload.text == (
        "标题\n\n繁體：臺灣的學校🎉 简体：台湾的学校👨‍👩‍👧\n\n"
        f"详见 {long_url}\n\n项目 | 人数\n\n升旗 | 300\n\nx = a*b*c"
    )
    assert OneBotAdapter.limits.max_length is None  # OneBot v11 documents no length limit
    with pytest.raises(Permanent, match="refused"):  # only what the image source holds is sent
        await adapter.publish(adapter.render(PostContent(title="t", body="b", images=("relative/pic.png",))), "k")


@pytest.mark.parametrize(
    ("options", "env", "message"),
    [
        ({"group_id": 1}, {}, "api_base: is required"),
        ({"api_base": "127.0.0.1:5700", "group_id": 1}, {}, "api_base: must start with http"),
        ({"api_base": "http://h", "group_id": "1"}, {}, "group_id: must be a whole number"),
        ({"api_base": "http://h", "group_id": 0}, {}, "group_id: must be the QQ group number"),
        ({"api_base": "http://h", "grup_id": 1}, {}, "grup_id: unknown option"),
        ({"api_base": "http://h", "group_id": 1, "token_env": "QQ_TOKEN"}, {}, "token_env: the environment variable"),
        ({"api_base": "http://h", "group_id": 1, "timeout": 0}, {}, "timeout: must be a positive number"),
    ],
)
def test_config_errors_name_the_key(options: dict[str, Any], env: dict[str, str], message: str) -> None:
    with pytest.raises(AdapterConfigError, match=message):
        OneBotAdapter("qq", options, client=httpx.AsyncClient(), env=env)


def test_the_token_never_shows() -> None:
    options = {"api_base": "http://h:5700", "group_id": 5, "token_env": "QQ_TOKEN"}
    adapter = OneBotAdapter("qq", options, client=httpx.AsyncClient(), env={"QQ_TOKEN": "s3cret-token"})
    shown = f"{adapter.describe()} {adapter!r} {adapter.render(POST)!r}"
    assert "s3cret-token" not in shown
    assert adapter.describe()["token_env"] == "$QQ_TOKEN (hidden)"
