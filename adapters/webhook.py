"""The ``webhook`` channel: POST the post as JSON to a URL, optionally signed with HMAC-SHA256.

The receiver can check ``X-Publisher-Signature: sha256=<hex>``, computed over ``<timestamp>.<body>`` with the shared
secret, where the timestamp is the ``X-Publisher-Timestamp`` header (reject old ones to stop replays). Every request
carries ``Idempotency-Key``; set ``idempotent = true`` when the receiver honours it, so that a request whose
answer was lost is resent instead of waiting for a person.
"""

from __future__ import annotations

import dataclasses
import json
import time
from typing import Any, ClassVar

import httpx

from adapters.base import ChannelAdapter, Limits, Payload, PostContent, Receipt
from adapters.errors import Permanent
from adapters.http import raise_for_transport, sign, status_error
from adapters.media import checked_sources, inline_images, is_media_ref
from adapters.options import Option, timeout
from adapters.text import html_to_text, markdown_to_html

# sign (adapters.base, shared with cms_webhook) lived here; still importable from here
__all__ = ["WebhookAdapter", "sign"]


class WebhookAdapter(ChannelAdapter):
    kind: ClassVar[str] = "webhook"
    options: ClassVar[tuple[Option, ...]] = (
        Option(name="url", url=True, help="Where each post is POSTed as JSON.", example="https://example.org/hook"),
        Option(
            name="secret_env",
            secret=True,
            default=None,
            help="Optional HMAC-SHA256 signature: the environment variable holding the shared secret.",
            example="PUBLISHER_HOOK_SECRET",
        ),
        timeout(),
        Option(
            name="idempotent",
            type=bool,
            default=False,
            help="Set to true only if your receiver drops a repeated Idempotency-Key; then a lost answer is resent "
            "safely.",
        ),
        Option(
            name="max_length",
            type=int,
            default=None,
            positive=True,
            help="The longest post accepted when it is queued (none by default).",
        ),
    )
    limits: Limits = Limits(max_length=None, max_images=20, concurrency=16)

    def setup(self, config: dict[str, Any]) -> None:
        self.url: str = config["url"]
        self.secret: str = config["secret_env"]
        self.timeout: float = config["timeout"]
        if config["max_length"] is not None:
            self.limits = dataclasses.replace(self.limits, max_length=config["max_length"])
        if config["idempotent"]:
            self.idempotency = "native"  # the receiver drops repeated Idempotency-Key values

    def render(self, post: PostContent) -> Payload:
        checked_sources(post.images, self.kind)  # a path is refused, not passed on
        html = markdown_to_html(post.body)  # once: the plain text is read off the same HTML
        data = {
            "title": post.title,
            "text": html_to_text(html),
            "markdown": post.body,
            "html": html,
            "link": post.link,
            "images": list(post.images),
            "tags": list(post.tags),
            "author": post.author,
            "campaign": post.campaign,
        }
        return Payload(text=f"{post.title}\n\n{post.body}", data=data)

    async def publish(self, payload: Payload, key: str) -> Receipt:
        document: dict[str, Any] = {"key": key, "channel": self.name, **payload.data}
        if any(is_media_ref(image) for image in payload.data.get("images", ())):
            document["image_files"] = await inline_images(self.images, payload.data["images"])
        body = json.dumps(document, ensure_ascii=False).encode()
        headers = {"Content-Type": "application/json; charset=utf-8", "Idempotency-Key": key}
        if self.secret:
            timestamp = str(int(time.time()))
            headers["X-Publisher-Timestamp"] = timestamp
            headers["X-Publisher-Signature"] = sign(self.secret, timestamp, body)
        try:
            response = await self.client.post(self.url, content=body, headers=headers, timeout=self.timeout)
        except httpx.TransportError as exc:
            raise raise_for_transport(exc) from exc
        if response.status_code >= 300:
            raise status_error(response, response.text[:200])
        return _receipt_from(response)

    async def check(self) -> str:
        try:
            response = await self.client.head(self.url, timeout=self.timeout)
        except httpx.TransportError as exc:
            raise Permanent(f"cannot reach {self.url}: {type(exc).__name__}") from exc
        if response.status_code >= 500:  # reachable, but a server error is no working receiver
            raise status_error(response, f"{self.url} answered {response.reason_phrase or 'a server error'}")
        return f"{self.url} answered HTTP {response.status_code}"


def _receipt_from(response: httpx.Response) -> Receipt:
    """Take ``id`` and ``url`` from a JSON answer if the receiver gives them."""
    try:
        document = response.json()
    except ValueError:
        return Receipt()
    if not isinstance(document, dict):
        return Receipt()
    remote_id, url = document.get("id"), document.get("url")
    return Receipt(
        remote_id=str(remote_id) if remote_id is not None else None,
        url=url if isinstance(url, str) else None,
    )
