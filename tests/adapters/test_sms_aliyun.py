"""The ``sms_aliyun`` adapter against its stand-in over loopback HTTP, and the SMS rules it shares with Tencent's."""

from __future__ import annotations

import json
from dataclasses import replace
from datetime import UTC, datetime
from typing import Any

import httpx
import pytest

from adapters import AdapterConfigError, CredentialsRejected, Permanent, PostContent, Retryable
from adapters.sms_aliyun import SmsAliyunAdapter, authorization
from tests.fakes import serve
from tests.fakes.sms_aliyun import FakeAliyunSms, expected_signature

# 16:30 UTC on the 24th is 00:30 on the 25th in Shanghai: the date must be the post's local one
DUE = datetime(2024, 11, 24, 16, 30, tzinfo=UTC)
POST = PostContent(
    title="秋季运动会",
    body="| 项目 | 时间 |\n|---|---|\n| 跑步 | 9:00 |\n\n```\ncode\n```",
    link="https://example.org/news/2024/11/autumn-games?utm_source=sms&utm_medium=notice",
    author="校办",
    timezone="Asia/Shanghai",
    due_at=DUE,
)
FULL_NUMBERS = ("13800138000", "13900139001", "13700137002")


def adapter_for(fake: FakeAliyunSms, base: str, client: httpx.AsyncClient, **overrides: Any) -> SmsAliyunAdapter:
    return fake.adapter(SmsAliyunAdapter, base, client, name="parents-sms", **overrides)


def test_the_signature_matches_alibabas_documented_example() -> None:
    # the fixed example of help.aliyun.com "V3版本请求体&签名机制" (RunInstances, empty body)
    headers = {
        "x-acs-action": "RunInstances",
        "x-acs-version": "2014-05-26",
        "x-acs-date": "2023-10-26T10:22:32Z",
        "x-acs-signature-nonce": "3156853299f313e23d1673dc12e1703d",
        "x-acs-content-sha256": "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
    }
    query = {"ImageId": "win2019_1809_x64_dtc_zh-cn_40G_alibase_20230811.vhd", "RegionId": "cn-shanghai"}
    documented = "06563a9e1b43f5dfe96b81484da74bceab24a1d853912eee15083a6f0f3283c0"
    value = authorization(
        method="POST",
        host="ecs.cn-shanghai.aliyuncs.com",
        query=query,
        headers=headers,
        secret="YourAccessKeySecret",
        key_id="YourAccessKeyId",
    )
    assert value == (
        "ACS3-HMAC-SHA256 Credential=YourAccessKeyId,SignedHeaders=host;x-acs-action;x-acs-content-sha256;"
        f"x-acs-date;x-acs-signature-nonce;x-acs-version,Signature={documented}"
    )
    names = ["host", *sorted(headers)]
    received = {"host": "ecs.cn-shanghai.aliyuncs.com", **headers}
    assert expected_signature("POST", query, received, names, "YourAccessKeySecret") == documented


async def test_sends_the_filled_template_to_every_number_and_records_each() -> None:
    fake = FakeAliyunSms()
    async with serve(fake.app()) as base, httpx.AsyncClient() as client:
        adapter = adapter_for(fake, base, client)
        payload = adapter.render(POST)
        receipt = await adapter.publish(payload, "post-7-parents-sms")
    assert payload.text == "【青禾学校】秋季运动会将于11月25日举行,详见学校官网。"
    assert [m["to"] for m in fake.accepted] == ["+8613800138000", "+8613900139001", "+8613700137002"]
    assert {m["text"] for m in fake.accepted} == {payload.text}
    assert fake.accepted[0]["params"] == {"title": "秋季运动会", "date": "11月25日"}
    assert fake.accepted[0]["out_id"] == "post-7-parents-sms"
    assert fake.requests[0]["PhoneNumbers"] == "13800138000,13900139001,13700137002"
    biz_id = fake.accepted[0]["biz_id"]
    assert receipt.remote_id == biz_id
    assert receipt.details["numbers"] == {
        "138****8000": {"status": "sent", "code": "OK", "id": biz_id},
        "139****9001": {"status": "sent", "code": "OK", "id": biz_id},
        "137****7002": {"status": "sent", "code": "OK", "id": biz_id},
    }
    assert receipt.details["summary"] == {"sent": 3}
    assert not any(number in json.dumps(receipt.details) for number in FULL_NUMBERS)


async def test_batches_stay_within_the_batch_size() -> None:
    numbers = tuple(f"1380013{i:04d}" for i in range(5))
    fake = FakeAliyunSms(numbers=numbers)
    async with serve(fake.app()) as base, httpx.AsyncClient() as client:
        receipt = await adapter_for(fake, base, client, batch_size=2).publish(
            adapter_for(fake, base, client).render(POST), "k"
        )
    assert [r["PhoneNumbers"].count(",") + 1 for r in fake.requests] == [2, 2, 1]
    assert receipt.details["summary"] == {"sent": 5}
    assert len({m["biz_id"] for m in fake.accepted}) == 3


async def test_a_number_at_the_platforms_limit_fails_alone_and_the_rest_is_sent() -> None:
    fake = FakeAliyunSms(limit=(1, 86400.0))
    async with serve(fake.app()) as base, httpx.AsyncClient() as client:
        # our own limiter off, so that the platform's answer is what is tested
        first = adapter_for(fake, base, client, contacts={"parents": ["13800138000"]}, frequency_limits=[])
        await first.publish(first.render(POST), "earlier")
        adapter = adapter_for(fake, base, client, batch_size=1, frequency_limits=[])
        receipt = await adapter.publish(adapter.render(POST), "k")
    numbers = receipt.details["numbers"]
    assert numbers["138****8000"] == {
        "status": "failed: frequency limit",
        "code": "isv.BUSINESS_LIMIT_CONTROL",
        "reason": "触发天级流控Permits:1",
    }
    assert numbers["139****9001"]["status"] == numbers["137****7002"]["status"] == "sent"
    assert receipt.details["summary"] == {"failed: frequency limit": 1, "sent": 2}
    assert [m["to"] for m in fake.accepted] == ["+8613800138000", "+8613900139001", "+8613700137002"]


async def test_the_platforms_rate_limit_answer_is_retryable_with_its_window() -> None:
    fake = FakeAliyunSms()
    fake.inject("rate_limit")  # 触发分钟级流控Permits:1
    async with serve(fake.app()) as base, httpx.AsyncClient() as client:
        adapter = adapter_for(fake, base, client)
        with pytest.raises(Retryable, match="frequency limit") as caught:
            await adapter.publish(adapter.render(POST), "k")
        assert caught.value.after == 60.0
        # nothing was counted: the retry goes through
        receipt = await adapter.publish(adapter.render(POST), "k")
    assert receipt.details["summary"] == {"sent": 3}
    assert len(fake.accepted) == 3


async def test_a_refusal_is_permanent_and_an_unreachable_host_retryable() -> None:
    fake = FakeAliyunSms()
    async with serve(fake.app()) as base, httpx.AsyncClient() as client:
        adapter = adapter_for(fake, base, client, template_code="SMS_999999999")  # not approved
        with pytest.raises(Permanent, match=r"isv\.SMS_TEMPLATE_ILLEGAL"):
            await adapter.publish(adapter.render(POST), "k")
        closed = adapter_for(fake, "http://127.0.0.1:9", client)
        with pytest.raises(Retryable, match="could not connect"):
            await closed.publish(closed.render(POST), "k")
    assert fake.accepted == []


async def test_a_wrong_secret_or_a_skewed_clock_pauses_the_channel() -> None:
    fake = FakeAliyunSms()
    skewed = FakeAliyunSms(clock_offset=3600)
    async with serve(fake.app()) as base, serve(skewed.app()) as skewed_base, httpx.AsyncClient() as client:
        options, env = fake.channel_options(base)
        wrong = SmsAliyunAdapter("x", options, client=client, env={**env, "ALIYUN_SMS_KEY_SECRET": "not-it"})
        with pytest.raises(CredentialsRejected, match="SignatureDoesNotMatch") as caught:
            await wrong.publish(wrong.render(POST), "k")
        assert "not-it" not in caught.value.reason
        late = adapter_for(skewed, skewed_base, client)
        with pytest.raises(CredentialsRejected, match=r"InvalidTimeStamp\.Expired"):
            await late.publish(late.render(POST), "k")
    assert fake.accepted == skewed.accepted == []


async def test_errors_after_a_batch_landed_are_recorded_not_raised() -> None:
    fake = FakeAliyunSms()
    async with serve(fake.app()) as base, httpx.AsyncClient() as client:
        adapter = adapter_for(fake, base, client, batch_size=1, timeout=0.3)
        fake.inject("ok")
        fake.inject("unavailable")  # the second batch: later batches are not tried
        stopped = await adapter.publish(adapter.render(POST), "k1")
        fake.inject("ok")
        fake.inject("timeout")  # the second batch: the third still goes
        held = await adapter.publish(adapter.render(replace(POST, title="冬季长跑")), "k2")
    assert stopped.details["summary"] == {"sent": 1, "not sent": 2}
    assert stopped.details["numbers"]["139****9001"]["code"] == "Retryable"
    assert held.details["summary"] == {"sent": 2, "uncertain": 1}
    assert held.details["numbers"]["139****9001"]["status"] == "uncertain"


async def test_our_frequency_limiter_skips_numbers_before_the_platform_sees_them() -> None:
    fake = FakeAliyunSms()
    async with serve(fake.app()) as base, httpx.AsyncClient() as client:
        limits = [{"count": 1, "seconds": 60}]
        adapter = adapter_for(fake, base, client, frequency_limits=limits)
        payload = adapter.render(POST)
        await adapter.publish(payload, "k1")
        with pytest.raises(Retryable, match="frequency limit") as caught:
            await adapter.publish(payload, "k1-again")
        assert caught.value.after is not None
        assert 59 < caught.value.after <= 60
        # another channel on the same account, signature and template shares the count
        wider = adapter_for(
            fake, base, client, frequency_limits=limits, contacts={"parents": [*fake.numbers, "13600136003"]}
        )
        receipt = await wider.publish(payload, "k2")
        assert receipt.details["numbers"]["138****8000"] == {
            "status": "skipped: frequency limit",
            "code": "local limit",
        }
        assert receipt.details["numbers"]["136****6003"]["status"] == "sent"
        real = adapter.limiter.clock
        adapter.limiter.clock = lambda: real() + 61
        later = await adapter.publish(payload, "k3")
    assert later.details["summary"] == {"sent": 3}
    assert len(fake.requests) == 3
    assert [m["to"] for m in fake.accepted].count("+8613800138000") == 2


# --- rendering ---------------------------------------------------------------------------------------------------


def offline(**overrides: Any) -> SmsAliyunAdapter:
    return FakeAliyunSms().offline(SmsAliyunAdapter, **overrides)


def test_rendering_takes_fields_in_the_posts_time_zone_and_ignores_the_body() -> None:
    adapter = offline(
        template_text="${who}:${event}定于${date}${time}开始(${campaign})。",
        params={"who": "author", "event": "title", "date": "date", "time": "time", "campaign": "campaign"},
    )
    payload = adapter.render(replace(POST, title="秋季運動會 🎉\n第二日", campaign="家校共育"))
    assert payload.text == "【青禾学校】校办:秋季運動會 🎉 第二日定于11月25日00:30开始(家校共育)。"
    assert payload.data["params"]["event"] == "秋季運動會 🎉 第二日"
    assert "跑步" not in payload.text
    assert "code" not in payload.text
    literal = offline(params={"title": "家长会", "date": "date"}).render(replace(POST, title="whatever"))
    assert literal.text.startswith("【青禾学校】家长会将于")


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"due_at": None}, "no due date"),
        ({"title": "  "}, "variable title \\(title\\) is empty"),
        ({"title": "详见 https://example.org/a/very/long/path?with=query"}, "link"),
        ({"title": "报名入口 t.cn/A6x7"}, "link"),
        ({"title": "运" * 36}, "36 characters; the limit per variable is 35"),
        ({"timezone": "Mars/Base"}, "unknown time zone"),
    ],
)
def test_posts_that_cannot_fill_the_template_are_refused(changes: dict[str, Any], message: str) -> None:
    with pytest.raises(Permanent, match=message):
        offline().render(replace(POST, **changes))


def test_the_message_length_counts_the_signature_and_emoji_as_the_queue_does() -> None:
    # 【青禾学校】(6) + title + 将于(2) + 11月25日(6) + 举行,详见学校官网。(10): 46 title characters make 70
    adapter = offline(max_segments=1, max_param_length=0)
    assert adapter.limits.max_length == 70
    at_limit = adapter.render(replace(POST, title="运" * 46))
    assert adapter.limits.count(at_limit.text) == 70
    with pytest.raises(Permanent, match="71 characters \\(2 SMS parts\\); this channel allows 70"):
        adapter.render(replace(POST, title="运" * 47))
    with pytest.raises(Permanent, match="71 characters"):
        adapter.render(replace(POST, title="运" * 45 + "🎉"))  # an emoji is two UTF-16 units on the air
    assert offline().limits.max_length == 201  # three parts of 67
    assert offline(max_param_length=35).render(replace(POST, title="运" * 35)).text.count("运") == 35


# --- configuration and privacy -------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("overrides", "key"),
    [
        ({"template_code": None}, "template_code"),
        ({"sign_name": ""}, "sign_name"),
        ({"recipients": ["teachers"]}, "recipients"),
        ({"recipients": "parents"}, "recipients"),
        ({"contacts": {"parents": ["13800138000", "1380013800"]}}, "contacts.parents"),
        ({"contacts": {"parents": ["010-6552-9988"]}}, "contacts.parents"),
        ({"contacts": {"parents": ["13800138000", "+85291234567"]}}, "recipients"),
        ({"params": {"title": "title"}}, "params"),
        ({"params": {"title": "title", "date": "date", "place": "礼堂"}}, "params"),
        ({"params": {"title": "www.example.org", "date": "date"}}, "params"),
        ({"batch_size": 1001}, "batch_size"),
        ({"max_segments": 8}, "max_segments"),
        ({"frequency_limits": [{"count": 1}]}, "frequency_limits"),
        ({"access_key_secret_env": "NOT_SET_ANYWHERE"}, "access_key_secret_env"),
        ({"api_base": "ftp://example.org"}, "api_base"),
        ({"timeout": 0}, "timeout"),
    ],
)
def test_configuration_errors_name_the_key(overrides: dict[str, Any], key: str) -> None:
    with pytest.raises(AdapterConfigError) as caught:
        offline(**overrides)
    assert caught.value.key == key
    assert "1380013800" not in str(caught.value)
    assert "6552" not in str(caught.value)


def test_a_bad_number_is_named_by_position_and_masked() -> None:
    with pytest.raises(AdapterConfigError, match=r"entry 2 \(138\*\*\*\*\*00\) is not a mobile number"):
        offline(contacts={"parents": ["13800138000", "1380013800"]})


def test_secrets_and_numbers_never_show() -> None:
    fake = FakeAliyunSms()
    options, env = fake.channel_options("http://127.0.0.1:9")
    adapter = SmsAliyunAdapter("parents-sms", options, client=httpx.AsyncClient(), env=env)
    shown = json.dumps(adapter.describe(), ensure_ascii=False) + repr(adapter)
    assert fake.secret not in shown
    assert fake.key_id not in shown
    assert not any(number in shown for number in FULL_NUMBERS)
    assert adapter.describe()["numbers"] == ["138****8000", "139****9001", "137****7002"]
    assert adapter.describe()["recipients"] == {"parents": 3}
    # shown as every adapter shows a secret: the variable's name, never its value
    assert adapter.describe()["access_key_secret_env"] == "$ALIYUN_SMS_KEY_SECRET (hidden)"
    assert not any(number in repr(adapter.config) for number in FULL_NUMBERS)


async def test_check_reads_the_template_and_compares_the_configured_text() -> None:
    fake = FakeAliyunSms()
    async with serve(fake.app()) as base, httpx.AsyncClient() as client:
        verdict = await adapter_for(fake, base, client).check()
        assert "template SMS_465001234 is approved" in verdict
        changed = adapter_for(fake, base, client, template_text="${title}在${date}举行。")
        with pytest.raises(Permanent, match="differs from the approved template"):
            await changed.check()
        fake.inject("auth")
        with pytest.raises(CredentialsRejected, match=r"InvalidAccessKeyId\.NotFound"):
            await adapter_for(fake, base, client).check()
    assert fake.accepted == []
