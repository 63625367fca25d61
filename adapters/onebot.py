"""The ``onebot`` channel: a QQ group through a self-hosted OneBot v11 implementation's HTTP API.

go-cqhttp, NapCat, Lagrange.OneBot and others serve ``POST {api_base}/send_group_msg``. HTTP 200 only means the
call was processed: ``status`` ("ok", "async" or "failed") and ``retcode`` say whether the message went out. The
message goes as an array of segments, so text that looks like a CQ code is never parsed as one. QQ has no
idempotency key and no way to ask whether a message landed, so a lost answer waits for a person.
"""

from __future__ import annotations

import base64
import json
from typing import Any, ClassVar

import httpx

from adapters.base import ChannelAdapter, Limits, Payload, PostContent, Receipt
from adapters.errors import CredentialsRejected, Permanent, Retryable, Uncertain
from adapters.http import json_object, raise_for_transport, status_error
from adapters.options import REQUIRED, Option, api_base, timeout
from adapters.text import plain_text

__all__ = ["OneBotAdapter"]

_MEANINGS = {1400: "(bad request)", 1404: "(the implementation does not offer this action)"}


def _group_number(value: int) -> int:
    if value <= 0:
        raise ValueError(f"must be the QQ group number, got {value!r}")
    return value


class OneBotAdapter(ChannelAdapter):
    kind: ClassVar[str] = "onebot"
    options: ClassVar[tuple[Option, ...]] = (
        # self-hosted: there is no default address
        api_base(
            REQUIRED,
            help="Where the implementation's HTTP API listens (its `http` server, port 5700 in the spec's example). "
            "There is no default: the implementation runs on your own machine.",
            example="http://127.0.0.1:5700",
        ),
        Option(
            name="group_id",
            type=int,
            check=_group_number,
            help="The QQ group number to post to; the logged-in QQ account must be a member allowed to speak.",
            example=123456789,
        ),
        Option(
            name="token_env",
            default=None,
            help="The environment variable holding the implementation's access token (its `access-token` / "
            '`access_token` setting), sent as "Authorization: Bearer ...". Leave it out only if the API has no token '
            "and listens on localhost. Never the token itself.",
            example="ONEBOT_TOKEN",
        ),
        timeout(),
    )
    # The spec documents no length limit and QQ publishes no send rate; one at a time keeps order and the account safe.
    limits: Limits = Limits(max_length=None, max_images=20, rate_per_minute=None, concurrency=1)

    def setup(self, config: dict[str, Any]) -> None:
        self.api_base: str = config["api_base"]
        self.group_id: int = config["group_id"]
        self._token: str = config["token_env"]
        self.timeout: float = config["timeout"]

    def render(self, post: PostContent) -> Payload:
        text = plain_text(post.body, title=post.title, link=post.link)
        segments: list[dict[str, Any]] = [{"type": "text", "data": {"text": text}}]
        return Payload(text=text, data={"group_id": self.group_id, "message": segments, "images": list(post.images)})

    async def publish(self, payload: Payload, key: str) -> Receipt:
        # pictures go as base64:// bytes read through the image source: a file:// or http:// source would make the
        # OneBot implementation open a path or fetch an address on its own machine
        segments = list(payload.data["message"])
        for ref in payload.data.get("images", ()):
            image = await self.images.load(ref)
            segments.append({"type": "image", "data": {"file": "base64://" + base64.b64encode(image.data).decode()}})
        params = {"group_id": payload.data["group_id"], "message": segments}
        document = await self._call("send_group_msg", params)
        details = {"group_id": payload.data.get("group_id"), "status": document.get("status")}
        message_id = _data(document).get("message_id")
        # "async" means queued by the implementation: accepted, but no message id yet
        return Receipt(remote_id=str(message_id) if message_id is not None else None, details=details)

    async def lookup(self, key: str) -> Receipt | None:
        raise NotImplementedError("OneBot v11 cannot look a message up by the sender's key")

    async def check(self) -> str:
        try:
            login = await self._call("get_login_info", {})
            group = await self._call("get_group_info", {"group_id": self.group_id})
        except Uncertain as exc:
            raise Retryable(f"no usable answer from {self.api_base}: {exc.reason}") from exc
        account, info = _data(login), _data(group)
        return (
            f"logged in as {account.get('nickname', '?')} ({account.get('user_id', '?')}); "
            f"group {self.group_id} is {info.get('group_name', '?')!r}"
        )

    async def _call(self, action: str, params: dict[str, Any]) -> dict[str, Any]:
        """Run one OneBot action; return the whole answer when ``status`` is "ok" or "async"."""
        headers = {"Content-Type": "application/json"}
        if self._token:
            headers["Authorization"] = f"Bearer {self._token}"
        body = json.dumps(params, ensure_ascii=False).encode()
        try:
            response = await self.client.post(
                f"{self.api_base}/{action}", content=body, headers=headers, timeout=self.timeout
            )
        except httpx.TransportError as exc:
            raise raise_for_transport(exc) from exc
        if response.status_code in (401, 403):
            raise _auth_error(response.status_code + 1000)
        if response.status_code != 200:
            raise status_error(response, f"{action}: {response.text[:200]}")
        document = json_object(response)
        if document is None:
            raise Uncertain(f"{action} answered 200 with a body that is not JSON; the message may have been sent")
        status, retcode = document.get("status"), document.get("retcode")
        if status in ("ok", "async"):
            return document
        if retcode in (1401, 1403):  # the WebSocket form of HTTP 401/403, which some implementations use
            raise _auth_error(retcode)
        if status == "failed":
            said = document.get("wording") or document.get("msg") or document.get("message") or ""
            meaning = _MEANINGS.get(retcode, said) if isinstance(retcode, int) else said
            raise Permanent(f"{action} failed: retcode {retcode} {meaning}".strip())
        raise Uncertain(f"{action} answered with an unknown status {status!r}; the message may have been sent")


def _data(answer: dict[str, Any]) -> dict[str, Any]:
    data = answer.get("data")
    return data if isinstance(data, dict) else {}


def _auth_error(retcode: int) -> CredentialsRejected:
    if retcode == 1401:
        return CredentialsRejected("the OneBot server wants an access token: set token_env")
    return CredentialsRejected("the OneBot server refused the access token in token_env")
