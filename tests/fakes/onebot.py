"""A stand-in OneBot v11 HTTP API (go-cqhttp flavour), enforcing the spec independently of the adapter.

Spec: botuniverse/onebot-11 ``communication/http.md`` (401 without the token, 403 with a wrong one, 406 for an
unsupported Content-Type, 400 for a malformed body, 404 for an unknown action, 200 for everything processed) and
``communication/ws.md`` (the 1400/1401/1403/1404 retcodes that stand for those statuses over WebSocket; set
``error_style="retcode"`` to answer that way over HTTP). Failures of processed calls follow go-cqhttp's ``Failed()``.
"""

from __future__ import annotations

import json
from typing import Any, ClassVar

from aiohttp import web

from tests.fakes.server import StandIn

__all__ = ["FakeOneBot"]


class FakeOneBot(StandIn):
    kind = "onebot"
    fault_after: ClassVar[dict[str, float]] = {"rate_limit": 5.0}

    def __init__(
        self,
        *,
        token: str = "onebot-secret-token",
        groups: dict[int, str] | None = None,
        error_style: str = "http",
    ) -> None:
        super().__init__()
        self.token = token
        self.groups = groups if groups is not None else {123456: "校园宣传群"}
        self.error_style = error_style
        self._next_id = 1000

    def routes(self, router: web.UrlDispatcher) -> None:
        router.add_route("*", "/{action}", self._handle)
        router.add_route("*", "/{action}/", self._handle)

    def channel_options(self, base_url: str) -> tuple[dict[str, Any], dict[str, str]]:
        options = {"api_base": base_url, "group_id": next(iter(self.groups)), "token_env": "ONEBOT_TOKEN"}
        return options, {"ONEBOT_TOKEN": self.token}

    def _error(self, status: int) -> web.Response:
        if self.error_style == "retcode":
            return web.json_response({"status": "failed", "retcode": 1000 + status, "data": None})
        return web.Response(status=status)

    async def _handle(self, request: web.Request) -> web.StreamResponse:
        fault = self.next_fault()
        if fault == "rate_limit":  # the spec has no rate-limit answer; a proxy in front answers 429
            return web.Response(status=429, headers={"Retry-After": "5"}, text="Too Many Requests")
        if fault in ("server_error", "unavailable"):
            return web.Response(status=500 if fault == "server_error" else 503, text="upstream error")
        if fault == "auth":
            return self._error(403)
        supplied = request.headers.get("Authorization", "")
        supplied = supplied.removeprefix("Bearer ").removeprefix("Token ") or request.query.get("access_token", "")
        if self.token and not supplied:
            return self._error(401)
        if self.token and supplied != self.token:
            return self._error(403)
        params: dict[str, Any] = dict(request.query)
        if request.method == "POST":
            if request.content_type != "application/json":
                return self._error(406)
            try:
                body = json.loads(await request.read())
            except ValueError:
                return self._error(400)
            if not isinstance(body, dict):
                return self._error(400)
            params.update(body)
        self.requests.append({"action": request.match_info["action"], "params": params})
        handler = {
            "send_group_msg": self._send_group_msg,
            "get_login_info": self._login_info,
            "get_group_info": self._group_info,
        }.get(request.match_info["action"])
        if handler is None:
            return self._error(404)
        answer = handler(params)
        if answer.get("status") != "ok" or fault is None:
            return web.json_response(answer)
        garbled = '{"status": "ok", "retcode": 0, "data": {"message_id"'
        return await self.misbehave(fault, request, web.json_response(answer), garbled)

    def _send_group_msg(self, params: dict[str, Any]) -> dict[str, Any]:
        group_id, message = _int(params.get("group_id")), params.get("message")
        if group_id is None or not message:
            return _failed("INVALID_PARAMS", "参数错误")
        if group_id not in self.groups:
            return _failed("GROUP_NOT_FOUND", "群聊不存在")
        if isinstance(message, list):
            for segment in message:
                problem = _segment_problem(segment)
                if problem:
                    return _failed("SEND_MSG_API_ERROR", problem)
        self._next_id += 1
        self.accepted.append({"group_id": group_id, "message": message, "message_id": self._next_id})
        return {"status": "ok", "retcode": 0, "data": {"message_id": self._next_id}}

    def _login_info(self, params: dict[str, Any]) -> dict[str, Any]:
        return {"status": "ok", "retcode": 0, "data": {"user_id": 10001, "nickname": "宣传机器人"}}

    def _group_info(self, params: dict[str, Any]) -> dict[str, Any]:
        group_id = _int(params.get("group_id"))
        if group_id not in self.groups:
            return _failed("GROUP_NOT_FOUND", "群聊不存在")
        data = {"group_id": group_id, "group_name": self.groups[group_id], "member_count": 42}
        return {"status": "ok", "retcode": 0, "data": data}


def _int(value: Any) -> int | None:
    """OneBot parses numbers sent as strings too."""
    try:
        return int(value)
    except (TypeError, ValueError):
        return None


def _failed(msg: str, wording: str) -> dict[str, Any]:
    return {"status": "failed", "retcode": 100, "data": None, "msg": msg, "wording": wording}


def _segment_problem(segment: Any) -> str:
    if not isinstance(segment, dict) or not isinstance(segment.get("data"), dict):
        return "消息段格式错误"
    kind, data = segment.get("type"), segment["data"]
    if kind == "text":
        return "" if isinstance(data.get("text"), str) else "text 消息段缺少 text"
    if kind == "image":
        file = data.get("file")
        ok = isinstance(file, str) and file.startswith(("http://", "https://", "file:///", "base64://"))
        return "" if ok else "图片文件无效"
    return f"不支持的消息段 {kind}"
