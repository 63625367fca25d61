"""What the three group robots (dingtalk, feishu, wecom) do alike, each against its stand-in over loopback HTTP: a
check that posts nothing, and a rate limit that holds until the wait the robot names is over."""

from __future__ import annotations

import httpx
import pytest

from adapters import CredentialsRejected, PostContent, Retryable
from adapters.dingtalk import DingTalkAdapter
from adapters.feishu import FeishuAdapter
from adapters.robot import RobotAdapter
from adapters.wecom import WeComAdapter
from tests.fakes import Clock, serve
from tests.fakes.dingtalk import FakeDingTalk
from tests.fakes.feishu import FakeFeishu
from tests.fakes.robot import RobotStandIn
from tests.fakes.wecom import FakeWeCom

POST = PostContent(title="开学第一课", body="孩子們**回到**校園。", link="https://example.org/a/1")


@pytest.mark.parametrize(
    ("fake_class", "cls", "verdict", "refusal"),
    [
        (
            FakeDingTalk,
            DingTalkAdapter,
            "access token and signature accepted (errcode 40035: 缺少参数 msgtype); nothing was posted",
            "errcode 300001: token is not exist",
        ),
        (
            FakeFeishu,
            FeishuAdapter,
            "bot token and signature accepted (code 9499: Bad Request); nothing was posted",
            "code 19001: param invalid",
        ),
        (
            FakeWeCom,
            WeComAdapter,
            "webhook key accepted (the empty test message was refused: errcode 40008: Warning: wrong json format. "
            "invalid message type); nothing was posted",
            "errcode 93000: invalid webhook url",
        ),
    ],
    ids=["dingtalk", "feishu", "wecom"],
)
async def test_check_posts_nothing_and_catches_a_wrong_credential(
    fake_class: type[RobotStandIn], cls: type[RobotAdapter], verdict: str, refusal: str
) -> None:
    fake = fake_class()
    async with serve(fake.app()) as base, httpx.AsyncClient() as client:
        said = await fake.adapter(cls, base, client).check()
        options, env = fake.channel_options(base)
        wrong = cls("r", options, client=client, env={**env, f"{fake.env_prefix}_WEBHOOK": "not-the-token"})
        with pytest.raises(CredentialsRejected, match=refusal):
            await wrong.check()
        closed = cls("r", {**options, "api_base": "http://127.0.0.1:9"}, client=client, env=env)
        with pytest.raises(Retryable, match="could not connect"):
            await closed.check()
    assert said == verdict
    assert fake.accepted == []


@pytest.mark.parametrize(
    ("fake_class", "cls", "per_minute", "refusal"),
    [
        (FakeDingTalk, DingTalkAdapter, 20, "errcode 130101: send too fast"),
        (FakeFeishu, FeishuAdapter, 100, "code 11232: frequency limited"),
        (FakeWeCom, WeComAdapter, 20, "errcode 45009: api freq out of limit"),
    ],
    ids=["dingtalk", "feishu", "wecom"],
)
async def test_past_its_rate_a_robot_refuses_until_the_wait_it_names_is_over(
    fake_class: type[RobotStandIn], cls: type[RobotAdapter], per_minute: int, refusal: str
) -> None:
    clock = Clock()
    fake = fake_class(clock=clock)
    async with serve(fake.app()) as base, httpx.AsyncClient() as client:
        adapter = fake.adapter(cls, base, client)
        payload = adapter.render(POST)
        for n in range(per_minute):
            clock.now += 0.25  # four a second: under Feishu's five
            await adapter.publish(payload, f"k{n}")
        with pytest.raises(Retryable, match=refusal) as caught:
            await adapter.publish(payload, "over")
        wait = caught.value.after or 0
        clock.now += 61
        if wait > 61:  # DingTalk blocks the robot for ten minutes: a new minute is not enough
            with pytest.raises(Retryable):
                await adapter.publish(payload, "over")
            clock.now += wait - 61
        await adapter.publish(payload, "over")
    assert cls.limits.rate_per_minute == per_minute
    assert len(fake.accepted) == per_minute + 1
