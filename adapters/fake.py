"""An in-memory adapter for tests: scripted outcomes, every send recorded. Not in the registry: build it directly."""

from __future__ import annotations

import asyncio
from typing import Any, ClassVar

from adapters.base import Capabilities, Idempotency, Limits, Payload, PostContent, Receipt
from adapters.errors import ChannelError, Uncertain

__all__ = ["FakeAdapter"]


class FakeAdapter:
    kind: ClassVar[str] = "fake"
    capabilities: Capabilities = Capabilities()  # a test may give one fake the articles of a website

    def __init__(
        self,
        name: str = "fake",
        *,
        idempotency: Idempotency = "none",
        limits: Limits | None = None,
        script: list[ChannelError | Receipt] | None = None,
        gate: asyncio.Event | None = None,
    ) -> None:
        self.name = name
        self.idempotency = idempotency
        self.limits = limits or Limits(max_length=500, concurrency=4)
        self.script = list(script or [])  # consumed one per publish; empty means success
        self.gate = gate  # when given, publish waits for it: lets a test hold sends in flight
        self.sent: list[tuple[str, Payload]] = []  # (key, payload) of every publish call
        self.landed: dict[str, Receipt] = {}  # what the "platform" holds, by key
        self.lookups: list[str] = []
        self.in_flight = 0
        self.max_in_flight = 0

    def render(self, post: PostContent) -> Payload:
        return Payload(text=f"{post.title}\n{post.body}", data={"title": post.title, "link": post.link})

    async def publish(self, payload: Payload, key: str) -> Receipt:
        self.in_flight += 1
        self.max_in_flight = max(self.max_in_flight, self.in_flight)
        try:
            if self.gate is not None:
                await self.gate.wait()
            self.sent.append((key, payload))
            step = self.script.pop(0) if self.script else None
            receipt = Receipt(remote_id=f"id-{len(self.sent)}", url=f"https://example.org/{len(self.sent)}")
            if isinstance(step, Uncertain):
                self.landed.setdefault(key, receipt)  # it reached the platform; only the answer was lost
            if isinstance(step, ChannelError):
                raise step
            receipt = step or receipt
            self.landed.setdefault(key, receipt)
            return self.landed[key] if self.idempotency == "native" else receipt
        finally:
            self.in_flight -= 1

    async def lookup(self, key: str) -> Receipt | None:
        self.lookups.append(key)
        return self.landed.get(key)

    async def refresh_limits(self) -> None:
        """Fixed limits: nothing to read."""

    async def check(self) -> str:
        return "fake: always fine"

    def describe(self) -> dict[str, Any]:
        return {"kind": self.kind, "name": self.name}
