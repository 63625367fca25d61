"""The ``sms_aliyun`` channel: template SMS through Alibaba Cloud SMS (Dysmsapi ``SendSms``, API 2017-05-25).

Requests carry Alibaba's V3 signature (ACS3-HMAC-SHA256) rather than the older RPC HMAC-SHA1 one: V3 is what the
current official SDKs send by default and what Alibaba's documentation asks callers to move to; it uses SHA-256,
binds the body hash and the ``x-acs-*`` headers; and it encodes the query once, where the old method's double
percent-encoding is the usual cause of ``SignatureDoesNotMatch``. Parameters go in the query string, as the SDK
sends them. ``SendSms`` answers once for a whole batch (one ``BizId``), so a batch's result is each of its
numbers' result.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import re
import time
import uuid
from collections.abc import Mapping, Sequence
from typing import Any, ClassVar
from urllib.parse import quote

import httpx

from adapters.base import Limits, Payload
from adapters.errors import ChannelError, Retryable, Uncertain
from adapters.http import status_error
from adapters.options import Option, api_base
from adapters.sms_common import (
    FAILED,
    LIMITED,
    NAMED,
    PARAM_SOURCES,
    SENT,
    NumberResult,
    RequestRefused,
    Rule,
    TemplateSmsAdapter,
    api_key,
    identifier,
    known_error,
    scrub,
    sms_limits,
    sms_options,
)

__all__ = ["SmsAliyunAdapter", "authorization", "canonical_query"]

API_VERSION = "2017-05-25"
_EMPTY_SHA256 = hashlib.sha256(b"").hexdigest()

_CREDENTIAL_CODES = (
    "InvalidAccessKeyId",  # .NotFound, .Inactive
    "SignatureDoesNotMatch",
    "IncompleteSignature",
    "InvalidTimeStamp",  # our clock is off: every request would fail the same way
    "InvalidSecurityToken",
    "Forbidden.AccessKey",
    "isp.RAM_PERMISSION_DENY",
    "isv.ACCOUNT_NOT_EXISTS",
    "isv.ACCOUNT_ABNORMAL",
    "isv.PRODUCT_UN_SUBSCRIPT",
    "isv.PRODUCT_UNSUBSCRIBE",
)
#: refusals that pass with time, and how long to wait (seconds)
_RETRY_AFTER = {
    "Throttling": 1.0,
    "SignatureNonceUsed": 0.0,
    "ServiceUnavailable": 5.0,
    "isv.DAY_LIMIT_CONTROL": 3600.0,  # the account's daily cap set in the console
    "isv.MONTH_LIMIT_CONTROL": 86400.0,
    "isv.OUT_OF_SERVICE": 600.0,  # balance exhausted: retry once someone tops it up
    "isv.AMOUNT_NOT_ENOUGH": 600.0,
}
#: codes that concern the batch's numbers rather than the request
_NUMBER_CODES = ("isv.MOBILE_NUMBER_ILLEGAL", "isv.BLACK_KEY_CONTROL_LIMIT")


def percent_encode(value: str) -> str:
    """RFC 3986: only ``A-Z a-z 0-9 - _ . ~`` stay as they are (space is %20, ``*`` is %2A)."""
    return quote(value, safe="~")


def canonical_query(query: Mapping[str, str]) -> str:
    return "&".join(f"{percent_encode(k)}={percent_encode(v)}" for k, v in sorted(query.items()))


def authorization(
    *, method: str, host: str, query: Mapping[str, str], headers: Mapping[str, str], secret: str, key_id: str
) -> str:
    """The ``Authorization`` value of a V3 request; ``headers`` are the ``x-acs-*`` ones (content hash included)."""
    signed = {"host": host, **{name.lower(): value.strip() for name, value in headers.items()}}
    names = sorted(signed)
    canonical = "\n".join(
        [
            method,
            "/",  # RPC-style APIs use the root path
            canonical_query(query),
            "".join(f"{name}:{signed[name]}\n" for name in names),
            ";".join(names),
            signed["x-acs-content-sha256"],
        ]
    )
    to_sign = "ACS3-HMAC-SHA256\n" + hashlib.sha256(canonical.encode()).hexdigest()
    signature = hmac.new(secret.encode(), to_sign.encode(), hashlib.sha256).hexdigest()
    return f"ACS3-HMAC-SHA256 Credential={key_id},SignedHeaders={';'.join(names)},Signature={signature}"


def _limit_wait(message: str) -> float:
    """isv.BUSINESS_LIMIT_CONTROL says which window was hit: 触发分钟级/小时级/天级流控."""
    return 86400.0 if "天" in message else 3600.0 if "小时" in message else 60.0


class SmsAliyunAdapter(TemplateSmsAdapter):
    kind: ClassVar[str] = "sms_aliyun"
    limits: Limits = sms_limits(300_000)  # SendSms allows 5000 requests a second
    template_key: ClassVar[str] = "template_code"
    key_id_name: ClassVar[str] = "access_key_id"
    placeholder: ClassVar[re.Pattern[str]] = NAMED
    options: ClassVar[tuple[Option, ...]] = sms_options(
        platform="Alibaba",
        variables="${name}",
        template=identifier(
            "template_code", "The approved template's code (模板CODE), e.g. SMS_465001234.", "SMS_465001234"
        ),
        params=Option(
            name="params",
            type=dict,
            default={},
            help=f"Where each ${{variable}} of the template gets its value: {PARAM_SOURCES}",
            example={"title": "title", "event_date": "event_date"},
        ),
        param_length=35,  # "单个变量的长度限制为1~35个字符"
        max_batch=1000,
        # notifications: same signature, template and number, 50 in any 24 hours
        rules=(Rule(50, 86400.0),),
        api=api_base("https://dysmsapi.aliyuncs.com"),
        own=api_key(
            {
                "access_key_id_env": "the RAM user's AccessKey ID",
                "access_key_secret_env": "the RAM user's AccessKey secret",
            },
            "; give that user only the AliyunDysmsFullAccess policy, or a custom one with dysms:SendSms and "
            "dysms:GetSmsTemplate.",
            "ALIYUN_SMS_",
        ),
        notes={
            "max_param_length": "Alibaba allows 1 to 35 characters per variable.",
            "frequency_limits": "The default is Alibaba's rule for notification SMS: 50 a day per number for the same "
            "signature and template. Verification-code templates have 1 a minute, 5 an hour, 10 a day: "
            "`[{count = 1, seconds = 60}, {count = 5, seconds = 3600}, {count = 10, seconds = 86400}]`.",
            "timeout": "Alibaba recommends at least 1.",
        },
        examples={
            "recipients": ["parents"],
            "template_text": "${title}将于${event_date}举行,详见学校官网。",
        },
    )

    def _configure(self, config: Mapping[str, Any]) -> None:
        self.key_id: str = config["access_key_id_env"]
        self._secret: str = config["access_key_secret_env"]

    def _limiter_scope(self) -> tuple[str, ...]:
        return (self.kind, self.key_id, self.template.sign_name, self.template_id)

    async def _call(self, action: str, query: dict[str, str]) -> tuple[httpx.Response, dict[str, Any]]:
        headers = {
            "x-acs-action": action,
            "x-acs-version": API_VERSION,
            "x-acs-date": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
            "x-acs-signature-nonce": uuid.uuid4().hex,
            "x-acs-content-sha256": _EMPTY_SHA256,  # the body stays empty
        }
        signature = authorization(
            method="POST", host=self.host, query=query, headers=headers, secret=self._secret, key_id=self.key_id
        )
        headers.update({"Authorization": signature, "Host": self.host, "Accept": "application/json"})
        response = await self.post(f"{self.api_base}/?{canonical_query(query)}", headers=headers)
        try:
            document = response.json()
        except ValueError:
            document = None
        if not isinstance(document, dict) or not isinstance(document.get("Code"), str):
            if response.status_code < 300:
                raise Uncertain(f"HTTP {response.status_code} with an answer that is not the JSON expected")
            raise status_error(response, scrub(response.text[:200]))
        return response, document

    def _error(self, response: httpx.Response, code: str, message: str) -> ChannelError:
        reason = f"{code}: {scrub(message)}"
        known = known_error(code, reason, _CREDENTIAL_CODES, _RETRY_AFTER)
        if known is not None:
            return known
        if response.status_code >= 500 or response.status_code == 429:
            return status_error(response, reason)
        if code.startswith(("isp.", "InternalError", "UnknownError")):
            return Uncertain(reason)  # the platform failed inside: the message may be on its way
        return RequestRefused(code, message)

    async def _send_batch(
        self, numbers: Sequence[str], payload: Payload, key: str
    ) -> tuple[str | None, dict[str, NumberResult]]:
        query = {
            # mainland numbers go as 11 digits; others as country code and number, without "+"
            "PhoneNumbers": ",".join(n[3:] if n.startswith("+86") else n[1:] for n in numbers),
            "SignName": self.template.sign_name,
            "TemplateCode": self.template_id,
            "OutId": key[:255],  # comes back in delivery receipts; it does not deduplicate
        }
        values = self.variables(payload)
        if values:
            query["TemplateParam"] = json.dumps(dict(values), ensure_ascii=False)
        response, document = await self._call("SendSms", query)
        code, message = document["Code"], str(document.get("Message", ""))
        if code == "OK":
            biz_id = str(document.get("BizId") or "") or None
            return biz_id, {n: NumberResult(SENT, code, remote_id=biz_id) for n in numbers}
        if code == "isv.BUSINESS_LIMIT_CONTROL":
            after = _limit_wait(message)
            return None, {n: NumberResult(LIMITED, code, after=after, note=scrub(message)) for n in numbers}
        if code in _NUMBER_CODES:
            return None, {n: NumberResult(FAILED, code, note=scrub(message)) for n in numbers}
        raise self._error(response, code, message)

    async def check(self) -> str:
        """Read the template with GetSmsTemplate: proves the key, and that ``template_text`` is the approved one."""
        try:
            response, document = await self._call("GetSmsTemplate", {"TemplateCode": self.template_id})
        except Uncertain as exc:
            raise Retryable(exc.reason) from None
        code, message = document["Code"], str(document.get("Message", ""))
        if code != "OK":
            error = self._error(response, code, message)
            raise Retryable(error.reason) if isinstance(error, Uncertain) else error
        status = str(document.get("TemplateStatus", "?"))
        state = {"0": "under review", "1": "approved", "2": "rejected"}.get(status, f"status {status}")
        return self.checked(document.get("TemplateContent"), state)
