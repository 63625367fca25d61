"""The ``weibo`` channel: share a short text with a link (and one picture) through Weibo's ``statuses/share``.

``statuses/share`` is the only write API left to ordinary apps. The text must contain a link on the app's "safe
domain" (安全域名, set on open.weibo.com) and no ``#topic#``, and is limited to 140 "汉字" as Weibo counts them (see
``count_weibo``). Weibo has no idempotency key and no reliable way to find a post again by a key of ours, so a send
whose answer was lost waits for a person (``idempotency = "none"``); Weibo's own refusal of repeated text (20019)
then stops an accidental second copy.
"""

from __future__ import annotations

import ipaddress
import math
import re
import time
from typing import Any, ClassVar
from urllib.parse import urlsplit

import httpx

from adapters.base import ChannelAdapter, Limits, Payload, PostContent, Receipt
from adapters.errors import AdapterConfigError, ChannelError, CredentialsRejected, Permanent, Retryable, Uncertain
from adapters.http import raise_for_transport, status_error
from adapters.media import fit_image
from adapters.options import Option, api_base, timeout
from adapters.text import URL, compose, markdown_to_text

__all__ = ["WeiboAdapter", "count_weibo"]

_CREDENTIALS = {21301, 21314, 21315, 21316, 21317, 21319, 21327, 21332}  # auth failed, token used/expired/revoked
_RATE_LIMITED = {10022, 10023, 10024, 20016}  # IP, user, user-per-API limits; "posting too often"
_REPEATED = {20017, 20019}  # similar / identical content recently posted
_BUSY = {10002, 10009}  # service paused, too many pending tasks: refused before acting
_MAYBE_DONE = {10001, 10003, 10010, 10011}  # system, remote service, job expired, RPC: may have acted
PIC_BYTES = 5 * 1024 * 1024 - 1  # ``pic``: JPEG, GIF or PNG under 5 MB
PIC_TYPES = ("image/jpeg", "image/gif", "image/png")
_DELAYED = 20032  # "posted, but the server is slow": a success without the status


def _half_units(ch: str) -> int:
    # ASCII counts half a 汉字; anything else one; astral characters (emoji) twice, as UTF-16 length does
    return 1 if ord(ch) < 0x80 else 4 if ord(ch) > 0xFFFF else 2


def count_weibo(text: str) -> int:
    """Length in Weibo's "汉字": ASCII ½, other characters 1, each URL as a t.cn short link (10), rounded up."""
    half = 0
    for match in URL.finditer(text):
        size = sum(_half_units(ch) for ch in match.group())
        host = urlsplit(match.group()).hostname or ""
        if host in ("weibo.com", "weibo.cn") and size <= 41:  # Weibo's own links are not shortened
            half += max(size, 20)
        else:
            half += 20 if size <= 140 else size - 120  # a very long URL counts its excess
    half += sum(_half_units(ch) for ch in URL.sub("", text))
    return math.ceil(half / 2)


def _weibo_join(title: str, body: str, tail: str) -> str:
    head = f"【{title.strip()}】" if title.strip() else ""
    return f"{head}{body} {tail}".strip() if tail else f"{head}{body}".strip()


def _bare_host(value: str) -> str:
    if not re.fullmatch(r"[a-z0-9-]+(\.[a-z0-9-]+)+", value.lower()):
        raise ValueError(f'must be a bare host such as "example.org", got {value!r}')
    return value.lower()


def _ip_address(value: str) -> str:
    try:
        ipaddress.ip_address(value)
    except ValueError:
        raise ValueError(f"must be the public IP address of the poster, got {value!r}") from None
    return value


class WeiboAdapter(ChannelAdapter):
    kind: ClassVar[str] = "weibo"
    options: ClassVar[tuple[Option, ...]] = (
        Option(
            name="token_env",
            help="The environment variable holding the OAuth2 access token of the account that posts (never the "
            "token itself).",
            example="WEIBO_TOKEN",
        ),
        Option(
            name="safe_domain",
            check=_bare_host,
            help="The safe domain (安全域名) bound to your app on open.weibo.com: My apps -> App info -> Basic info. "
            "Weibo refuses a text without a link on it; subdomains (www.example.org) count as on it.",
            example="example.org",
        ),
        Option(
            name="fallback_link",
            default=None,
            help="Used when a post's link is missing or not on the safe domain; must itself be on the safe domain. "
            "Leave it out to refuse such posts when they are queued.",
            example="https://example.org/news/",
            commented=True,
        ),
        Option(
            name="rip",
            check=_ip_address,
            help="The real public IP address of the person or server posting; statuses/share requires it (parameter "
            "`rip`).",
            example="203.0.113.7",
        ),
        timeout(),
        api_base("https://api.weibo.com"),
    )
    # posting: 30 per user per hour (open.weibo.com Rate-limiting); one at a time keeps repeats in order
    limits: Limits = Limits(
        max_length=140, count=count_weibo, unit="汉字", max_images=1, rate_per_minute=0.5, concurrency=1
    )

    def setup(self, config: dict[str, Any]) -> None:
        self.api_base: str = config["api_base"]
        self._token: str = config["token_env"]
        self.token_env = str(self._given["token_env"])
        self.safe_domain: str = config["safe_domain"]
        self.fallback_link: str | None = config["fallback_link"]
        if self.fallback_link is not None and not self._on_safe_domain(self.fallback_link):
            raise AdapterConfigError("fallback_link", f"must be an http(s) URL on {self.safe_domain}")
        self.rip: str = config["rip"]
        self.timeout: float = config["timeout"]

    def _on_safe_domain(self, link: str) -> bool:
        parts = urlsplit(link)
        host = (parts.hostname or "").lower()
        return parts.scheme in ("http", "https") and (host == self.safe_domain or host.endswith("." + self.safe_domain))

    def _scrub(self, text: str) -> str:
        return text.replace(self._token, "***")

    def render(self, post: PostContent) -> Payload:
        link = post.link if post.link and self._on_safe_domain(post.link) else self.fallback_link
        if not link:
            which = f"the post's link {post.link} is not on it" if post.link else "the post has no link"
            raise Permanent(
                f"Weibo shares only posts with a link on the app's safe domain {self.safe_domain}: {which}; "
                "give the post such a link or set fallback_link"
            )
        title, body = post.title, markdown_to_text(post.body, link_targets=True).replace("\n\n", "\n")
        if (title + body).count("#") >= 2:  # "#words#" would be a topic, which statuses/share refuses
            title, body = title.replace("#", ""), body.replace("#", "")
        limit = self.limits.max_length or 140
        text = compose(title, body, [link], _weibo_join, lambda t: count_weibo(t) <= limit)
        if text is None:
            raise Permanent(f"the link {link} alone is over Weibo's {limit} 汉字")
        return Payload(text=text, data={"status": text, "image": post.images[0] if post.images else None})

    async def publish(self, payload: Payload, key: str) -> Receipt:
        form = {"access_token": self._token, "status": payload.data["status"], "rip": self.rip}
        files = None
        if payload.data.get("image"):
            # JPEG, GIF or PNG under 5 MB: a larger photo is scaled down to fit rather than refused
            image = fit_image(await self.images.load(payload.data["image"]), PIC_BYTES, PIC_TYPES)
            files = {"pic": (image.filename, image.data, image.mime)}  # multipart only when a picture goes along
        try:
            response = await self.client.post(
                f"{self.api_base}/2/statuses/share.json", data=form, files=files, timeout=self.timeout
            )
        except httpx.TransportError as exc:
            raise raise_for_transport(exc) from exc
        try:
            document = response.json()
        except ValueError:
            if response.status_code == 200:
                raise Uncertain("Weibo answered 200 with an unreadable body; the post may exist") from None
            raise status_error(response, self._scrub(response.text[:200])) from None
        if isinstance(document, dict) and document.get("idstr"):
            user = document.get("user")
            uid = (user.get("idstr") or user.get("id")) if isinstance(user, dict) else None
            return Receipt(
                remote_id=str(document["idstr"]),
                url=f"https://m.weibo.cn/status/{document['idstr']}",
                details={"mid": document.get("mid"), "uid": str(uid) if uid else None},
            )
        error = await self._error(response, document)
        if isinstance(error, Receipt):
            return error
        raise error

    async def _error(self, response: httpx.Response, document: Any) -> ChannelError | Receipt:
        """Read Weibo's ``{"error_code": ..., "error": ...}``; the HTTP status says little (400/403 for most)."""
        try:
            code = int(document["error_code"])
        except (KeyError, TypeError, ValueError):
            if response.status_code == 200:
                return Uncertain("Weibo answered 200 without a status id; the post may exist")
            return status_error(response, self._scrub(response.text[:200]))
        said = f"Weibo error {code}: {self._scrub(str(document.get('error', '')))}"
        if code == _DELAYED:
            return Receipt(details={"note": f"{said}; Weibo accepted the post but has not shown it yet"})
        if code in _CREDENTIALS:
            what = "has expired" if code in (21315, 21327) else "was refused (revoked, or not this app's)"
            return CredentialsRejected(
                f"{said}. The access token in {self.token_env} {what}: authorise the app again on "
                "open.weibo.com (OAuth2) and put the new token there"
            )
        if code in _RATE_LIMITED:
            return Retryable(f"{said} (rate limited)", after=await self._rate_limit_wait())
        if code in _REPEATED:
            return Permanent(
                f"{said}. Weibo refused the text as a repeat of a recent post: the same text is most likely already "
                "on the account (an earlier attempt may have landed); check its timeline before changing the text"
            )
        if code in _BUSY:
            return Retryable(said)
        if code in _MAYBE_DONE:
            return Uncertain(f"{said}; the post may exist")
        return Permanent(said)

    async def _rate_limit_wait(self) -> float:
        """Seconds until Weibo's hourly window resets, from ``account/rate_limit_status`` (it costs no quota)."""
        try:
            response = await self.client.get(
                f"{self.api_base}/2/account/rate_limit_status.json",
                params={"access_token": self._token},
                timeout=self.timeout,
            )
            return max(0.0, float(response.json()["reset_time_in_seconds"]))
        except (httpx.TransportError, ValueError, KeyError, TypeError):
            return 3600 - time.time() % 3600  # the windows are clock hours

    async def lookup(self, key: str) -> Receipt | None:
        raise NotImplementedError("Weibo has no reliable way to find a shared post by our key")

    async def check(self) -> str:
        """Ask ``oauth2/get_token_info`` whose token it is and how long it has left (posts nothing)."""
        try:
            response = await self.client.post(
                f"{self.api_base}/oauth2/get_token_info", data={"access_token": self._token}, timeout=self.timeout
            )
            document = response.json()
        except httpx.TransportError as exc:
            raise raise_for_transport(exc) from exc
        except ValueError:
            raise status_error(response, "get_token_info answered with an unreadable body") from None
        if not isinstance(document, dict) or "uid" not in document:
            error = await self._error(response, document)
            raise error if isinstance(error, ChannelError) else Permanent("get_token_info gave no uid")
        left = float(document.get("expire_in", document.get("expires_in", 0)) or 0)
        if left <= 0:
            raise CredentialsRejected(f"the access token in {self.token_env} has expired: authorise the app again")
        days = int(left // 86400)
        warning = "; renew it soon" if days < 14 else ""
        return f"token for Weibo user {document['uid']} is valid for {days} more days{warning}"
