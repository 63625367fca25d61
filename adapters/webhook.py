"""The ``webhook`` channel: POST the post as JSON to a URL, optionally signed with HMAC-SHA256.

The receiver can check ``X-Publisher-Signature: sha256=<hex>``, computed over ``<timestamp>.<body>`` with the shared
secret, where the timestamp is the ``X-Publisher-Timestamp`` header (reject old ones to stop replays). Every request
carries ``Idempotency-Key``; set ``idempotent = true`` when the receiver honours it, so that a request whose
answer was lost is resent instead of waiting for a person.
"""

from __future__ import annotations

import dataclasses
from typing import Any, ClassVar

import httpx

from adapters.base import ChannelAdapter, Limits, Payload, PostContent, Receipt
from adapters.errors import Permanent
from adapters.http import head_status, json_object, post_document, status_error
from adapters.media import checked_sources
from adapters.options import Option, max_length, timeout
from adapters.text import html_to_text, markdown_to_html

__all__ = ["WebhookAdapter"]


class WebhookAdapter(ChannelAdapter):
    kind: ClassVar[str] = "webhook"
    options: ClassVar[tuple[Option, ...]] = (
        Option(name="url", url=True, help="Where each post is POSTed as JSON.", example="https://example.org/hook"),
        Option(
            name="secret_env",
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
        max_length("The longest post accepted when it is queued (none by default)."),
    )
    limits: Limits = Limits(max_length=None, max_images=20, concurrency=16)

    def setup(self, config: dict[str, Any]) -> None:
        self.url: str = config["url"]
        self.secret: str = config["secret_env"]
        self.timeout: float = config["timeout"]
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
        document = {"key": key, "channel": self.name, **payload.data}
        response = await post_document(
            self.client, self.url, document, images=self.images, secret=self.secret, key=key, timeout=self.timeout
        )
        if response.status_code >= 300:
            raise status_error(response, response.text[:200])
        return _receipt_from(response)

    async def check(self) -> str:
        status = await head_status(self.client, self.url, self.timeout, unreachable=Permanent)
        return f"{self.url} answered HTTP {status}"


def _receipt_from(response: httpx.Response) -> Receipt:
    """Take ``id`` and ``url`` from a JSON answer if the receiver gives them."""
    document = json_object(response) or {}
    remote_id, url = document.get("id"), document.get("url")
    return Receipt(
        remote_id=str(remote_id) if remote_id is not None else None,
        url=url if isinstance(url, str) else None,
    )
