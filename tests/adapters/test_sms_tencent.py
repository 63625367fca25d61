"""The ``sms_tencent`` adapter against its stand-in over loopback HTTP."""

from __future__ import annotations

import json
from dataclasses import replace
from datetime import UTC, datetime
from typing import Any

import httpx
import pytest

from adapters import AdapterConfigError, CredentialsRejected, Permanent, PostContent, Retryable, Uncertain
from adapters.sms_tencent import SmsTencentAdapter, authorization
from tests.fakes import serve
from tests.fakes.sms_tencent import FakeTencentSms, expected_signature

POST = PostContent(
    title="秋季运动会",
    body="## 日程\n\n| 项目 | 时间 |\n|---|---|\n| 跑步 | 9:00 |",
    link="https://example.org/news/2024/11/autumn-games",
    timezone="Asia/Shanghai",
    due_at=datetime(2024, 11, 24, 16, 30, tzinfo=UTC),  # 11月25日 00:30 in Shanghai
)
FULL_NUMBERS = ("13800138000", "13900139001", "13700137002")


def adapter_for(fake: FakeTencentSms, base: str, client: httpx.AsyncClient, **overrides: Any) -> SmsTencentAdapter:
    return fake.adapter(SmsTencentAdapter, base, client, name="parents-sms", **overrides)


def offline(**overrides: Any) -> SmsTencentAdapter:
    return FakeTencentSms().offline(SmsTencentAdapter, **overrides)


def test_the_signature_matches_tencents_documented_example() -> None:
    # the worked example of Tencent Cloud's "Signature v3" page (cvm DescribeInstances)
    body = b'{"Limit": 1, "Filters": [{"Values": ["\\u672a\\u547d\\u540d"], "Name": "instance-name"}]}'
    documented = "72e494ea809ad7a8c8f7a4507b9bddcbaa8e581f516e8da2f66e2c5a96525168"
    value = authorization(
        secret_id="AKIDz8krbsJ5yKBZQpn74WFkmLPx3EXAMPLE",
        secret_key="Gu5t9xGARNpq86cd98joQYCN3EXAMPLE",
        host="cvm.tencentcloudapi.com",
        body=body,
        timestamp=1551113065,
        service="cvm",
    )
    assert value == (
        "TC3-HMAC-SHA256 Credential=AKIDz8krbsJ5yKBZQpn74WFkmLPx3EXAMPLE/2019-02-25/cvm/tc3_request, "
        f"SignedHeaders=content-type;host, Signature={documented}"
    )
    canonical = (
        "POST\n/\n\ncontent-type:application/json; charset=utf-8\nhost:cvm.tencentcloudapi.com\n\n"
        "content-type;host\n35e9c5b0e3ae67532d3c9f17ead6c90222632e5b1ff7f6e89887f1398934f064"
    )
    signature = expected_signature("Gu5t9xGARNpq86cd98joQYCN3EXAMPLE", "2019-02-25", "cvm", "1551113065", canonical)
    assert signature == documented


async def test_sends_the_filled_template_and_records_each_numbers_result() -> None:
    fake = FakeTencentSms()
    async with serve(fake.app()) as base, httpx.AsyncClient() as client:
        adapter = adapter_for(fake, base, client)
        payload = adapter.render(POST)
        receipt = await adapter.publish(payload, "post-7-parents-sms")
    assert payload.text == "【青禾学校】秋季运动会将于11月25日举行,详见学校官网。"
    assert fake.requests[0]["PhoneNumberSet"] == ["+8613800138000", "+8613900139001", "+8613700137002"]
    assert fake.requests[0]["TemplateParamSet"] == ["秋季运动会", "11月25日"]
    assert fake.requests[0]["SessionContext"] == "post-7-parents-sms"
    assert {m["text"] for m in fake.accepted} == {payload.text}
    numbers = receipt.details["numbers"]
    assert list(numbers) == ["138****8000", "139****9001", "137****7002"]
    assert numbers["138****8000"] == {"status": "sent", "code": "Ok", "id": fake.accepted[0]["serial_no"]}
    assert receipt.details["summary"] == {"sent": 3}
    assert receipt.remote_id is not None
    assert not any(number in json.dumps(receipt.details) for number in FULL_NUMBERS)


async def test_a_partial_failure_is_a_receipt_and_a_total_one_is_permanent() -> None:
    fake = FakeTencentSms(blacklist=("+8613900139001",))
    async with serve(fake.app()) as base, httpx.AsyncClient() as client:
        adapter = adapter_for(fake, base, client)
        receipt = await adapter.publish(adapter.render(POST), "k")
        only_blocked = adapter_for(fake, base, client, contacts={"parents": ["139 0013 9001"]})
        with pytest.raises(Permanent, match=r"no number could be sent \(1 failed; codes: FailedOperation"):
            await only_blocked.publish(only_blocked.render(POST), "k")
    assert receipt.details["numbers"]["139****9001"] == {
        "status": "failed",
        "code": "FailedOperation.PhoneNumberInBlacklist",
        "reason": "手机号在免打扰名单库中",
    }
    assert receipt.details["summary"] == {"sent": 2, "failed": 1}
    assert [m["to"] for m in fake.accepted] == ["+8613800138000", "+8613700137002"]


async def test_the_platforms_per_number_limits_are_results_and_retryable_when_all_hit() -> None:
    fake = FakeTencentSms()
    async with serve(fake.app()) as base, httpx.AsyncClient() as client:
        adapter = adapter_for(fake, base, client, frequency_limits=[])  # our limiter off: the platform answers
        await adapter.publish(adapter.render(POST), "k1")
        with pytest.raises(Retryable, match="3 failed: frequency limit") as caught:
            await adapter.publish(adapter.render(POST), "k1-again")  # same content within 30 s
        assert caught.value.after == 30.0
        other = await adapter.publish(adapter.render(replace(POST, title="冬季长跑")), "k2")  # other content is fine
        fake.inject("rate_limit")
        with pytest.raises(Retryable):
            await adapter.publish(adapter.render(replace(POST, title="元旦晚会")), "k3")
        fake.inject("qps")
        with pytest.raises(Retryable, match="RequestLimitExceeded") as qps:
            await adapter.publish(adapter.render(replace(POST, title="元旦晚会")), "k3")
    assert other.details["summary"] == {"sent": 3}
    assert qps.value.after == 1.0
    assert len(fake.accepted) == 6


async def test_our_limiter_keeps_the_same_text_back_for_thirty_seconds() -> None:
    fake = FakeTencentSms()
    async with serve(fake.app()) as base, httpx.AsyncClient() as client:
        adapter = adapter_for(fake, base, client)
        payload = adapter.render(POST)
        await adapter.publish(payload, "k1")
        with pytest.raises(Retryable, match="3 skipped: frequency limit") as caught:
            await adapter.publish(payload, "k1-again")
        assert caught.value.after is not None
        assert 29 < caught.value.after <= 30
        assert len(fake.requests) == 1  # the platform never saw the second one
        await adapter.publish(adapter.render(replace(POST, title="冬季长跑")), "k2")
        real = adapter.limiter.clock
        adapter.limiter.clock = lambda: real() + 31
        fake.advance(31)
        again = await adapter.publish(payload, "k3")
    assert again.details["summary"] == {"sent": 3}
    assert len(fake.accepted) == 9


async def test_the_daily_count_spans_templates() -> None:
    fake = FakeTencentSms(templates={"2211001": "{1}将于{2}举行。", "2211002": "{1}已取消。"})
    async with serve(fake.app()) as base, httpx.AsyncClient() as client:
        limits = [{"count": 1, "seconds": 30, "same_content": True}, {"count": 2, "seconds": 86400}]
        first = adapter_for(fake, base, client, frequency_limits=limits)
        second = adapter_for(
            fake,
            base,
            client,
            frequency_limits=limits,
            template_id="2211002",
            template_text="{1}已取消。",
            params=["title"],
        )
        await first.publish(first.render(POST), "k1")
        await second.publish(second.render(POST), "k2")
        with pytest.raises(Retryable, match="skipped"):
            await first.publish(first.render(replace(POST, title="冬季长跑")), "k3")
    assert len(fake.accepted) == 6


async def test_a_lost_answer_is_uncertain_and_keeps_the_numbers_counted() -> None:
    fake = FakeTencentSms()
    fake.inject("timeout")
    async with serve(fake.app()) as base, httpx.AsyncClient() as client:
        adapter = adapter_for(fake, base, client, timeout=0.3)
        payload = adapter.render(POST)
        with pytest.raises(Uncertain):
            await adapter.publish(payload, "post-7")
        # a blind resend would duplicate; the limiter at least holds the same text back for now
        with pytest.raises(Retryable, match="skipped"):
            await adapter.publish(payload, "post-7")
    assert adapter.idempotency == "none"
    assert [m["session_context"] for m in fake.accepted] == ["post-7"] * 3


async def test_bad_credentials_refusals_and_unreachable_hosts() -> None:
    fake = FakeTencentSms()
    skewed = FakeTencentSms(clock_offset=-600)
    async with serve(fake.app()) as base, serve(skewed.app()) as skewed_base, httpx.AsyncClient() as client:
        options, env = fake.channel_options(base)
        wrong = SmsTencentAdapter("x", options, client=client, env={**env, "TENCENT_SMS_SECRET_KEY": "not-it"})
        with pytest.raises(CredentialsRejected, match=r"AuthFailure\.SignatureFailure") as caught:
            await wrong.publish(wrong.render(POST), "k")
        assert "not-it" not in caught.value.reason
        late = adapter_for(skewed, skewed_base, client)
        with pytest.raises(CredentialsRejected, match=r"AuthFailure\.SignatureExpire"):
            await late.publish(late.render(POST), "k")
        unapproved = adapter_for(fake, base, client, sign_name="青禾中学")
        with pytest.raises(Permanent, match=r"FailedOperation\.SignatureIncorrectOrUnapproved"):
            await unapproved.publish(unapproved.render(POST), "k")
        long_values = adapter_for(fake, base, client, max_param_length=0)  # as for an organisation account
        with pytest.raises(Permanent, match="TemplateParameterLengthLimit"):
            await long_values.publish(long_values.render(replace(POST, title="第十二届秋季田径运动会开幕式")), "k")
        closed = adapter_for(fake, "http://127.0.0.1:9", client)
        with pytest.raises(Retryable, match="could not connect"):
            await closed.publish(closed.render(POST), "k")
    assert fake.accepted == skewed.accepted == []


async def test_batches_of_at_most_two_hundred() -> None:
    numbers = tuple(f"+86138{i:08d}" for i in range(450))
    fake = FakeTencentSms(numbers=numbers)
    async with serve(fake.app()) as base, httpx.AsyncClient() as client:
        adapter = adapter_for(fake, base, client)
        receipt = await adapter.publish(adapter.render(POST), "k")
    assert [len(r["PhoneNumberSet"]) for r in fake.requests] == [200, 200, 50]
    assert receipt.details["summary"] == {"sent": 450}
    assert len(receipt.details["numbers"]) == 450


async def test_international_numbers_and_check() -> None:
    fake = FakeTencentSms(numbers=("+852 9123 4567", "0085261234567"))
    async with serve(fake.app()) as base, httpx.AsyncClient() as client:
        adapter = adapter_for(fake, base, client)
        receipt = await adapter.publish(adapter.render(POST), "k")
        verdict = await adapter.check()
        mismatch = adapter_for(fake, base, client, template_text="{1}于{2}举行。")
        with pytest.raises(Permanent, match="differs from the approved template"):
            await mismatch.check()
        fake.inject("auth")
        with pytest.raises(CredentialsRejected):
            await adapter.check()
    assert list(receipt.details["numbers"]) == ["+852****4567", "+852****4567 (2)"]
    assert [m["to"] for m in fake.accepted] == ["+85291234567", "+85261234567"]
    assert "template 2211001 is approved" in verdict


# --- rendering and configuration -------------------------------------------------------------------------------


def test_positional_parameters_in_list_or_table_form() -> None:
    as_table = offline(params={"1": "title", "2": "date"})
    as_list = offline(params=["title", "time"])
    assert as_table.render(POST).data["params"] == {"1": "秋季运动会", "2": "11月25日"}
    assert as_list.render(POST).text == "【青禾学校】秋季运动会将于00:30举行,详见学校官网。"


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"title": "第十二届秋季田径运动会开幕"}, "13 characters; the limit per variable is 12"),
        ({"title": "见 HTTPS://EXAMPLE.ORG"}, "link"),
        ({"due_at": None}, "no due date"),
    ],
)
def test_posts_that_cannot_fill_the_template_are_refused(changes: dict[str, Any], message: str) -> None:
    with pytest.raises(Permanent, match=message):
        offline().render(replace(POST, **changes))


def test_twelve_characters_of_traditional_chinese_and_emoji_fit() -> None:
    payload = offline().render(replace(POST, title="秋季運動會🎉開幕式典禮!"))
    assert payload.data["params"]["1"] == "秋季運動會🎉開幕式典禮!"
    assert offline().limits.count(payload.text) == len(payload.text) + 1


@pytest.mark.parametrize(
    ("overrides", "key"),
    [
        ({"template_id": "SMS_1"}, "template_id"),
        ({"sdk_app_id": None}, "sdk_app_id"),
        ({"secret_key_env": None}, "secret_key_env"),
        ({"template_text": "{1}和{3}"}, "template_text"),
        ({"params": ["title", "date", "author"]}, "params"),
        ({"params": ["title"]}, "params"),
        ({"batch_size": 201}, "batch_size"),
        ({"contacts": {"parents": ["+8613800138000", "+14155550100"]}}, "recipients"),
        ({"contacts": {"parents": ["+86 10 6552 9988"]}}, "contacts.parents"),
        ({"frequency_limits": [{"count": 1, "seconds": 30, "same": True}]}, "frequency_limits"),
    ],
)
def test_configuration_errors_name_the_key(overrides: dict[str, Any], key: str) -> None:
    with pytest.raises(AdapterConfigError) as caught:
        offline(**overrides)
    assert caught.value.key == key


def test_secrets_and_numbers_never_show() -> None:
    fake = FakeTencentSms()
    options, env = fake.channel_options("http://127.0.0.1:9")
    adapter = SmsTencentAdapter("parents-sms", options, client=httpx.AsyncClient(), env=env)
    shown = json.dumps(adapter.describe(), ensure_ascii=False) + repr(adapter)
    assert fake.secret_key not in shown
    assert fake.secret_id not in shown
    assert not any(number in shown for number in FULL_NUMBERS)
    assert adapter.describe()["numbers"] == ["138****8000", "139****9001", "137****7002"]
    assert adapter.describe()["frequency_limits"][0] == {"count": 1, "seconds": 30.0, "same_content": True}


def test_numbers_follow_the_recipients_order_and_a_number_in_two_groups_is_sent_once() -> None:
    contacts = {"parents": ["+8613800138000"], "members": ["13900139000", "+86 138 0013 8000"]}
    adapter = offline(recipients=["members", "parents"], contacts=contacts)
    assert adapter.numbers == ("+8613900139000", "+8613800138000")


def test_ids_may_be_written_as_bare_numbers() -> None:
    adapter = offline(template_id=2211001, sdk_app_id=1400006666)
    assert (adapter.template_id, adapter.app_id) == ("2211001", "1400006666")
