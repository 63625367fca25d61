"""One contract, every registered adapter, each against its stand-in server over loopback.

Whatever the platform, an adapter must: render without I/O, send and return a receipt, turn the platform's
rate-limit, credential and server errors into the right error class (never another exception), and after a lost
answer either not post twice (native idempotency or lookup) or say ``Uncertain``.
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
from adapters.base import ChannelError, CredentialsRejected, PostContent, Retryable, Uncertain
from tests.fakes import serve


def _fakes() -> dict[str, type[Any]]:
    found: dict[str, type[Any]] = {}
    for module in pkgutil.iter_modules(tests.fakes.__path__):
        loaded = importlib.import_module(f"tests.fakes.{module.name}")
        for value in vars(loaded).values():
            if (
                isinstance(value, type)
                and hasattr(value, "channel_options")
                and isinstance(getattr(value, "kind", None), str)
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


@pytest.mark.parametrize(
    ("fault", "expected"),
    [("rate_limit", Retryable), ("auth", CredentialsRejected), ("server_error", (Uncertain, Retryable))],
)
async def test_errors_are_classified(kind: str, fault: str, expected: type | tuple[type, ...]) -> None:
    fake = FAKES[kind]()
    async with serve(fake.app()) as base, httpx.AsyncClient() as client:
        options, env = fake.channel_options(base)
        adapter = create(kind, kind, options, client=client, env=env)
        fake.inject(fault)
        with pytest.raises(ChannelError) as caught:
            await adapter.publish(adapter.render(POST), "pub-2-contract-0002")
    assert isinstance(caught.value, expected), f"{kind} {fault}: {caught.value!r}"
    for secret in env.values():
        if len(secret) >= 6:
            assert secret not in str(caught.value)


@pytest.mark.parametrize("fault", ["drop", "timeout"])
async def test_a_lost_answer_never_becomes_a_blind_second_post(kind: str, fault: str) -> None:
    fake = FAKES[kind]()
    async with serve(fake.app()) as base, httpx.AsyncClient() as client:
        options, env = fake.channel_options(base)
        options = {**options, "timeout": 0.3}  # every adapter takes one; a held answer then costs 0.3 s
        adapter = create(kind, kind, options, client=client, env=env)
        payload = adapter.render(POST)
        fake.inject(fault)
        key = "pub-3-contract-0003"
        with pytest.raises(ChannelError) as caught:
            await adapter.publish(payload, key)
        landed = len(fake.accepted)
        assert landed >= 1, "the stand-in accepted the message before losing the answer"
        if adapter.idempotency == "none":
            assert isinstance(caught.value, Uncertain)  # a person decides; the dispatcher will not resend
            return
        # what the dispatcher does next: ask first (lookup), or resend with the same key (native)
        if adapter.idempotency == "lookup":
            found = await adapter.lookup(key)
            assert found is not None
        else:
            await adapter.publish(payload, key)
        assert len(fake.accepted) == landed  # still one post
