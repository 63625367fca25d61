"""What the group-robot stand-ins (DingTalk, Feishu, WeCom) share: a credential in the webhook address, an optional
signing secret and keywords, the channel table that reaches them, their answers to the faults and their message
counts.

Each platform module keeps its own checks in its own order, its own answers and its own signature check, computed
there from the platform's spec.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any, ClassVar

from aiohttp import web

from tests.fakes.server import StandIn

__all__ = ["RobotStandIn"]


class RobotStandIn(StandIn):
    #: the prefix of the channel's environment variables (``DINGTALK`` for DINGTALK_WEBHOOK and DINGTALK_SECRET)
    env_prefix: ClassVar[str]
    #: the credential in the robot's webhook address (WeCom calls it the key)
    token: ClassVar[str]
    #: the secret the robot signs with, unless the test asks for a robot that does not sign
    signing_secret: ClassVar[str | None] = None

    def __init__(
        self, *, signed: bool = True, keywords: tuple[str, ...] = (), clock: Callable[[], float] = time.time
    ) -> None:
        super().__init__(clock=clock)
        self.secret = self.signing_secret if signed else None
        self.keywords = keywords  # the robot's keyword setting: a message must contain one of them
        self._sent_at: list[float] = []

    def webhook(self) -> str:
        """The robot's webhook address as the platform shows it, holding ``token``."""
        raise NotImplementedError

    def channel_options(self, base_url: str) -> tuple[dict[str, Any], dict[str, str]]:
        # the environment holds the robot's whole address, as copied from the platform; api_base points here
        webhook_env, secret_env = f"{self.env_prefix}_WEBHOOK", f"{self.env_prefix}_SECRET"
        options: dict[str, Any] = {"webhook_env": webhook_env, "api_base": base_url}
        env = {webhook_env: self.webhook()}
        if self.secret:
            options["secret_env"] = secret_env
            env[secret_env] = self.secret
        return options, env

    def fault_answer(
        self, fault: str | None, *, rate_limited: web.Response, refused: web.Response
    ) -> web.Response | None:
        """The answer to ``fault`` when it comes before the request takes effect, else None: the robot's own
        ``rate_limited`` and ``refused`` (its credentials), or the error page of the proxy in front of it."""
        if fault == "rate_limit":
            return rate_limited
        if fault in ("server_error", "unavailable"):
            return web.Response(status=500 if fault == "server_error" else 503, text="<html>error</html>")
        if fault == "auth":
            return refused
        return None

    def sent_within(self, seconds: float) -> int:
        """How many messages the robot took in the last ``seconds``, for its rate limits."""
        now = self.clock()
        return len([t for t in self._sent_at if now - t < seconds])

    def take(self, message: dict[str, Any]) -> None:
        """Count ``message`` against the rate limits and keep it as accepted."""
        self._sent_at.append(self.clock())
        self.accepted.append(message)
