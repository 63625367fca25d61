"""The ``cms_webhook`` channel: an article for a website whose CMS takes a signed JSON webhook.

The body is ``{"key", "channel", "title", "html", "excerpt", "slug", "tags", "images", "link", "author"}``; the
receiver answers ``{"id": ..., "url": ...}``. Requests are signed like the ``webhook`` channel's
(``X-Publisher-Signature: sha256=<hex>`` over ``<timestamp>.<body>``) when ``secret_env`` is set. With
``lookup_url`` the receiver lets us ask whether a key was already published (``GET lookup_url?key=...``: 200 with
``{"id", "url"}``, or 404), and a request whose answer was lost is looked up before it is sent again.
"""

from __future__ import annotations

from typing import Any, ClassVar

import httpx

from adapters.article import article, slug_for
from adapters.base import Capabilities, ChannelAdapter, Limits, Payload, PostContent, Receipt
from adapters.errors import ChannelError, CredentialsRejected, Retryable, Uncertain
from adapters.http import head_status, json_object, post_document, signed_headers, status_error
from adapters.media import checked_sources
from adapters.options import Option, timeout

__all__ = ["CmsWebhookAdapter"]


class CmsWebhookAdapter(ChannelAdapter):
    kind: ClassVar[str] = "cms_webhook"
    options: ClassVar[tuple[Option, ...]] = (
        Option(
            name="url",
            url=True,
            help="Where the articles are POSTed.",
            example="https://cms.example.org/api/publisher/articles",
        ),
        Option(
            name="secret_env",
            default=None,
            help="The environment variable holding the shared signing secret. Requests then carry "
            'X-Publisher-Timestamp and X-Publisher-Signature: sha256=HMAC-SHA256(secret, "<timestamp>.<body>"), as '
            "the plain webhook channel does. Leave it out for an unsigned hook.",
            example="CMS_WEBHOOK_SECRET",
        ),
        Option(
            name="lookup_url",
            url=True,
            default=None,
            help="Where to ask whether a key was already published, as GET lookup_url?key=<key>, answered 200 with "
            '{"id", "url"} or 404. With it, a send whose answer was lost is looked up and resent only if absent; '
            "without it, such a send waits for a person to check.",
            example="https://cms.example.org/api/publisher/articles/by-key",
        ),
        timeout(),
    )
    capabilities: Capabilities = Capabilities(articles=True)  # the post's other deliveries carry its link
    limits: Limits = Limits(max_length=None, max_images=20, concurrency=4)

    def setup(self, config: dict[str, Any]) -> None:
        self.url: str = config["url"]
        self.lookup_url: str = config["lookup_url"] or ""
        if self.lookup_url:
            self.idempotency = "lookup"
            self.capabilities = Capabilities(articles=True, lookup=True)
        self._secret: str = config["secret_env"]
        self.timeout: float = config["timeout"]

    def render(self, post: PostContent) -> Payload:
        checked_sources(post.images, self.kind)  # a path is refused, not passed on
        data = {**article(post), "link": post.link, "author": post.author}
        return Payload(text=f"{post.title}\n\n{post.body}", data=data)

    async def publish(self, payload: Payload, key: str) -> Receipt:
        document = {"key": key, "channel": self.name, "slug": slug_for(key), **payload.data}
        response = await post_document(
            self.client, self.url, document, images=self.images, secret=self._secret, key=key, timeout=self.timeout
        )
        if response.status_code >= 300:
            raise _error(response)
        receipt = _receipt(response)
        if receipt is None:  # it said yes but not what it made: the article probably exists
            raise Uncertain(f"the CMS answered HTTP {response.status_code} without an id: {response.text[:200]}")
        return receipt

    async def lookup(self, key: str) -> Receipt | None:
        if not self.lookup_url:
            raise NotImplementedError("no lookup_url is configured for this channel")
        # a GET carries no body: the signature covers the key instead
        headers = signed_headers(self._secret, key.encode(), key)
        try:
            response = await self.client.get(
                self.lookup_url, params={"key": key}, headers=headers, timeout=self.timeout
            )
        except httpx.TransportError as exc:
            raise Retryable(f"lookup failed: {type(exc).__name__}") from exc
        if response.status_code == 404:
            return None
        if response.status_code != 200:
            error = _error(response)
            raise Retryable(error.reason) if isinstance(error, Uncertain) else error
        return _receipt(response)

    async def check(self) -> str:
        if self.lookup_url:  # an authenticated read: a wrong secret shows here
            found = await self.lookup("publisher-check")
            return f"{self.lookup_url} answered the test key ({'found' if found else 'not found'})"
        status = await head_status(self.client, self.url, self.timeout, unreachable=Retryable)
        return f"{self.url} answered HTTP {status} (without lookup_url nothing authenticated is checked)"


def _error(response: httpx.Response) -> ChannelError:
    reason = f"the CMS answered: {response.text[:200]}"
    if response.status_code in (401, 403):  # a wrong signing secret or a revoked receiver token
        return CredentialsRejected(f"HTTP {response.status_code}: {reason}")
    return status_error(response, reason)


def _receipt(response: httpx.Response) -> Receipt | None:
    """``{"id", "url"}`` from the answer, or None when it does not hold an id."""
    document = json_object(response)
    if document is None or document.get("id") in (None, ""):
        return None
    url = document.get("url")
    return Receipt(remote_id=str(document["id"]), url=url if isinstance(url, str) else None)
