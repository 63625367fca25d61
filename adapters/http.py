"""Reading a platform's HTTP answer: JSON bodies, Retry-After, transport failures and error statuses as the
errors of ``adapters.errors``, with no secret of the request in the reason; and the signed JSON requests of the two
webhook channels (``webhook``, ``cms_webhook``)."""

from __future__ import annotations

import hashlib
import hmac
import html
import json
import re
import time
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from typing import Any

import httpx

from adapters.errors import ChannelError, CredentialsRejected, Permanent, Retryable, Uncertain
from adapters.media import ImageSource, inline_images, is_media_ref

__all__ = [
    "head_status",
    "json_object",
    "parse_retry_after",
    "post_document",
    "raise_for_transport",
    "sign",
    "signed_headers",
    "status_error",
    "summarise",
]


def json_object(response: httpx.Response) -> dict[str, Any] | None:
    """The response's body if it is a JSON object; None if it is not JSON or not an object."""
    try:
        document = response.json()
    except ValueError:
        return None
    return document if isinstance(document, dict) else None


def sign(secret: str, timestamp: str, body: bytes) -> str:
    """The ``X-Publisher-Signature`` value for ``body`` sent at ``timestamp`` (``webhook`` and ``cms_webhook``)."""
    mac = hmac.new(secret.encode(), timestamp.encode() + b"." + body, hashlib.sha256)
    return "sha256=" + mac.hexdigest()


def signed_headers(secret: str, signed: bytes, key: str) -> dict[str, str]:
    """``Idempotency-Key``, and with a ``secret`` the ``X-Publisher-Timestamp`` and ``-Signature`` of ``signed``."""
    headers = {"Idempotency-Key": key}
    if secret:
        timestamp = str(int(time.time()))
        headers["X-Publisher-Timestamp"] = timestamp
        headers["X-Publisher-Signature"] = sign(secret, timestamp, signed)
    return headers


async def post_document(
    client: httpx.AsyncClient,
    url: str,
    document: dict[str, Any],
    *,
    images: ImageSource,
    secret: str,
    key: str,
    timeout: float,
) -> httpx.Response:
    """POST ``document`` as JSON, signed with ``secret`` if there is one, its uploaded images (``media:`` among
    ``document["images"]``) read through ``images`` and inlined as ``image_files``."""
    if any(is_media_ref(image) for image in document.get("images", ())):
        document = {**document, "image_files": await inline_images(images, document["images"])}
    body = json.dumps(document, ensure_ascii=False).encode()
    headers = {"Content-Type": "application/json; charset=utf-8", **signed_headers(secret, body, key)}
    try:
        return await client.post(url, content=body, headers=headers, timeout=timeout)
    except httpx.TransportError as exc:
        raise raise_for_transport(exc) from exc


async def head_status(
    client: httpx.AsyncClient, url: str, timeout: float, *, unreachable: type[Permanent | Retryable]
) -> int:
    """The status of a HEAD request to a receiver's ``url``: that something answers there. A receiver out of reach
    raises ``unreachable``; a server error is no working receiver either."""
    try:
        response = await client.head(url, timeout=timeout)
    except httpx.TransportError as exc:
        raise unreachable(f"cannot reach {url}: {type(exc).__name__}") from exc
    if response.status_code >= 500:
        raise status_error(response, f"{url} answered {response.reason_phrase or 'a server error'}")
    return response.status_code


def parse_retry_after(value: str | None) -> float | None:
    """Seconds to wait from a ``Retry-After`` header (delta-seconds or an HTTP date), or None."""
    if not value:
        return None
    value = value.strip()
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    return max(0.0, (when - datetime.now(UTC)).total_seconds())


def raise_for_transport(exc: httpx.TransportError) -> ChannelError:
    """Classify a transport failure by whether the request can have reached the platform.

    Failing to connect means nothing was sent: retry. A timeout or a broken connection after the request went out
    means the platform may have acted on it: uncertain.
    """
    where, full = _address(exc)
    # the message ("[Errno 111] Connection refused") says why; the full URL may hold a token, so never that
    said = str(exc).replace(full, where) if full else str(exc)
    cause = f"{type(exc).__name__}: {said}" if said else type(exc).__name__
    if isinstance(exc, httpx.ConnectError | httpx.ConnectTimeout | httpx.PoolTimeout):
        return Retryable(f"could not connect to {where}: {cause}")
    if isinstance(exc, httpx.WriteTimeout | httpx.WriteError):
        return Retryable(f"the request to {where} could not be sent whole: {cause}")
    return Uncertain(f"no answer from {where} after the request was sent: {cause}")


def _address(exc: httpx.TransportError) -> tuple[str, str]:
    """Scheme, host and port of the failed request (never its path or query, which may hold a token or numbers),
    and the full URL to keep out of the message."""
    try:
        url = exc.request.url
    except RuntimeError:  # raised without a request (a hand-made exception)
        return "the platform", ""
    port = f":{url.port}" if url.port is not None else ""
    return f"{url.scheme}://{url.host}{port}", str(url)


_HTML_START = re.compile(r"<(?:!doctype|html|head|body|title)\b", re.IGNORECASE)
_TITLE = re.compile(r"<title[^>]*>(.*?)(?:</title>|$)", re.IGNORECASE | re.DOTALL)  # the caller may have cut it
_NOT_SHOWN = re.compile(r"<(script|style)\b.*?</\1\s*>|<!--.*?-->", re.IGNORECASE | re.DOTALL)
_TAG = re.compile(r"<[^>]*>?")
SUMMARY_LENGTH = 80  # characters of an error page kept in a reason


def summarise(text: str, limit: int = SUMMARY_LENGTH) -> str:
    """``text`` fit for a reason: an HTML page becomes its title (or first text), and no more than ``limit``.

    A proxy's or a platform's error page would otherwise fill the delivery's reason and the log with markup.
    """
    found = _HTML_START.search(text)
    if found is None:
        return text
    before, page = text[: found.start()].rstrip(), text[found.start() :]
    title = _TITLE.search(page)
    words = title.group(1) if title else _TAG.sub(" ", _NOT_SHOWN.sub(" ", page))
    words = " ".join(html.unescape(_TAG.sub(" ", words)).split()) or "an HTML page"
    if len(words) > limit:
        words = words[: limit - 1] + "…"
    return f"{before} (HTML page: {words})" if before else f"HTML page: {words}"


def status_error(response: httpx.Response, reason: str) -> ChannelError:
    """The usual reading of an HTTP error status, for platforms with no error shape of their own."""
    status = response.status_code
    reason = summarise(reason)  # callers pass the body's start: an HTML error page is cut to its title
    if status == 429:
        return Retryable(f"rate limited: {reason}", after=parse_retry_after(response.headers.get("Retry-After")))
    if status == 503:
        return Retryable(f"service unavailable: {reason}", after=parse_retry_after(response.headers.get("Retry-After")))
    if status in (401, 403):
        return CredentialsRejected(f"HTTP {status}: the credentials were refused: {reason}")
    if status in (408, 500, 502, 504):
        # the server may have acted before failing: the post may exist
        return Uncertain(f"HTTP {status}: {reason}")
    return Permanent(f"HTTP {status}: {reason}")
