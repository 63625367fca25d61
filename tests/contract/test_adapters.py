"""One contract, every registered adapter, each against its stand-in server over loopback.

Whatever the platform, an adapter must: render without I/O, send and return a receipt, turn the platform's
rate-limit, credential and server errors into the right error class (never another exception), and after a lost
answer either not post twice (native idempotency or lookup) or say ``Uncertain``. The fault table is here once;
each stand-in (tests/fakes/, one ``StandIn`` base) says each fault in its platform's own words.
"""

from __future__ import annotations

import importlib
import json
import pkgutil
from datetime import UTC, datetime
from typing import Any

import httpx
import pytest

import tests.fakes
from adapters import REGISTRY, create
from adapters.base import PostContent
from adapters.errors import ChannelError, CredentialsRejected, Retryable, Uncertain
from tests.fakes import StandIn, serve


def _fakes() -> dict[str, type[Any]]:
    found: dict[str, type[Any]] = {}
    for module in pkgutil.iter_modules(tests.fakes.__path__):
        loaded = importlib.import_module(f"tests.fakes.{module.name}")
        for value in vars(loaded).values():
            if (
                isinstance(value, type)
                and issubclass(value, StandIn)
                and "kind" in vars(value)  # not a shared base such as RobotStandIn
                and value.__module__ == loaded.__name__
            ):
                found[value.kind] = value
    return found


FAKES = _fakes()
KINDS = sorted(kind for kind in REGISTRY if kind != "outbox")  # the outbox writes files: tested on its own

POST = PostContent(
    title="阳光幼儿园阅读月启动",
    body="孩子们和家长一起读绘本 📚。\n\n活动将持续一个月。",
    link="https://www.example.org/news/1",
    tags=(),  # tags need terms to exist on a site: covered by each adapter's own tests
    campaign="阅读月",
    timezone="Asia/Shanghai",
    due_at=datetime(2026, 12, 2, 8, 0, tzinfo=UTC),
)


def test_every_registered_kind_has_a_stand_in() -> None:
    assert set(KINDS) <= set(FAKES), f"no stand-in for {set(KINDS) - set(FAKES)}"


@pytest.fixture(params=KINDS)
def kind(request: pytest.FixtureRequest) -> str:
    return str(request.param)


async def test_render_send_and_receipt(kind: str) -> None:
    fake = FAKES[kind]()
    async with serve(fake.app()) as base, httpx.AsyncClient() as client:
        options, env = fake.channel_options(base)
        adapter = create(kind, kind, options, client=client, env=env)
        assert adapter.idempotency in ("native", "lookup", "none")
        payload = adapter.render(POST)
        if adapter.limits.max_length is not None:
            assert adapter.limits.count(payload.text) <= adapter.limits.max_length
        receipt = await adapter.publish(payload, "pub-1-contract-0001")
        assert len(fake.accepted) >= 1  # one message, or one per number for SMS
        assert receipt.remote_id or receipt.url or receipt.details
        described = json.dumps(adapter.describe(), ensure_ascii=False, default=str)
        for secret in env.values():
            if len(secret) >= 6:
                assert secret not in described
                assert secret not in repr(adapter)


def assert_no_secret(error: ChannelError, env: dict[str, str]) -> None:
    """Neither the reason nor the repr of ``error`` holds a secret of the channel's environment."""
    for secret in env.values():
        if len(secret) >= 6:
            assert secret not in f"{error} {error!r}"


#: the fault table, once for every adapter: (fault, what it must become, whether the message reached the platform)
FAULT_TABLE = [
    ("rate_limit", Retryable, False),  # 429 or the platform's own code, with when to try again
    ("unavailable", Retryable, False),
    ("auth", CredentialsRejected, False),
    ("server_error", Uncertain, False),  # a 500 may come after the platform acted: never resent blindly
    ("malformed", Uncertain, True),  # the message is in; its answer cannot be read
]


@pytest.mark.parametrize(("fault", "expected", "landed"), FAULT_TABLE)
async def test_faults_are_classified(kind: str, fault: str, expected: type[ChannelError], landed: bool) -> None:
    fake = FAKES[kind]()
    async with serve(fake.app()) as base, httpx.AsyncClient() as client:
        options, env = fake.channel_options(base)
        adapter = create(kind, kind, {**options, "timeout": 0.3}, client=client, env=env)
        payload = adapter.render(POST)
        fake.inject(fault)
        if fault in fake.readable_despite:
            await adapter.publish(payload, "pub-2-contract-0002")
            return
        with pytest.raises(ChannelError) as caught:
            await adapter.publish(payload, "pub-2-contract-0002")
        assert isinstance(caught.value, expected), f"{kind} {fault}: {caught.value!r}"
        assert bool(fake.accepted) == landed
        if isinstance(caught.value, Retryable):
            after = caught.value.after
            if fault in fake.fault_after:
                assert after == pytest.approx(fake.fault_after[fault], abs=1), f"{kind} {fault}: after={after}"
            assert fault != "rate_limit" or (after or 0) > 0, f"{kind}: a rate limit must say when to try again"
        if not isinstance(caught.value, Uncertain):  # after Uncertain, resending is a person's decision
            # the fault was one answer: the next send goes through
            await adapter.publish(payload, "pub-4-contract-0004")
            assert fake.accepted
    assert_no_secret(caught.value, env)


@pytest.mark.parametrize("fault", ["drop", "timeout", "malformed"])
async def test_a_lost_answer_never_becomes_a_blind_second_post(kind: str, fault: str) -> None:
    fake = FAKES[kind]()
    async with serve(fake.app()) as base, httpx.AsyncClient() as client:
        options, env = fake.channel_options(base)
        options = {**options, "timeout": 0.3}  # every adapter takes one; a held answer then costs 0.3 s
        adapter = create(kind, kind, options, client=client, env=env)
        payload = adapter.render(POST)
        if fault in fake.readable_despite:
            return
        fake.inject(fault)
        key = "pub-3-contract-0003"
        with pytest.raises(ChannelError) as caught:
            await adapter.publish(payload, key)
        assert_no_secret(caught.value, env)
        landed = len(fake.accepted)
        assert landed >= 1, "the stand-in accepted the message before losing the answer"
        if adapter.idempotency == "none":
            assert isinstance(caught.value, Uncertain)  # a person decides; the dispatcher will not resend
            return
        # what the dispatcher does next: ask first (lookup), or resend with the same key (native)
        if adapter.idempotency == "lookup":
            found = await adapter.lookup(key)
            assert found is not None
            assert await adapter.lookup("pub-9-contract-never-sent") is None
        else:
            await adapter.publish(payload, key)
        assert len(fake.accepted) == landed  # still one post
