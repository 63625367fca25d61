"""A stand-in WeChat Official Account API (``https://api.weixin.qq.com/cgi-bin/...``), written from the official
developer documentation as summarised in ../shared/channels.md §11, not from the adapter.

Documented and enforced: the stable token (``stable_token``: ``expires_in`` 7200, ``force_refresh`` at most once
every 30 s, the old token still valid 5 minutes after a forced refresh; 40001 for an unknown token, 42001 for an
expired one); errors as HTTP 200 ``{errcode, errmsg}``; 40164 for a caller outside the IP whitelist; body images
only through ``media/uploadimg`` (jpg/png under 1 MB; any other image address is stripped from the content); the
cover a permanent ``image`` material (bmp/png/jpeg/gif, 2 MB); ``draft/add`` needs a known ``thumb_media_id`` and
keeps title 32, digest 128, author 16, content 20,000 characters; ``freepublish/submit`` only accepts (the result
comes later through ``freepublish/get``: 1 publishing, then 0 or 2/3/4; 5 or 6 may follow days after a 0);
48001 for an account that may not publish through the API; 45009 once the daily quota is used; ``clientmsgid``
repeated within 24 hours answered with 45065 and the first send's ``msg_id``.

Guessed [I]: the codes for a field over its limit (45003 title, 45004 digest, 45110 author, 45002 content), the
exact errmsg texts, and that a published article leaves ``freepublish/batchget`` when banned (6) and shows
``is_deleted`` when the account deleted it (5).
"""

from __future__ import annotations

import itertools
import re
import time
from collections.abc import Callable
from typing import Any, ClassVar

from aiohttp import web

from tests.fakes.server import StandIn

__all__ = ["FakeWeChatMp"]

APP_ID = "wx0123456789abcdef"
SECRET = "0123456789abcdef0123456789abcdef"
DEFAULT_COVER = "cover-default-media-id"
#: the path that takes the injected faults: the mode's last, post-making request
FINAL = {"draft": "draft/add", "publish": "freepublish/submit", "mass_send": "message/mass/sendall"}
MAGIC = {b"\x89PNG\r\n\x1a\n": "png", b"\xff\xd8\xff": "jpg", b"GIF8": "gif", b"BM": "bmp"}
_IMG_SRC = re.compile(r'<img\b[^>]*?\bsrc="([^"]+)"[^>]*>', re.IGNORECASE)
LIMITS = {"title": (32, 45003), "digest": (128, 45004), "author": (16, 45110), "content": (20_000, 45002)}


def _error(code: int, message: str) -> web.Response:
    return web.json_response({"errcode": code, "errmsg": f"{message} rid: 6752f0a1-0b2c3d4e-5f607182"})


def _kind(data: bytes) -> str | None:
    return next((kind for magic, kind in MAGIC.items() if data.startswith(magic)), None)


class FakeWeChatMp(StandIn):
    kind = "wechat_mp"
    fault_after: ClassVar[dict[str, float]] = {}

    def __init__(
        self,
        *,
        mode: str = "publish",
        may_publish: bool = True,
        wrong_ip: bool = False,
        publish_delay: float = 0.0,
        publish_outcome: int = 0,
        quota: int | None = None,
        mass_quota: int | None = None,
        token_lifetime: int = 7200,
        clock: Callable[[], float] = time.time,
    ) -> None:
        super().__init__(clock=clock)
        self.mode = mode
        self.may_publish = may_publish  # False: a personal or unverified account (48001 on publish and mass send)
        self.wrong_ip = wrong_ip  # the caller is not on the IP whitelist: every call answers 40164
        self.publish_delay, self.publish_outcome = publish_delay, publish_outcome
        self.quota = quota  # API calls left today (None: plenty); 0 → 45009
        self.mass_quota = mass_quota  # successful mass sends left today
        self.token_lifetime = token_lifetime
        self.tokens: dict[str, float] = {}  # token -> when it stops being valid
        self.token_requests: list[dict[str, Any]] = []
        self.last_forced: float | None = None
        self.materials: dict[str, dict[str, Any]] = {DEFAULT_COVER: {"name": "cover.jpg", "kind": "jpg"}}
        self.body_images: list[str] = []
        self.drafts: dict[str, dict[str, Any]] = {}  # media_id -> {"articles", "update_time"}
        self.jobs: dict[str, dict[str, Any]] = {}  # publish_id -> {"media_id", "at", "statuses": [(time, status)]}
        self.sends: dict[str, dict[str, Any]] = {}  # clientmsgid -> {"msg_id", "at", "media_id"}
        self.stripped: list[str] = []  # image addresses WeChat removed from a content
        self._secret_reset = False
        self._ids = itertools.count(1000)

    def routes(self, router: web.UrlDispatcher) -> None:
        router.add_post("/cgi-bin/stable_token", self._stable_token)
        handlers = {
            "media/uploadimg": self._uploadimg,
            "material/add_material": self._add_material,
            "material/batchget_material": self._batchget_material,
            "draft/add": self._draft_add,
            "draft/batchget": self._draft_batchget,
            "freepublish/submit": self._submit,
            "freepublish/get": self._get,
            "freepublish/batchget": self._published,
            "message/mass/sendall": self._sendall,
            "freepublish/getarticle": self._getarticle,
            "message/mass/get": self._mass_get,
        }
        for path, handler in handlers.items():
            router.add_post(f"/cgi-bin/{path}", self._api(path, handler))
        router.add_get("/cgi-bin/draft/count", self._api("draft/count", self._draft_count))

    def channel_options(self, base_url: str) -> tuple[dict[str, Any], dict[str, str]]:
        options = {
            "app_id": APP_ID,
            "app_secret_env": "WECHAT_MP_APP_SECRET",
            "mode": self.mode,
            "cover_media_id": DEFAULT_COVER,
            "api_base": base_url,
            "poll_interval": 0.01,
        }
        return options, {"WECHAT_MP_APP_SECRET": SECRET}

    # --- what tests look at and do -----------------------------------------------------------------------------

    def status(self, publish_id: str) -> int:
        """The job's publish_status now (its last status whose time has come)."""
        now = self.clock()
        return [status for at, status in self.jobs[publish_id]["statuses"] if at <= now][-1]

    def later(self, publish_id: str, status: int, after: float = 0.0) -> None:
        """From ``after`` seconds on, the job says ``status`` (5: the account deleted it; 6: banned)."""
        self.jobs[publish_id]["statuses"].append((self.clock() + after, status))

    def delete_mass(self, msg_id: int) -> None:
        """The account deletes a mass-sent article (message/mass/delete, or the back office): status DELETE."""
        for send in self.sends.values():
            if send["msg_id"] == msg_id:
                send["deleted"] = True

    def expire_tokens(self) -> None:
        """Every token expires now (as after two hours)."""
        self.tokens = dict.fromkeys(self.tokens, self.clock() - 1)

    def revoke_tokens(self) -> None:
        """Every token is refused as invalid (another client forced a refresh and the 5 minutes are over)."""
        self.tokens.clear()

    # --- plumbing ----------------------------------------------------------------------------------------------

    def _ip_refused(self) -> web.Response | None:
        if self.wrong_ip:
            return _error(40164, "invalid ip 203.0.113.7 ipv6 ::ffff:203.0.113.7, not in whitelist")
        return None

    async def _stable_token(self, request: web.Request) -> web.Response:
        self.requests.append("stable_token")
        refused = self._ip_refused()
        if refused is not None:
            return refused
        body = await request.json()
        self.token_requests.append({k: v for k, v in body.items() if k != "secret"})
        if body.get("grant_type") != "client_credential":
            return _error(40002, "invalid grant_type")
        if body.get("appid") != APP_ID:
            return _error(40013, "invalid appid")
        if body.get("secret") != SECRET or self._secret_reset:
            self._secret_reset = False  # once: the test's "auth" fault, as if a person had reset the secret
            return _error(40125, "invalid appsecret")
        now = self.clock()
        live = [token for token, until in self.tokens.items() if until > now]
        if body.get("force_refresh"):
            if self.last_forced is not None and now - self.last_forced < 30:
                return _error(45011, "api minute-quota reach limit  mustslower  retry next minute")
            self.last_forced = now
            for token in live:  # the old token stays valid five more minutes
                self.tokens[token] = min(self.tokens[token], now + 300)
            live = []
        if not live:
            token = f"TOKEN-{next(self._ids)}-" + "x" * 500  # tokens are 512 characters and more
            self.tokens[token] = now + self.token_lifetime
            live = [token]
        token = max(live, key=lambda t: self.tokens[t])
        return web.json_response({"access_token": token, "expires_in": int(self.tokens[token] - now)})

    def _api(self, path: str, handler: Callable[[web.Request], Any]) -> Callable[[web.Request], Any]:
        async def checked(request: web.Request) -> web.StreamResponse:
            self.requests.append(path)
            refused = self._ip_refused()
            if refused is not None:
                return refused
            token = request.query.get("access_token", "")
            until = self.tokens.get(token)
            if until is None:
                return _error(40001, "invalid credential, access_token is invalid or not latest")
            if until <= self.clock():
                return _error(42001, "access_token expired")
            if self.quota is not None:
                if self.quota <= 0:
                    return _error(45009, "reach max api daily quota limit")
                self.quota -= 1
            fault = self.next_fault() if path == FINAL[self.mode] else None
            if fault == "rate_limit":
                return _error(45009, "reach max api daily quota limit")
            if fault == "unavailable":
                return web.json_response({"errcode": -1, "errmsg": "system error"})
            if fault == "server_error":
                return web.Response(status=500, text="<html><title>500 Internal Server Error</title></html>")
            if fault == "auth":
                self._secret_reset = True
                return _error(40001, "invalid credential, access_token is invalid or not latest")
            answer: web.StreamResponse = await handler(request)
            return await self.misbehave(fault, request, answer, '{"errcode":0,"errmsg":"ok","media_id":"')

        return checked

    async def _file(self, request: web.Request) -> tuple[str, bytes] | web.Response:
        form = await request.post()
        media = form.get("media")
        if media is None or isinstance(media, str):
            return _error(41005, "media data missing")
        data = media.file.read()
        return str(media.filename), data

    # --- images --------------------------------------------------------------------------------------------------

    async def _uploadimg(self, request: web.Request) -> web.Response:
        got = await self._file(request)
        if isinstance(got, web.Response):
            return got
        _name, data = got
        kind = _kind(data)
        if kind not in ("png", "jpg"):
            return _error(40005, "invalid file type")  # uploadimg takes jpg and png only
        if len(data) >= 1024 * 1024:
            return _error(40009, "invalid image size")
        url = f"https://mmbiz.qpic.cn/mmbiz_{kind}/{next(self._ids)}/0?wx_fmt={'jpeg' if kind == 'jpg' else kind}"
        self.body_images.append(url)
        return web.json_response({"url": url})

    async def _add_material(self, request: web.Request) -> web.Response:
        if request.query.get("type") != "image":
            return _error(40004, "invalid media type")
        got = await self._file(request)
        if isinstance(got, web.Response):
            return got
        name, data = got
        kind = _kind(data)
        if kind is None:
            return _error(40005, "invalid file type")
        if len(data) > 2 * 1024 * 1024:
            return _error(40009, "invalid image size")
        media_id = f"MATERIAL-{next(self._ids)}"
        self.materials[media_id] = {"name": name, "kind": kind, "size": len(data)}
        url = f"https://mmbiz.qpic.cn/mmbiz_{kind}/{media_id}/0"
        return web.json_response({"media_id": media_id, "url": url})

    async def _batchget_material(self, request: web.Request) -> web.Response:
        body = await request.json()
        items = [{"media_id": m, "name": v["name"], "update_time": 0} for m, v in self.materials.items()]
        chosen = items[body.get("offset", 0) :][: body.get("count", 20)]
        return web.json_response({"total_count": len(items), "item_count": len(chosen), "item": chosen})

    # --- drafts --------------------------------------------------------------------------------------------------

    async def _draft_add(self, request: web.Request) -> web.Response:
        body = await request.json()
        articles = body.get("articles")
        if not isinstance(articles, list) or not articles:
            return _error(47001, "data format error")
        kept = []
        for article in articles:
            if not article.get("title") or not article.get("content"):
                return _error(47001, "data format error")
            for field, (limit, code) in LIMITS.items():
                if len(str(article.get(field) or "")) > limit:
                    return _error(code, f"{field} size out of limit")
            if len(str(article["content"]).encode()) >= 1024 * 1024:
                return _error(45002, "content size out of limit")
            if article.get("thumb_media_id") not in self.materials:  # a news article needs its cover
                return _error(40007, "invalid media_id")
            kept.append({**article, "content": self._strip(str(article["content"]))})
        media_id = f"DRAFT-{next(self._ids)}"
        self.drafts[media_id] = {"articles": kept, "update_time": int(self.clock())}
        if self.mode == "draft":
            self.accepted.append({"draft": media_id, **kept[0]})
        return web.json_response({"media_id": media_id})

    def _strip(self, content: str) -> str:
        """WeChat removes images whose address is not its own."""

        def keep(match: re.Match[str]) -> str:
            if match.group(1).startswith("https://mmbiz.qpic.cn/"):
                return match.group(0)
            self.stripped.append(match.group(1))
            return ""

        return _IMG_SRC.sub(keep, content)

    async def _draft_batchget(self, request: web.Request) -> web.Response:
        body = await request.json()
        items = [
            {
                "media_id": media_id,
                "content": {"news_item": self._shown(d["articles"], body)},
                "update_time": d["update_time"],
            }
            for media_id, d in reversed(self.drafts.items())
        ]
        chosen = items[body.get("offset", 0) :][: body.get("count", 20)]
        return web.json_response({"total_count": len(items), "item_count": len(chosen), "item": chosen})

    @staticmethod
    def _shown(articles: list[dict[str, Any]], body: dict[str, Any]) -> list[dict[str, Any]]:
        return [{k: v for k, v in a.items() if k != "content"} if body.get("no_content") else a for a in articles]

    async def _draft_count(self, request: web.Request) -> web.Response:
        return web.json_response({"total_count": len(self.drafts)})

    # --- free publish --------------------------------------------------------------------------------------------

    async def _submit(self, request: web.Request) -> web.Response:
        body = await request.json()
        media_id = body.get("media_id")
        if media_id not in self.drafts:
            return _error(40007, "invalid media_id")
        if not self.may_publish:
            return _error(48001, "api unauthorized")
        publish_id = str(next(self._ids) * 1000 + 7)
        now = self.clock()
        statuses = [(now, 1), (now + self.publish_delay, self.publish_outcome)]
        self.jobs[publish_id] = {
            "media_id": media_id,
            "at": now,
            "statuses": statuses,
            "article_id": f"ART-{publish_id}",
        }
        self.accepted.append({"publish_id": publish_id, **self.drafts[media_id]["articles"][0]})
        return web.json_response({"errcode": 0, "errmsg": "ok", "publish_id": publish_id, "msg_data_id": 1})

    def _url(self, publish_id: str) -> str:
        return f"https://mp.weixin.qq.com/s/{self.jobs[publish_id]['article_id']}"

    async def _get(self, request: web.Request) -> web.Response:
        body = await request.json()
        publish_id = str(body.get("publish_id"))
        if publish_id not in self.jobs:
            return _error(40007, "invalid publish_id")
        status, job = self.status(publish_id), self.jobs[publish_id]
        answer: dict[str, Any] = {"publish_id": publish_id, "publish_status": status}
        if status in (0, 5, 6):
            answer["article_id"] = job["article_id"]
            items = [{"idx": 1, "article_url": self._url(publish_id)}] if status == 0 else []
            answer["article_detail"] = {"count": len(items), "item": items}
        if status in (2, 3, 4):
            answer["fail_idx"] = [1]
        return web.json_response(answer)

    async def _published(self, request: web.Request) -> web.Response:
        body = await request.json()
        items = []
        for publish_id, job in reversed(self.jobs.items()):
            status = self.status(publish_id)
            if status not in (0, 5):  # still publishing, refused, or banned
                continue
            news = [
                {**article, "url": self._url(publish_id), "is_deleted": status == 5}
                for article in self._shown(self.drafts[job["media_id"]]["articles"], body)
            ]
            items.append(
                {"article_id": job["article_id"], "content": {"news_item": news}, "update_time": int(job["at"])}
            )
        chosen = items[body.get("offset", 0) :][: body.get("count", 20)]
        return web.json_response({"total_count": len(items), "item_count": len(chosen), "item": chosen})

    async def _getarticle(self, request: web.Request) -> web.Response:
        body = await request.json()
        found = [(p, job) for p, job in self.jobs.items() if job["article_id"] == body.get("article_id")]
        if not found or self.status(found[0][0]) not in (0, 5):
            return _error(40007, "invalid article_id")
        publish_id, job = found[0]
        deleted = self.status(publish_id) == 5
        news = [
            {**article, "url": self._url(publish_id), "is_deleted": deleted}
            for article in self.drafts[job["media_id"]]["articles"]
        ]
        return web.json_response({"news_item": news})

    # --- mass send -----------------------------------------------------------------------------------------------

    async def _mass_get(self, request: web.Request) -> web.Response:
        body = await request.json()
        for send in self.sends.values():
            if str(send["msg_id"]) == str(body.get("msg_id")):
                status = "DELETE" if send.get("deleted") else "SEND_SUCCESS"
                return web.json_response({"msg_id": send["msg_id"], "msg_status": status})
        return _error(40059, "invalid msg id")

    async def _sendall(self, request: web.Request) -> web.Response:
        body = await request.json()
        if body.get("msgtype") != "mpnews" or not body.get("filter", {}).get("is_to_all"):
            return _error(47001, "data format error")
        media_id = body.get("mpnews", {}).get("media_id")
        if media_id not in self.drafts:
            return _error(40007, "invalid media_id")
        if not self.may_publish:
            return _error(48001, "api unauthorized")
        client_id = str(body.get("clientmsgid") or "")
        if len(client_id.encode()) > 64:
            return _error(45067, "clientmsgid size out of limit")
        now = self.clock()
        earlier = self.sends.get(client_id) if client_id else None
        if earlier is not None and now - earlier["at"] < 24 * 3600:
            answer = {"errcode": 45065, "errmsg": "clientmsgid exist", "msg_id": earlier["msg_id"]}
            return web.json_response(answer)
        if self.mass_quota is not None:
            if self.mass_quota <= 0:
                return _error(45028, "has no masssend quota")
            self.mass_quota -= 1
        msg_id = next(self._ids) * 100 + 1
        if client_id:
            self.sends[client_id] = {"msg_id": msg_id, "at": now, "media_id": media_id}
        self.accepted.append({"msg_id": msg_id, "clientmsgid": client_id, **self.drafts[media_id]["articles"][0]})
        return web.json_response(
            {"errcode": 0, "errmsg": "send job submission success", "msg_id": msg_id, "msg_data_id": msg_id + 1}
        )
