"""A stand-in Feishu custom bot (``/open-apis/bot/v2/hook/<token>``), enforcing its contract.

From the custom-bot guide (open.feishu.cn/document/client-docs/bot-v3/add-custom-bot): with signing on, the body
carries ``timestamp`` (seconds, within an hour) and ``sign`` = base64(HMAC-SHA256(key=timestamp + "\\n" + secret,
msg="")), else code 19021 "sign match fail or timestamp is not within one hour from current time"; an unknown token
gets 19001; a body over 20 KB or a malformed message gets 9499; 100 messages a minute and 5 a second, else 11232.
Answers are HTTP 200 with ``code``/``msg``/``data`` plus the legacy ``StatusCode``/``StatusMessage`` on success.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
from typing import Any, ClassVar

from aiohttp import web

from tests.fakes.robot import RobotStandIn

__all__ = ["FakeFeishu"]

_SIGN_FAIL = "sign match fail or timestamp is not within one hour from current time"
_RATE = "frequency limited psm[lark.oapi.app_platform_runtime]appID[1500]"
_TAGS = {"text": ("text",), "a": ("text", "href"), "at": ("user_id",), "img": ("image_key",)}


def _answer(code: int, message: str) -> web.Response:
    return web.json_response({"code": code, "data": {}, "msg": message})


class FakeFeishu(RobotStandIn):
    kind = "feishu"
    fault_after: ClassVar[dict[str, float]] = {"rate_limit": 60.0}
    env_prefix = "FEISHU"
    token = "0a1b2c3d-4e5f-6789-abcd-ef0123456789"
    signing_secret = "qE5yXkdNRKhwQ7iJ2mD8fh"

    def routes(self, router: web.UrlDispatcher) -> None:
        router.add_post("/open-apis/bot/v2/hook/{token}", self._send)

    def webhook(self) -> str:
        return f"https://open.feishu.cn/open-apis/bot/v2/hook/{self.token}"

    def _signed(self, body: dict[str, Any]) -> bool:
        if not self.secret:
            return True
        timestamp = body.get("timestamp")
        if not isinstance(timestamp, str) or not timestamp.isdigit() or abs(self.clock() - int(timestamp)) > 3600:
            return False
        key = f"{timestamp}\n{self.secret}".encode()
        expected = base64.b64encode(hmac.new(key, b"", hashlib.sha256).digest()).decode()
        return hmac.compare_digest(expected, str(body.get("sign", "")))

    async def _send(self, request: web.Request) -> web.StreamResponse:
        fault = self.next_fault()
        stop = self.fault_answer(fault, rate_limited=_answer(11232, _RATE), refused=_answer(19021, _SIGN_FAIL))
        if stop is not None:
            return stop
        if request.match_info["token"] != self.token:
            return _answer(19001, "param invalid: incoming webhook access token invalid")
        raw = await request.read()
        try:
            body = json.loads(raw)
        except ValueError:
            return _answer(9499, "Bad Request")
        if not isinstance(body, dict):
            return _answer(9499, "Bad Request")
        if not self._signed(body):
            return _answer(19021, _SIGN_FAIL)
        if len(raw) > 20 * 1024 or not _valid_message(body):
            return _answer(9499, "Bad Request")
        if self.keywords and not any(word in json.dumps(body["content"], ensure_ascii=False) for word in self.keywords):
            return _answer(19024, "Key Words Not Found")
        if self.sent_within(60) >= 100 or self.sent_within(1) >= 5:
            return _answer(11232, _RATE)
        self.take({key: value for key, value in body.items() if key not in ("timestamp", "sign")})
        answer = web.json_response(
            {"StatusCode": 0, "StatusMessage": "success", "code": 0, "data": {}, "msg": "success"}
        )
        return await self.misbehave(fault, request, answer, '{"StatusCode":0,"Stat')


def _valid_message(body: dict[str, Any]) -> bool:
    content = body.get("content")
    if body.get("msg_type") == "text":
        return isinstance(content, dict) and isinstance(content.get("text"), str) and bool(content["text"])
    if body.get("msg_type") != "post" or not isinstance(content, dict) or not isinstance(content.get("post"), dict):
        return False
    for locale in content["post"].values():
        if not isinstance(locale, dict) or not isinstance(locale.get("title", ""), str):
            return False
        lines = locale.get("content")
        if not isinstance(lines, list) or not all(isinstance(line, list) for line in lines):
            return False
        for element in (element for line in lines for element in line):
            fields = _TAGS.get(element.get("tag")) if isinstance(element, dict) else None
            if fields is None or not all(isinstance(element.get(field), str) for field in fields):
                return False
            if element["tag"] == "a" and not element["href"].startswith(("http://", "https://")):
                return False
    return bool(content["post"])
