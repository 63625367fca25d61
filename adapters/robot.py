"""What the chat-robot channels (``wecom``, ``dingtalk``, ``feishu``) share: sending to a group robot's webhook.

Each robot takes a JSON POST and answers with a numeric code, 0 for success; the codes and field names differ. None
returns a message id or takes an idempotency key, so a lost answer waits for a person; and none has a read-only call,
so ``check`` sends an empty object, which the robot refuses as a message only after it has checked the credentials.
``RobotAdapter`` holds that request-and-answer logic; a platform module adds its options, rendering, address and
signing (``_target``), and its reading of the error codes (``_error``).
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
from collections.abc import Callable, Mapping
from typing import Any, ClassVar
from urllib.parse import parse_qs, urlsplit

import httpx

from adapters.base import ChannelAdapter, Idempotency, Payload, Receipt
from adapters.errors import AdapterConfigError, ChannelError, Permanent, Retryable, Uncertain
from adapters.http import json_object, raise_for_transport, status_error
from adapters.options import Option, api_base, timeout

__all__ = ["RobotAdapter", "hmac_sha256_base64", "robot_options", "signing_secret", "split_webhook"]


def split_webhook(value: str, param: str, key: str) -> tuple[str, str | None]:
    """The credential inside a webhook address (``?param=`` or the last path segment) and the address's origin.

    ``value`` may also be the bare credential. Error messages never repeat the value: it is a secret.
    """
    if not value.startswith(("http://", "https://")):
        if not value.strip() or any(ch.isspace() for ch in value):
            raise AdapterConfigError(key, "the environment variable holds no usable key (empty or with spaces)")
        return value, None
    parts = urlsplit(value)
    found = parse_qs(parts.query).get(param, [""])[0] if param else parts.path.rstrip("/").rsplit("/", 1)[-1]
    if not found:
        where = f"{param}= parameter" if param else "token at the end of its path"
        raise AdapterConfigError(key, f"the webhook address in the environment variable has no {where}")
    return found, f"{parts.scheme}://{parts.netloc}"


def hmac_sha256_base64(key: str, message: str) -> str:
    """base64(HMAC-SHA256(key, message)): how DingTalk and Feishu sign, each with its own key and message."""
    return base64.b64encode(hmac.new(key.encode(), message.encode(), hashlib.sha256).digest()).decode()


def signing_secret(help: str, example: str, check: Callable[[str], str] | None = None) -> Option:
    """The optional ``secret_env`` option of a robot that signs its requests."""
    return Option(name="secret_env", default=None, check=check, help=help, example=example)


def robot_options(
    platform: str,
    webhook: str,
    credential: str,
    extra: tuple[Option, ...],
    default_base: str,
    link_help: str,
    base_note: str = "",
) -> tuple[Option, ...]:
    """``webhook_env``, then ``extra``, then ``link_text``, ``timeout`` and ``api_base``: what every group robot
    takes. ``webhook`` shows the address and ``credential`` names the part of it that may be given alone;
    ``base_note`` is said of ``api_base`` after "taken from the webhook address when it is a whole address"."""
    webhook_help = (
        f"The environment variable holding the robot's webhook address as {platform} shows it ({webhook}) or just "
        f"{credential}. Never the address itself."
    )
    base_help = (
        f"Where the API lives ({default_base}). Taken from the webhook address when it is a whole address"
        f"{base_note}; change it only to point at a test stand-in."
    )
    return (
        Option(name="webhook_env", help=webhook_help, example=f"{platform.upper()}_WEBHOOK"),
        *extra,
        Option(name="link_text", default="阅读全文", help=link_help),
        timeout(),
        api_base(None, help=base_help, example=default_base, commented=True),
    )


class RobotAdapter(ChannelAdapter):
    """A group robot behind a webhook; a platform subclass supplies ``_target``, ``_error`` and the facts below."""

    idempotency: Idempotency = "none"
    type_field: ClassVar[str] = "msgtype"  # the payload's message-type field, kept in the receipt
    code_fields: ClassVar[tuple[str, ...]] = ("errcode",)  # where the answer's code is (the first field present)
    message_fields: ClassVar[tuple[str, ...]] = ("errmsg",)  # where the answer's message is
    robot: ClassVar[str] = "robot"  # the platform's word for it
    credential: ClassVar[str]  # what a check proves accepted: "access token", "webhook key"
    refusal: ClassVar[str] = ""  # said before the refusal of the check's empty message
    timeout: float
    _secret: str = ""  # the signing secret (``secret_env``), if the robot has one

    #: the webhook address's query parameter holding the credential ("" for the last path segment)
    webhook_param: ClassVar[str] = ""
    default_base: ClassVar[str]

    def setup(self, config: dict[str, Any]) -> None:
        self.link_text: str = config["link_text"]
        self.webhook_var = str(self._given["webhook_env"])
        self._token, origin = split_webhook(config["webhook_env"], self.webhook_param, "webhook_env")
        self.api_base: str = config["api_base"] or origin or self.default_base
        self.timeout = config["timeout"]
        self._secret = config.get("secret_env") or ""

    def _target(self, body: dict[str, Any]) -> tuple[str, Mapping[str, str] | None, dict[str, Any]]:
        """The address, query parameters and (signed) body of a request carrying ``body``."""
        raise NotImplementedError

    def _error(self, code: int, message: str) -> ChannelError:
        """The error for the robot's answer ``code`` (not 0) and its message."""
        raise NotImplementedError

    def _scrub(self, text: str) -> str:
        """``text`` with the secrets masked (the robot may echo its address)."""
        for secret in (self._token, self._secret):
            if secret:
                text = text.replace(secret, "***")
        return text

    async def publish(self, payload: Payload, key: str) -> Receipt:
        await self._send(dict(payload.data))
        return Receipt(details={self.type_field: payload.data.get(self.type_field)})

    async def check(self) -> str:
        # No read-only call exists. An empty object cannot become a message, but the credentials are checked first.
        try:
            await self._send({})
        except Uncertain as exc:
            raise Retryable(f"no usable answer to the check: {exc.reason}") from exc
        except Permanent as exc:
            signed = " and signature" if self._secret else ""
            return f"{self.credential}{signed} accepted ({self.refusal}{exc.reason}); nothing was posted"
        return f"{self.credential} accepted; nothing was posted"

    async def _send(self, body: dict[str, Any]) -> None:
        url, params, body = self._target(body)
        try:
            response = await self.client.post(
                url,
                params=params,
                content=json.dumps(body, ensure_ascii=False).encode(),
                headers={"Content-Type": "application/json; charset=utf-8"},
                timeout=self.timeout,
            )
        except httpx.TransportError as exc:
            raise raise_for_transport(exc) from exc
        document = json_object(response)
        code = _first(document, self.code_fields, None) if document is not None else None
        if isinstance(code, int) and code != 0:
            raise self._error(code, str(_first(document, self.message_fields, "")) if document else "")
        if response.status_code != 200:
            raise status_error(response, self._scrub(response.text[:200]))
        if code != 0:
            raise Uncertain(f"HTTP 200 without the {self.robot}'s JSON answer; the message may have been posted")


def _first(document: Mapping[str, Any], fields: tuple[str, ...], default: Any) -> Any:
    """The value of the first of ``fields`` that ``document`` has (``document.get(a, document.get(b, default))``)."""
    return next((document[field] for field in fields if field in document), default)
