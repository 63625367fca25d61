"""A stand-in DingTalk custom robot (``/robot/send?access_token=``), enforcing its contract.

Checked in this order, as the real robot reports them: the access token (300001 "token is not exist"), the
signature when the robot has a secret (``timestamp`` in ms within an hour, ``sign`` = base64(HMAC-SHA256(secret,
timestamp + "\\n" + secret)), both URL-encoded in the query; 310000 otherwise), the message, the keywords when the
robot has some (310000 "keywords not in content"), the 20000-byte limit (460101) and 20 messages a minute, past
which the robot is blocked for 10 minutes (130101). The signature is computed here from the spec, not imported.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
from typing import Any, ClassVar

from aiohttp import web

from tests.fakes.robot import RobotStandIn

__all__ = ["FakeDingTalk"]

_CONTENT = {"text": ("text", "content"), "markdown": ("markdown", "text"), "actionCard": ("actionCard", "text")}
_TOO_FAST = "send too fast, exceed 20 times per minute"
_SIGN_MISMATCH = "sign not match, more: [https://ding-doc.dingtalk.com/doc#/serverapi2/qf2nxq]"


def _answer(code: int, message: str) -> web.Response:
    return web.json_response({"errcode": code, "errmsg": message})


class FakeDingTalk(RobotStandIn):
    kind = "dingtalk"
    fault_after: ClassVar[dict[str, float]] = {"rate_limit": 600.0}  # the robot is blocked for 10 minutes
    env_prefix = "DINGTALK"
    token = "b10deee3d9e2dbc21ce57eb9f80da23a643ebe83154dd6b086486da2c833acb6"
    signing_secret = "SEC5a3ecf88f2b3eb50db30ecfc00f53033ac909c99bf7f88fd612bda89d7f3a9dc"

    def __init__(self, **robot: Any) -> None:
        super().__init__(**robot)
        self._blocked_until = 0.0

    def routes(self, router: web.UrlDispatcher) -> None:
        router.add_post("/robot/send", self._send)

    def webhook(self) -> str:
        return f"https://oapi.dingtalk.com/robot/send?access_token={self.token}"

    def channel_options(self, base_url: str) -> tuple[dict[str, Any], dict[str, str]]:
        options, env = super().channel_options(base_url)
        if self.keywords:
            options["keywords"] = list(self.keywords)
        return options, env

    def _signature_problem(self, request: web.Request) -> str:
        if not self.secret:
            return ""
        timestamp, signature = request.query.get("timestamp", ""), request.query.get("sign", "")
        if not timestamp.isdigit() or abs(self.clock() * 1000 - int(timestamp)) > 3600 * 1000:
            return "invalid timestamp"
        expected = hmac.new(self.secret.encode(), f"{timestamp}\n{self.secret}".encode(), hashlib.sha256).digest()
        if not hmac.compare_digest(base64.b64encode(expected).decode(), signature):
            return _SIGN_MISMATCH
        return ""

    async def _send(self, request: web.Request) -> web.StreamResponse:
        fault = self.next_fault()
        stop = self.fault_answer(
            fault, rate_limited=_answer(130101, _TOO_FAST), refused=_answer(310000, _SIGN_MISMATCH)
        )
        if stop is not None:
            return stop
        if "access_token" not in request.query:
            return _answer(40035, "缺少参数 access_token")
        if request.query["access_token"] != self.token:
            return _answer(300001, "token is not exist")
        problem = self._signature_problem(request)
        if problem:
            return _answer(310000, problem)
        try:
            body = json.loads(await request.read())
        except ValueError:
            return _answer(43004, "无效的HTTP HEADER Content-Type")
        msgtype = body.get("msgtype") if isinstance(body, dict) else None
        if msgtype not in _CONTENT:
            return _answer(40035, "缺少参数 msgtype")
        field, key = _CONTENT[msgtype]
        content = body.get(field, {}).get(key) if isinstance(body.get(field), dict) else None
        if not isinstance(content, str) or not content:
            return _answer(40035, f"缺少参数 {field}.{key}")
        if self.keywords and not any(word in content for word in self.keywords):
            return _answer(
                310000, "keywords not in content, more: [https://ding-doc.dingtalk.com/doc#/serverapi2/qf2nxq]"
            )
        if len(content.encode()) > 20000:
            return _answer(460101, "message too long, exceed 20000 bytes")
        now = self.clock()
        if now < self._blocked_until:
            return _answer(130101, _TOO_FAST)
        if self.sent_within(60) >= 20:
            self._blocked_until = now + 600  # "限流10分钟"
            return _answer(130101, _TOO_FAST)
        self.take(body)
        return await self.misbehave(fault, request, _answer(0, "ok"), '{"errcode":0,"errmsg":"o')
