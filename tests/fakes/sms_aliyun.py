"""A stand-in for Alibaba Cloud SMS (Dysmsapi 2017-05-25): ``SendSms`` and ``GetSmsTemplate`` on ``/``.

It checks requests from the published rules, not from the adapter's code: the V3 signature (ACS3-HMAC-SHA256)
recomputed from the received query, headers and body; the ``x-acs-date`` skew (15 minutes) and nonce reuse;
approved signatures and templates; TemplateParam as a JSON object of strings, every variable present, at most 35
characters, no links; at most 1000 numbers; and the per-number limit for one signature and template (50 in 24
hours by default), answered as ``isv.BUSINESS_LIMIT_CONTROL``. Business errors come with HTTP 200, signature and
key errors with 4xx, as the platform sends them. No idempotency: a repeated request sends again.
"""

from __future__ import annotations

import calendar
import hashlib
import hmac
import json
import re
import secrets
import time
import uuid
from typing import Any, ClassVar
from urllib.parse import quote

from aiohttp import web

from tests.fakes.sms import NUMBERS, SmsStandIn

__all__ = ["FakeAliyunSms", "expected_signature"]

_AUTH = re.compile(r"ACS3-HMAC-SHA256 Credential=([^,]+),SignedHeaders=([^,]+),Signature=([0-9a-f]{64})")
_VARIABLE = re.compile(r"\$\{(\w+)\}")
_LINK = re.compile(r"(?i)https?://|www\.|\b\w+\.(?:com|cn|net|org)\b")
_NUMBER = re.compile(r"(?:\+|00)?(?:86)?(1[3-9]\d{9})|(?:\+|00)?([1-9]\d{6,14})")
_PRE_FAULTS = {
    "rate_limit": (200, "isv.BUSINESS_LIMIT_CONTROL", "触发分钟级流控Permits:1"),
    "server_error": (500, "InternalError", "The request processing has failed due to some unknown error."),
    "unavailable": (503, "ServiceUnavailable", "The request has failed due to a temporary failure of the server."),
    "auth": (404, "InvalidAccessKeyId.NotFound", "Specified access key is not found."),
}


def expected_signature(
    method: str, query: dict[str, str], headers: dict[str, str], names: list[str], secret: str
) -> str:
    """The V3 signature per Alibaba's "V3 request structure and signature" page."""

    def encode(text: str) -> str:
        return quote(text, safe="-_.~")  # RFC 3986: unreserved characters stay, the rest is %XX

    canonical_query = "&".join(f"{encode(k)}={encode(v)}" for k, v in sorted(query.items()))
    canonical_headers = "".join(f"{name}:{headers[name].strip()}\n" for name in names)
    request = "\n".join(
        [method, "/", canonical_query, canonical_headers, ";".join(names), headers["x-acs-content-sha256"]]
    )
    string_to_sign = "ACS3-HMAC-SHA256\n" + hashlib.sha256(request.encode()).hexdigest()
    return hmac.new(secret.encode(), string_to_sign.encode(), hashlib.sha256).hexdigest()


class FakeAliyunSms(SmsStandIn):
    kind = "sms_aliyun"
    fault_after: ClassVar[dict[str, float]] = {"rate_limit": 60.0, "unavailable": 5.0}

    def __init__(
        self,
        *,
        sign_names: tuple[str, ...] = ("青禾学校",),
        templates: dict[str, str] | None = None,
        numbers: tuple[str, ...] = NUMBERS,
        limit: tuple[int, float] = (50, 86400.0),
        clock_offset: float = 0.0,
    ) -> None:
        templates = templates or {"SMS_465001234": "${title}将于${date}举行,详见学校官网。"}
        super().__init__(templates=templates, numbers=numbers, clock_offset=clock_offset)
        self.key_id = "LTAI" + secrets.token_hex(8)  # fresh per stand-in, so limiters never meet across tests
        self.secret = secrets.token_urlsafe(24)
        self.sign_names = sign_names
        self.limit = limit
        self._nonces: set[str] = set()
        self._sent: dict[tuple[str, str, str], list[float]] = {}

    def channel_options(self, base_url: str) -> tuple[dict[str, Any], dict[str, str]]:
        options = {
            **self.first_template(base_url, "template_code"),
            "access_key_id_env": "ALIYUN_SMS_KEY_ID",
            "access_key_secret_env": "ALIYUN_SMS_KEY_SECRET",
            "sign_name": self.sign_names[0],
        }
        # the variables are named after the post fields they take
        options["params"] = {name: name for name in _VARIABLE.findall(options["template_text"])}
        return options, {"ALIYUN_SMS_KEY_ID": self.key_id, "ALIYUN_SMS_KEY_SECRET": self.secret}

    # --- the platform ------------------------------------------------------------------------------------------

    async def handle(self, request: web.Request) -> web.StreamResponse:
        fault = self.next_fault()
        if fault in _PRE_FAULTS:
            return _error(*_PRE_FAULTS[fault])
        body = await request.read()
        params = dict(request.query)
        if request.content_type == "application/x-www-form-urlencoded":
            params.update({k: str(v) for k, v in (await request.post()).items()})
        refusal = self._authenticate(request, body)
        if refusal is not None:
            return refusal
        action = request.headers.get("x-acs-action", "")
        if request.headers.get("x-acs-version") != "2017-05-25":
            return _error(400, "InvalidVersion", "Specified parameter Version is not valid.")
        if action == "GetSmsTemplate":
            return self._get_template(params)
        if action != "SendSms":
            return _error(404, "InvalidApi.NotFound", "Specified api is not found, please check your url and method.")
        self.requests.append(params)
        answer = self._send(params)
        if answer.get("Code") == "OK" and fault in ("timeout", "drop", "malformed"):
            return await self.misbehave(fault, request, web.json_response({"Code": "OK"}), '{"Code": "OK", "BizId": ')
        return web.json_response(answer)

    def _authenticate(self, request: web.Request, body: bytes) -> web.Response | None:
        match = _AUTH.fullmatch(request.headers.get("Authorization", ""))
        if match is None:
            return _error(400, "IncompleteSignature", "The request signature does not conform to Aliyun standards.")
        key_id, signed, signature = match.groups()
        if key_id != self.key_id:
            return _error(404, "InvalidAccessKeyId.NotFound", "Specified access key is not found.")
        names = signed.split(";")
        headers = {name.lower(): value for name, value in request.headers.items()}
        required = {"host", "x-acs-action", "x-acs-version", "x-acs-date", "x-acs-signature-nonce"}
        if names != sorted(names) or not required <= set(names) or not set(names) <= set(headers):
            return _error(400, "IncompleteSignature", "The signed headers are incomplete.")
        if headers.get("x-acs-content-sha256") != hashlib.sha256(body).hexdigest():
            return _error(400, "IncompleteSignature", "x-acs-content-sha256 does not match the body.")
        expected = expected_signature(request.method, dict(request.query), headers, names, self.secret)
        if not hmac.compare_digest(expected, signature):
            return _error(400, "SignatureDoesNotMatch", "Specified signature is not matched with our calculation.")
        try:
            sent_at = calendar.timegm(time.strptime(headers["x-acs-date"], "%Y-%m-%dT%H:%M:%SZ"))
        except ValueError:
            return _error(400, "InvalidTimeStamp.Format", "Specified time stamp or date value is not well formatted.")
        if abs(self.platform_time() - sent_at) > 900:
            return _error(400, "InvalidTimeStamp.Expired", "Specified time stamp or date value is expired.")
        nonce = headers["x-acs-signature-nonce"]
        if nonce in self._nonces:
            return _error(400, "SignatureNonceUsed", "Specified signature nonce was used already.")
        self._nonces.add(nonce)
        return None

    def _get_template(self, params: dict[str, str]) -> web.Response:
        code = params.get("TemplateCode", "")
        if code not in self.templates:
            return _ok({"Code": "isv.SMS_TEMPLATE_ILLEGAL", "Message": "该账号下找不到对应模板"})
        return _ok({"Code": "OK", "TemplateCode": code, "TemplateContent": self.templates[code], "TemplateStatus": "1"})

    def _send(self, params: dict[str, str]) -> dict[str, Any]:
        for name in ("PhoneNumbers", "SignName", "TemplateCode"):
            if not params.get(name):
                return _body(f"Missing{name}", f"{name} is mandatory for this action.")
        sign, code = params["SignName"], params["TemplateCode"]
        if sign not in self.sign_names:
            return _body("isv.SMS_SIGNATURE_ILLEGAL", "该账号下找不到对应签名")
        if code not in self.templates:
            return _body("isv.SMS_TEMPLATE_ILLEGAL", "该账号下找不到对应模板")
        numbers = params["PhoneNumbers"].split(",")
        if len(numbers) > 1000:
            return _body("isv.MOBILE_COUNT_OVER_LIMIT", "手机号码数量超过限制,最多支持1000条")
        matches = [_NUMBER.fullmatch(n) for n in numbers]
        if not all(matches):
            return _body("isv.MOBILE_NUMBER_ILLEGAL", "手机号码格式错误")
        wanted = _VARIABLE.findall(self.templates[code])
        try:
            values = json.loads(params.get("TemplateParam") or "{}")
        except ValueError:
            return _body("isv.INVALID_JSON_PARAM", "JSON参数不合法,只接受字符串值")
        if not isinstance(values, dict) or not all(isinstance(v, str) for v in values.values()):
            return _body("isv.INVALID_JSON_PARAM", "JSON参数不合法,只接受字符串值")
        if any(not values.get(name) for name in wanted):
            return _body("isv.TEMPLATE_MISSING_PARAMETERS", "模板变量缺少对应参数值")
        if any(len(values[name]) > 35 for name in wanted):
            return _body("isv.PARAM_LENGTH_LIMIT", "参数超出长度限制")
        if any(_LINK.search(values[name]) for name in wanted):
            return _body("isv.PARAM_NOT_SUPPORT_URL", "不支持URL")
        text = f"【{sign}】" + _VARIABLE.sub(lambda m: values[m.group(1)], self.templates[code])
        if len(text) > 500:
            return _body("isv.PARAM_LENGTH_LIMIT", "短信内容超出长度限制")
        now, (count, window) = self.limits_clock(), self.limit
        recipients = ["+86" + m[1] if m[1] else "+" + m[2] for m in matches if m]
        for number in recipients:
            recent = [t for t in self._sent.get((sign, code, number), []) if now - t < window]
            if len(recent) >= count:
                return _body("isv.BUSINESS_LIMIT_CONTROL", f"触发天级流控Permits:{count}")
        biz_id = f"{900619746936 + len(self.requests)}^0"
        for number in recipients:
            self._sent.setdefault((sign, code, number), []).append(now)
            self.accepted.append(
                {
                    "to": number,
                    "text": text,
                    "template": code,
                    "params": values,
                    "biz_id": biz_id,
                    "out_id": params.get("OutId"),
                }
            )
        return {"Code": "OK", "Message": "OK", "BizId": biz_id, "RequestId": str(uuid.uuid4()).upper()}


def _body(code: str, message: str) -> dict[str, Any]:
    return {"Code": code, "Message": message, "RequestId": str(uuid.uuid4()).upper()}


def _ok(document: dict[str, Any]) -> web.Response:
    return web.json_response({**document, "RequestId": str(uuid.uuid4()).upper()})


def _error(status: int, code: str, message: str) -> web.Response:
    document = {**_body(code, message), "HostId": "dysmsapi.aliyuncs.com", "Recommend": "https://api.aliyun.com"}
    return web.json_response(document, status=status)
