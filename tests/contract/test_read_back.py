"""The read-back contract, for every registered kind that declares ``Capabilities.read_back``: a post just sent
reads back ``online`` from its receipt as the core keeps it (id and link), and a platform that cannot be asked
gives ``unknown`` with a reason, never an exception."""

from __future__ import annotations

import httpx
import pytest

from adapters import REGISTRY, create
from adapters.base import Adapter, ChannelAdapter, ReadBack, Receipt
from tests.contract.test_adapters import FAKES, KINDS, POST
from tests.fakes import serve

READ_BACK = sorted(kind for kind in KINDS if REGISTRY[kind].capabilities.read_back)


def test_the_channels_the_issue_names_read_back() -> None:
    assert {"wordpress", "mastodon", "matrix", "wechat_mp"} <= set(READ_BACK)


@pytest.mark.parametrize("kind", READ_BACK)
async def test_a_post_just_sent_reads_back_online(kind: str) -> None:
    fake = FAKES[kind]()
    async with httpx.AsyncClient() as client:
        async with serve(fake.app()) as base:
            options, env = fake.channel_options(base)
            adapter = create(kind, kind, options, client=client, env=env)
            assert isinstance(adapter, Adapter)
            receipt = await adapter.publish(adapter.render(POST), "pub-5-contract-0005")
            read = await adapter.read_back(Receipt(remote_id=receipt.remote_id, url=receipt.url), "pub-5-contract-0005")
            assert isinstance(read, ReadBack)
            assert read.state == "online", f"{kind}: {read}"
            assert all(isinstance(v, int) and v >= 0 for v in read.metrics.values())
        # the server is gone now: the same question is unknown, not an exception
        lost = await adapter.read_back(receipt, "pub-5-contract-0005")
    assert lost.state == "unknown", f"{kind}: {lost}"
    assert lost.detail


@pytest.mark.parametrize("kind", sorted(set(KINDS) - set(READ_BACK)))
async def test_without_the_capability_read_back_is_not_offered(kind: str) -> None:
    if not issubclass(REGISTRY[kind], ChannelAdapter):
        return
    fake = FAKES[kind]()
    adapter = fake.offline(REGISTRY[kind])
    with pytest.raises(NotImplementedError):
        await adapter.read_back(Receipt(remote_id="1"), "pub-6-contract-0006")
