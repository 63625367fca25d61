"""The ``webhook`` channel: POST the post as JSON to a URL, optionally signed with HMAC-SHA256.

The receiver can check ``X-Publisher-Signature: sha256=<hex>``, computed over ``<timestamp>.<body>`` with the shared
secret, where the timestamp is the ``X-Publisher-Timestamp`` header (reject old ones to stop replays). Every request
carries ``Idempotency-Key``; set ``idempotent = true`` when the receiver honours it, so that a request whose
answer was lost is resent instead of waiting for a person.
"""

from __future__ import annotations

import json
import time
from collections.abc import Mapping
from typing import Any, ClassVar

import httpx

from adapters.base import (
    AdapterConfigError,
    Idempotency,
    Limits,
    Payload,
    Permanent,
    PostContent,
    Receipt,
    raise_for_transport,
    require_option,
    secret_from_env,
    sign,
    status_error,
)
from adapters.media import NO_IMAGES, ImageSource, checked_sources, inline_images, is_media_ref
from adapters.text import html_to_text, markdown_to_html

# sign (adapters.base, shared with cms_webhook) lived here; still importable from here
__all__ = ["WebhookAdapter", "sign"]


class WebhookAdapter:
    kind: ClassVar[str] = "webhook"
    limits: Limits = Limits(max_length=None, max_images=20, concurrency=16)
    idempotency: Idempotency = "none"

    def __init__(
        self,
        name: str,
        options: Mapping[str, Any],
        *,
        client: httpx.AsyncClient,
        env: Mapping[str, str],
        images: ImageSource | None = None,
    ) -> None:
        self.name = name
        self.client = client
        self.images = images or NO_IMAGES
        self.url = require_option(options, "url")
        if not self.url.startswith(("http://", "https://")):
            raise AdapterConfigError("url", f"must start with http:// or https://, got {self.url!r}")
        self.secret = secret_from_env(options, "secret_env", env, required=False)
        timeout = options.get("timeout", 10)
        if not isinstance(timeout, int | float) or timeout <= 0:
            raise AdapterConfigError("timeout", f"must be a positive number of seconds, got {timeout!r}")
        self.timeout = float(timeout)
        concurrency = options.get("concurrency")
        max_length = options.get("max_length")
        for key, value in (("concurrency", concurrency), ("max_length", max_length)):
            if value is not None and (not isinstance(value, int) or value <= 0):
                raise AdapterConfigError(key, f"must be a positive whole number, got {value!r}")
        if concurrency is not None or max_length is not None:
            self.limits = Limits(
                max_length=max_length, max_images=20, concurrency=concurrency or self.limits.concurrency
            )
        if options.get("idempotent", False) is True:
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

    async def lookup(self, key: str) -> Receipt | None:
        raise NotImplementedError("a generic webhook has no way to look a post up")

    async def check(self) -> str:
        try:
            response = await self.client.head(self.url, timeout=self.timeout)
        except httpx.TransportError as exc:
            raise Permanent(f"cannot reach {self.url}: {type(exc).__name__}") from exc
        return f"{self.url} answered HTTP {response.status_code}"

    def describe(self) -> dict[str, Any]:
        return {"kind": self.kind, "url": self.url, "signed": bool(self.secret), "timeout": self.timeout}


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
