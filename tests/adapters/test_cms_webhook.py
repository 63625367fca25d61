"""The cms_webhook adapter against FakeCms over loopback HTTP."""

from __future__ import annotations

import contextlib
import json
import tomllib
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from adapters.article import slug_for
from adapters.base import PostContent
from adapters.cms_webhook import CmsWebhookAdapter
from adapters.errors import CredentialsRejected, Retryable, Uncertain
from tests.fakes import serve
from tests.fakes.cms_webhook import FakeCms

ROOT = Path(__file__).resolve().parents[2]
POST = PostContent(
    title="開學第一課",
    body="孩子们**回到**校园。🎒\n\n| 年级 | 人数 |\n|---|---|\n| 一 | 30 |",
    link="https://example.org/a/1",
    tags=("活动", "校园"),
    images=("https://example.org/cover.png",),
    author="宣传部",
)


@contextlib.asynccontextmanager
async def running(fake: FakeCms, **options: Any) -> AsyncIterator[CmsWebhookAdapter]:
    async with serve(fake.app()) as base, httpx.AsyncClient() as client:
        defaults, env = fake.channel_options(base)
        yield CmsWebhookAdapter("cms", {**defaults, "timeout": 0.3, **options}, client=client, env=env)


async def test_publish_sends_a_signed_article_and_returns_the_receipt() -> None:
    fake = FakeCms()
    async with running(fake) as adapter:
        receipt = await adapter.publish(adapter.render(POST), "post-1-cms")
    [article] = fake.accepted  # the stand-in checked the signature itself
    assert receipt.remote_id == "1"
    assert receipt.url == article["url"]
    assert article["url"].endswith("/news/" + slug_for("post-1-cms"))
    assert article["key"] == "post-1-cms"
    assert article["channel"] == "cms"
    assert article["title"] == "開學第一課"
    assert "<strong>回到</strong>" in article["html"]
    assert "<td>一</td>" in article["html"]
    assert article["excerpt"] == "孩子们回到校园。🎒"
    assert article["tags"] == ["活动", "校园"]
    assert article["images"] == ["https://example.org/cover.png"]
    assert article["link"] == "https://example.org/a/1"
    assert article["author"] == "宣传部"


@pytest.mark.parametrize("fault", ["timeout", "drop", "malformed"])
async def test_a_lost_answer_is_uncertain_and_lookup_prevents_a_second_article(fault: str) -> None:
    fake = FakeCms()
    async with running(fake) as adapter:
        assert adapter.idempotency == "lookup"
        fake.inject(fault)
        with pytest.raises(Uncertain):
            await adapter.publish(adapter.render(POST), "post-2-cms")
        found = await adapter.lookup("post-2-cms")
        assert await adapter.lookup("post-3-cms") is None
    assert found is not None
    assert found.remote_id == "1"
    assert found.url == fake.accepted[0]["url"]
    assert len(fake.accepted) == 1
    assert fake.lookups == ["post-2-cms", "post-3-cms"]


async def test_without_lookup_an_uncertain_send_waits_for_a_person() -> None:
    fake = FakeCms(lookup=False)
    async with running(fake) as adapter:
        assert adapter.idempotency == "none"
        fake.inject("timeout")
        with pytest.raises(Uncertain):
            await adapter.publish(adapter.render(POST), "k")
        with pytest.raises(NotImplementedError):
            await adapter.lookup("k")
        assert "nothing authenticated is checked" in await adapter.check()


async def test_lookup_failures_are_retryable_not_uncertain() -> None:
    fake = FakeCms()
    async with running(fake) as adapter:
        for fault in ("server_error", "timeout"):
            fake.inject(fault)
            with pytest.raises(Retryable):
                await adapter.lookup("k")


async def test_a_wrong_secret_is_rejected_and_never_shown() -> None:
    fake = FakeCms(secret="right-secret")
    async with serve(fake.app()) as base, httpx.AsyncClient() as client:
        options, _ = fake.channel_options(base)
        adapter = CmsWebhookAdapter("cms", options, client=client, env={"CMS_SECRET": "wrong-secret"})
        with pytest.raises(CredentialsRejected, match="401") as sent:
            await adapter.publish(adapter.render(POST), "k")
        with pytest.raises(CredentialsRejected) as checked:
            await adapter.check()
    for shown in (str(sent.value), str(checked.value), json.dumps(adapter.describe()), repr(adapter)):
        assert "wrong-secret" not in shown
    assert adapter.describe()["secret_env"] == "$CMS_SECRET (hidden)"
    assert fake.accepted == []


async def test_check_reads_the_lookup_with_the_signature() -> None:
    fake = FakeCms()
    async with running(fake) as adapter:
        assert await adapter.check() == f"{adapter.lookup_url} answered the test key (not found)"
    assert fake.lookups == ["publisher-check"]


async def test_the_receivers_rate_limit_gives_its_wait() -> None:
    fake = FakeCms(rate_per_minute=1)
    async with running(fake) as adapter:
        await adapter.publish(adapter.render(POST), "a")
        with pytest.raises(Retryable) as caught:
            await adapter.publish(adapter.render(POST), "b")
    assert caught.value.after is not None
    assert 55 <= caught.value.after <= 61
    assert len(fake.accepted) == 1


async def test_a_closed_port_is_retryable() -> None:
    async with httpx.AsyncClient() as client:
        adapter = CmsWebhookAdapter("cms", {"url": "http://127.0.0.1:9/hook"}, client=client, env={})
        with pytest.raises(Retryable):
            await adapter.publish(adapter.render(POST), "k")


def test_the_example_config_builds_an_adapter() -> None:
    text = (ROOT / "config/channels/cms_webhook.toml").read_text(encoding="utf-8")
    table = tomllib.loads(text)["channels"]["school-site"]
    options = {k: v for k, v in table.items() if k not in ("kind", "concurrency", "rate_per_minute")}
    adapter = CmsWebhookAdapter("school-site", options, client=httpx.AsyncClient(), env={"CMS_WEBHOOK_SECRET": "s"})
    assert table["kind"] == adapter.kind
    assert adapter.idempotency == "lookup"


def test_render_keeps_tricky_text_whole() -> None:
    adapter = CmsWebhookAdapter("cms", {"url": "https://example.org/hook"}, client=httpx.AsyncClient(), env={})
    url = "https://example.org/" + "長" * 200
    body = f"繁體中文與简体中文 👨‍👩‍👧 {url}\n\n```\ncode <b>\n```"
    payload = adapter.render(PostContent(title="标题", body=body))
    assert payload.text == f"标题\n\n{body}"
    assert adapter.limits.max_length is None
    assert url in payload.data["html"]
    assert "<pre><code>code &lt;b&gt;\n</code></pre>" in payload.data["html"]
    assert payload.data["excerpt"] == "繁體中文與简体中文 👨‍👩‍👧…"  # the link is not cut in two
