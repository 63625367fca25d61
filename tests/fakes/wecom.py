"""A stand-in WeCom group robot (``/cgi-bin/webhook/send?key=``), enforcing its documented contract.

From the group-robot page (developer.work.weixin.qq.com/document/path/91770 and mirrors): msgtypes text, markdown,
image, news; text.content at most 2048 UTF-8 bytes, markdown.content at most 4096; news with 1-8 articles, title
at most 128 bytes and description at most 512; 20 messages a minute per robot. Error shapes are real answers seen
in the wild: 93000 "invalid webhook url", 45009 "api freq out of limit", 40058 "... exceed max length ...".
"""

from __future__ import annotations

import json
from typing import Any, ClassVar

from aiohttp import web

from tests.fakes.robot import RobotStandIn

__all__ = ["FakeWeCom"]

_LIMITS = {"text": 2048, "markdown": 4096}
_TOO_MANY = (45009, "api freq out of limit")
_INVALID_KEY = (93000, "invalid webhook url, hint: [1755605200056773468916791]")


def _answer(code: int, message: str) -> web.Response:
    return web.json_response({"errcode": code, "errmsg": message})


class FakeWeCom(RobotStandIn):
    kind = "wecom"
    fault_after: ClassVar[dict[str, float]] = {"rate_limit": 60.0}
    env_prefix = "WECOM"
    token = "693a91f6-7xxx-4bc4-97a0-0ec2sifa5aaa"  # the robot's key, its only credential: it does not sign

    def routes(self, router: web.UrlDispatcher) -> None:
        router.add_post("/cgi-bin/webhook/send", self._send)

    def webhook(self) -> str:
        return f"https://qyapi.weixin.qq.com/cgi-bin/webhook/send?key={self.token}"

    async def _send(self, request: web.Request) -> web.StreamResponse:
        fault = self.next_fault()
        stop = self.fault_answer(fault, rate_limited=_answer(*_TOO_MANY), refused=_answer(*_INVALID_KEY))
        if stop is not None:
            return stop
        if request.query.get("key") != self.token:
            return _answer(*_INVALID_KEY)
        try:
            body = json.loads(await request.read())
        except ValueError:
            return _answer(40001, "Warning: wrong json format. invalid Request Parameter")
        problem = _problem(body) if isinstance(body, dict) else (40008, "invalid message type")
        if problem:
            return _answer(*problem)
        if self.sent_within(60) >= 20:
            return _answer(*_TOO_MANY)
        self.take(body)
        return await self.misbehave(fault, request, _answer(0, "ok"), '{"errcode":0,"errm')


def _bytes(value: Any) -> int:
    return len(value.encode()) if isinstance(value, str) else -1


def _problem(body: dict[str, Any]) -> tuple[int, str] | None:
    msgtype = body.get("msgtype")
    if msgtype in _LIMITS:
        content = body.get(msgtype, {}).get("content") if isinstance(body.get(msgtype), dict) else None
        size = _bytes(content)
        if size <= 0:
            return 44004, "empty content"
        if size > _LIMITS[msgtype]:
            return 40058, f"{msgtype}.content exceed max length {_LIMITS[msgtype]}. invalid Request Parameter"
        return None
    if msgtype == "news":
        articles = body.get("news", {}).get("articles") if isinstance(body.get("news"), dict) else None
        if not isinstance(articles, list) or not 1 <= len(articles) <= 8:
            return 40058, "news.articles size out of range. invalid Request Parameter"
        for article in articles:
            if not isinstance(article, dict) or not 0 < _bytes(article.get("title")) <= 128:
                return 40058, "news.articles.title exceed max length 128. invalid Request Parameter"
            if _bytes(article.get("description", "")) > 512:
                return 40058, "news.articles.description exceed max length 512. invalid Request Parameter"
            if _bytes(article.get("url")) <= 0:
                return 40058, "news.articles.url is empty. invalid Request Parameter"
        return None
    return 40008, "Warning: wrong json format. invalid message type"
