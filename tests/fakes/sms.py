"""What the two SMS stand-ins (Alibaba Cloud, Tencent Cloud) share: one endpoint for every action, the approved
templates, the numbers the channel sends to, the platform's own clock and the clock of its frequency limits.

Each platform module keeps its signature check, its actions and its answers, computed from the platform's rules.
"""

from __future__ import annotations

import time
from typing import Any

from aiohttp import web

from tests.fakes.server import StandIn

__all__ = ["NUMBERS", "SmsStandIn"]

#: the channel's recipients: a mainland number in each form the config accepts
NUMBERS = ("+8613800138000", "13900139001", "+86 137 0013 7002")


class SmsStandIn(StandIn):
    def __init__(self, *, templates: dict[str, str], numbers: tuple[str, ...], clock_offset: float) -> None:
        super().__init__()
        self.templates = templates  # approved templates: id or code -> text
        self.numbers = numbers
        self.clock_offset = clock_offset  # the platform's clock relative to ours
        self._shift = 0.0

    def advance(self, seconds: float) -> None:
        """Let ``seconds`` pass for the frequency limits without waiting."""
        self._shift += seconds

    def limits_clock(self) -> float:
        """The time the frequency limits count by (``advance`` moves it)."""
        return time.monotonic() + self._shift

    def platform_time(self) -> float:
        """The platform's clock, which a request's timestamp must be near."""
        return time.time() + self.clock_offset

    def first_template(self, base_url: str, template_key: str) -> dict[str, Any]:
        """The options of a channel on the first approved template, sending to every number as the group "parents"."""
        template, text = next(iter(self.templates.items()))
        return {
            "api_base": base_url,
            template_key: template,
            "template_text": text,
            "recipients": ["parents"],
            "contacts": {"parents": list(self.numbers)},
        }

    def routes(self, router: web.UrlDispatcher) -> None:
        router.add_route("*", "/", self.handle)

    async def handle(self, request: web.Request) -> web.StreamResponse:
        """Every action, as the platform takes them all on one path."""
        raise NotImplementedError
