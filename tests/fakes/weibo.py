"""A stand-in for Weibo's open API: ``statuses/share``, ``account/rate_limit_status`` and ``oauth2/get_token_info``.

It follows the open.weibo.com wiki, not the adapter: ``access_token`` as a parameter; ``status`` (≤ 140 汉字 counted
the way Weibo does: ASCII ½, other characters 1, a URL as a 10-汉字 short link), ``rip`` required, no ``#topic#``,
at least one URL on the app's safe domain; an optional ``pic`` (JPEG/GIF/PNG under 5 MB, multipart). Errors are
``{"request": ..., "error_code": ..., "error": ...}``: 21332/21327 for a bad or expired token, 20012 too long,
20019 for text identical to an earlier post, 10023 when the user posts more than ``posts_per_hour``. The codes for a
missing safe-domain link and for ``#topic#`` are not documented; 10017 (parameter value invalid) is used.
Injected faults apply to ``statuses/share`` only.
"""

from __future__ import annotations

import itertools
import math
import re
import time
from typing import Any
from urllib.parse import urlsplit

from aiohttp import web

from tests.fakes.server import StandIn

__all__ = ["FakeWeibo"]

_URL = re.compile(r"https?://[!-~]*[A-Za-z0-9/=#&%~+_-]")
_SHARE = "/2/statuses/share.json"


def weibo_length(text: str) -> int:
    """Weibo's count: half units (ASCII 1, else 2, UTF-16 surrogate pairs twice), a URL 20, then halved up."""
    halves = 0
    for url in _URL.findall(text):
        halves += 20 if len(url.encode("utf-16-le")) // 2 <= 140 else len(url) - 120
    for ch in _URL.sub("", text):
        halves += 1 if ord(ch) < 0x80 else 2 * (len(ch.encode("utf-16-le")) // 2)
    return math.ceil(halves / 2)


class FakeWeibo(StandIn):
    kind = "weibo"

    def __init__(
        self,
        *,
        token: str = "2.00weibo-token-9c1e",
        uid: str = "5678901234",
        safe_domain: str = "example.org",
        posts_per_hour: int = 30,
        token_seconds_left: int = 5 * 365 * 86400,
    ) -> None:
        super().__init__()
        self.token, self.uid, self.safe_domain = token, uid, safe_domain
        self.posts_per_hour = posts_per_hour
        self.token_seconds_left = token_seconds_left  # 0 or less: the token has expired (21327)
        self._ids = itertools.count(4_987_654_321_000_001)
        self._posted_at: list[float] = []

    def new_app(self) -> web.Application:
        # the form carries the pic: room for one just over the 5 MB Weibo takes, so its 20006 is what refuses it
        return web.Application(client_max_size=6 * 1024 * 1024)

    def routes(self, router: web.UrlDispatcher) -> None:
        router.add_post(_SHARE, self._share)
        router.add_get("/2/account/rate_limit_status.json", self._rate_limit_status)
        router.add_post("/oauth2/get_token_info", self._token_info)

    def channel_options(self, base_url: str) -> tuple[dict[str, Any], dict[str, str]]:
        options = {
            "api_base": base_url,
            "token_env": "WEIBO_TOKEN",
            "safe_domain": self.safe_domain,
            "rip": "203.0.113.7",
            "timeout": 0.3,
        }
        return options, {"WEIBO_TOKEN": self.token}

    @staticmethod
    def _error(request: web.Request, code: int, message: str, status: int = 400) -> web.Response:
        return web.json_response({"request": request.path, "error_code": code, "error": message}, status=status)

    def _token_error(self, request: web.Request, token: object) -> web.Response | None:
        if token != self.token:
            return self._error(request, 21332, "invalid_access_token", 401)
        if self.token_seconds_left <= 0:
            return self._error(request, 21327, "expired_token", 401)
        return None

    def _reset_in(self) -> int:
        return 3600 - int(time.time()) % 3600  # Weibo's windows are clock hours

    def _recent_posts(self) -> int:
        hour = int(time.time()) // 3600
        return sum(1 for t in self._posted_at if int(t) // 3600 == hour)

    async def _rate_limit_status(self, request: web.Request) -> web.Response:
        refusal = self._token_error(request, request.query.get("access_token"))
        if refusal:
            return refusal
        remaining = max(0, self.posts_per_hour - self._recent_posts())
        return web.json_response(
            {
                "ip_limit": 10000,
                "limit_time_unit": "HOURS",
                "remaining_ip_hits": 10000,
                "remaining_user_hits": remaining,
                "reset_time_in_seconds": self._reset_in(),
                "user_limit": self.posts_per_hour,
            }
        )

    async def _token_info(self, request: web.Request) -> web.Response:
        form = await request.post()
        if form.get("access_token") != self.token:
            return self._error(request, 21332, "invalid_access_token", 401)
        return web.json_response(
            {"uid": int(self.uid), "appkey": 1352222456, "scope": None, "create_at": 1352267591,
             "expire_in": max(0, self.token_seconds_left)}
        )  # fmt: skip

    async def _share(self, request: web.Request) -> web.StreamResponse:
        fault = self.next_fault()
        if fault == "unavailable":
            return web.Response(status=503, text="<html>503 Service Temporarily Unavailable</html>")
        if fault == "server_error":
            return web.Response(status=500, text="<html>500 Internal Server Error</html>")
        if fault == "rate_limit":
            return self._error(request, 10023, "User requests out of rate limit!", 403)
        if fault == "auth":
            return self._error(request, 21327, "expired_token", 401)
        form = await request.post()
        refusal = self._token_error(request, form.get("access_token")) or self._refuse(request, form)
        if refusal:
            return refusal
        self._posted_at.append(time.time())
        status = self._create(form)
        return await self.misbehave(fault, request, web.json_response(status), '{"created_at": "Wed Oct')

    def _refuse(self, request: web.Request, form: Any) -> web.Response | None:
        text, rip = form.get("status"), form.get("rip")
        if not isinstance(text, str) or not text.strip():
            return self._error(request, 10016, "Miss required parameter (status) , see doc for more info.")
        if not isinstance(rip, str) or not re.fullmatch(r"[0-9a-fA-F.:]+", rip):
            return self._error(request, 10016, "Miss required parameter (rip) , see doc for more info.")
        if re.search(r"#[^#\s][^#]*#", text):
            return self._error(request, 10017, "Parameter (status)'s value invalid: #topic# is not allowed")
        hosts = [(urlsplit(url).hostname or "").lower() for url in _URL.findall(text)]
        if not any(h == self.safe_domain or h.endswith("." + self.safe_domain) for h in hosts):
            return self._error(
                request, 10017, f"Parameter (status)'s value invalid: needs a link on {self.safe_domain}"
            )
        if weibo_length(text) > 140:
            return self._error(request, 20012, "Text too long, please input text less than 140 characters!")
        if any(status["text"] == text for status in self.accepted):
            return self._error(request, 20019, "Repeat content!")
        if self._recent_posts() >= self.posts_per_hour:
            return self._error(request, 10023, "User requests out of rate limit!", 403)
        pic = form.get("pic")
        if pic is not None:
            if not isinstance(pic, web.FileField):
                return self._error(request, 20007, "Does multipart has image?")
            head = pic.file.read()
            if not head.startswith((b"\xff\xd8\xff", b"\x89PNG", b"GIF8")):
                return self._error(request, 20005, "Unsupported image type, only suport JPG, GIF, PNG!")
            if len(head) >= 5 * 1024 * 1024:
                return self._error(request, 20006, "Image size too large.")
            pic.file.seek(0)
        return None

    def _create(self, form: Any) -> dict[str, Any]:
        status_id = str(next(self._ids))
        pic = form.get("pic")
        status: dict[str, Any] = {
            "created_at": time.strftime("%a %b %d %H:%M:%S +0800 %Y"),
            "id": int(status_id),
            "mid": status_id,
            "idstr": status_id,
            "text": form["status"],
            "source": '<a href="http://app.weibo.com/t/feed/1" rel="nofollow">publisher</a>',
            "user": {"id": int(self.uid), "idstr": self.uid},
        }
        if isinstance(pic, web.FileField):
            status["original_pic"] = f"http://wx1.sinaimg.cn/large/{status_id}.jpg"
            status["pic_bytes"] = len(pic.file.read())
        self.accepted.append(status)
        return status
