"""A stand-in for Tencent Cloud SMS (API 3.0, version 2021-01-11): ``SendSms`` and ``DescribeSmsTemplateList``.

It checks requests from the published rules, not from the adapter's code: the TC3-HMAC-SHA256 signature
recomputed from the received Content-Type, Host and body bytes; the timestamp (5 minutes either way) and the
credential scope's UTC date; the application id, approved signature and template; one value per ``{n}``, each at
most 12 characters (individually verified accounts) and no link; at most 200 numbers, never mainland and
international together; SessionContext under 512 bytes. Every answer is HTTP 200: request errors under
``Response.Error``, per-number results under ``Response.SendStatusSet`` with ``Code: "Ok"`` on success, and the
default frequency policy (one message with the same content per 30 s, 10 a day per number) as per-number
``LimitExceeded.*`` codes. No idempotency: a repeated request sends again.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import re
import secrets
import uuid
from datetime import UTC, datetime
from typing import Any, ClassVar

from aiohttp import web

from tests.fakes.sms import NUMBERS, SmsStandIn

__all__ = ["FakeTencentSms", "expected_signature"]

_AUTH = re.compile(
    r"TC3-HMAC-SHA256 Credential=([^/]+)/(\d{4}-\d{2}-\d{2})/([^/]+)/tc3_request, "
    r"SignedHeaders=([a-z0-9;-]+), Signature=([0-9a-f]{64})"
)
_VARIABLE = re.compile(r"\{(\d+)\}")
_LINK = re.compile(r"(?i)https?://|www\.|\b\w+\.(?:com|cn|net|org)\b")
_MAINLAND = re.compile(r"\+861[3-9]\d{9}")
_E164 = re.compile(r"\+[1-9]\d{6,14}")


def expected_signature(secret_key: str, date: str, service: str, timestamp: str, canonical_request: str) -> str:
    """The TC3 signature per Tencent's "Signature v3" page: key derived from the date and the service."""

    def sign(key: bytes, message: str) -> bytes:
        return hmac.new(key, message.encode("utf-8"), hashlib.sha256).digest()

    digest = hashlib.sha256(canonical_request.encode("utf-8")).hexdigest()
    string_to_sign = f"TC3-HMAC-SHA256\n{timestamp}\n{date}/{service}/tc3_request\n{digest}"
    signing_key = sign(sign(sign(("TC3" + secret_key).encode("utf-8"), date), service), "tc3_request")
    return hmac.new(signing_key, string_to_sign.encode("utf-8"), hashlib.sha256).hexdigest()


class FakeTencentSms(SmsStandIn):
    kind = "sms_tencent"
    fault_after: ClassVar[dict[str, float]] = {"rate_limit": 30.0}
    #: "qps" answers RequestLimitExceeded (API calls per second)
    own_faults = ("ok", "qps")

    def __init__(
        self,
        *,
        sign_name: str = "青禾学校",
        templates: dict[str, str] | None = None,
        numbers: tuple[str, ...] = NUMBERS,
        daily_limit: int = 10,
        param_limit: int | None = 12,
        blacklist: tuple[str, ...] = (),
        clock_offset: float = 0.0,
    ) -> None:
        templates = templates or {"2211001": "{1}将于{2}举行,详见学校官网。"}
        super().__init__(templates=templates, numbers=numbers, clock_offset=clock_offset)
        self.secret_id = "AKID" + secrets.token_hex(10)
        self.secret_key = secrets.token_urlsafe(24)
        self.app_id = "1400" + str(secrets.randbelow(10**6)).zfill(6)
        self.sign_name = sign_name
        self.daily_limit = daily_limit
        self.param_limit = param_limit
        self.blacklist = set(blacklist)
        self._sent: dict[str, list[tuple[float, str]]] = {}

    def channel_options(self, base_url: str) -> tuple[dict[str, Any], dict[str, str]]:
        options = {
            **self.first_template(base_url, "template_id"),
            "secret_id_env": "TENCENT_SMS_SECRET_ID",
            "secret_key_env": "TENCENT_SMS_SECRET_KEY",
            "sdk_app_id": self.app_id,
            "sign_name": self.sign_name,
        }
        options["params"] = ["title", "date"][: len(set(_VARIABLE.findall(options["template_text"])))]
        return options, {"TENCENT_SMS_SECRET_ID": self.secret_id, "TENCENT_SMS_SECRET_KEY": self.secret_key}

    # --- the platform ------------------------------------------------------------------------------------------

    async def handle(self, request: web.Request) -> web.StreamResponse:
        fault = self.next_fault()
        if fault == "server_error":
            return web.Response(status=500, text="Internal Server Error")
        if fault == "unavailable":
            return web.Response(status=503, text="Service Unavailable")
        if fault == "auth":
            return _error("AuthFailure.SecretIdNotFound", "The SecretId is not found, please ensure it exists.")
        if fault == "qps":
            return _error("RequestLimitExceeded", "Your current request times equals to `20` in a second.")
        if request.method != "POST":
            return _error("InvalidParameter", "Only POST with a JSON body is supported.")
        body = await request.read()
        refusal = self._authenticate(request, body)
        if refusal is not None:
            return refusal
        try:
            document = json.loads(body)
        except ValueError:
            return _error("FailedOperation.FailResolvePacket", "The request body could not be parsed.")
        action = request.headers.get("X-TC-Action")
        if request.headers.get("X-TC-Version") != "2021-01-11" or not request.headers.get("X-TC-Region"):
            return _error("MissingParameter", "X-TC-Version 2021-01-11 and X-TC-Region are required.")
        if action == "DescribeSmsTemplateList":
            return self._describe(document)
        if action != "SendSms":
            return _error("InvalidAction", f"The action {action} does not exist.")
        self.requests.append(document)
        answer = self._send(document, rate_limited=fault == "rate_limit")
        if "SendStatusSet" in answer and fault in ("timeout", "drop", "malformed"):
            return await self.misbehave(
                fault,
                request,
                web.json_response({"Response": {"SendStatusSet": []}}),
                '{"Response": {"SendStatusSet": [',
            )
        return web.json_response({"Response": answer})

    def _authenticate(self, request: web.Request, body: bytes) -> web.Response | None:
        match = _AUTH.fullmatch(request.headers.get("Authorization", ""))
        if match is None:
            return _error("AuthFailure.InvalidAuthorization", "Authorization header is not TC3-HMAC-SHA256.")
        secret_id, date, service, signed, signature = match.groups()
        if secret_id != self.secret_id:
            return _error("AuthFailure.SecretIdNotFound", "The SecretId is not found, please ensure it exists.")
        timestamp = request.headers.get("X-TC-Timestamp", "")
        if not timestamp.isdigit() or abs(self.platform_time() - int(timestamp)) > 300:
            return _error("AuthFailure.SignatureExpire", "Signature expired. Timestamp and server time differ > 5 min.")
        names = signed.split(";")
        if service != "sms" or date != datetime.fromtimestamp(int(timestamp), UTC).strftime("%Y-%m-%d"):
            return _error("AuthFailure.SignatureFailure", "The credential scope does not match the request.")
        if not {"content-type", "host"} <= set(names) or names != sorted(names):
            return _error("AuthFailure.SignatureFailure", "content-type and host must be signed, in order.")
        canonical_headers = "".join(f"{name}:{request.headers.get(name, '').strip().lower()}\n" for name in names)
        canonical = "\n".join(
            ["POST", "/", request.query_string, canonical_headers, signed, hashlib.sha256(body).hexdigest()]
        )
        if not hmac.compare_digest(expected_signature(self.secret_key, date, service, timestamp, canonical), signature):
            return _error("AuthFailure.SignatureFailure", "The provided credentials could not be validated.")
        return None

    def _describe(self, document: dict[str, Any]) -> web.Response:
        international = document.get("International")
        ids = document.get("TemplateIdSet") or []
        found = [
            {
                "TemplateId": int(i),
                "International": international,
                "StatusCode": 0,
                "ReviewReply": "",
                "TemplateName": "活动通知",
                "CreateTime": 1700000000,
                "TemplateContent": self.templates[str(i)],
            }
            for i in ids
            if str(i) in self.templates
        ]
        return web.json_response({"Response": {"DescribeTemplateStatusSet": found, "RequestId": str(uuid.uuid4())}})

    def _send(self, document: dict[str, Any], *, rate_limited: bool) -> dict[str, Any]:
        numbers = document.get("PhoneNumberSet")
        if not isinstance(numbers, list) or not numbers:
            return _refusal("MissingParameter.EmptyPhoneNumberSet", "The PhoneNumberSet is empty.")
        if document.get("SmsSdkAppId") != self.app_id:
            return _refusal("InvalidParameterValue.SdkAppIdNotExist", "The SdkAppId does not exist.")
        if document.get("SignName") != self.sign_name:
            return _refusal("FailedOperation.SignatureIncorrectOrUnapproved", "签名未审批或格式错误。")
        template = self.templates.get(str(document.get("TemplateId")))
        if template is None:
            return _refusal("FailedOperation.TemplateIncorrectOrUnapproved", "模板未审批或内容不匹配。")
        if len(numbers) > 200:
            return _refusal("LimitExceeded.PhoneNumberCountLimit", "单次提交的手机号个数超过200个。")
        if len({str(n).startswith("+86") for n in numbers}) > 1:
            return _refusal("UnsupportedOperation.ContainDomesticAndInternationalPhoneNumber", "不能混发。")
        if len(str(document.get("SessionContext", "")).encode()) >= 512:
            return _refusal("InvalidParameterValue.ParamsLengthLimit", "SessionContext must be under 512 bytes.")
        values = document.get("TemplateParamSet") or []
        if len(values) != len(set(_VARIABLE.findall(template))) or not all(isinstance(v, str) and v for v in values):
            return _refusal("FailedOperation.TemplateParamSetNotMatchApprovedTemplate", "参数个数与模板不匹配。")
        if any(_LINK.search(v) for v in values):
            return _refusal("InvalidParameterValue.ProhibitedUseUrlInTemplateParameter", "禁止在模板变量中使用URL。")
        if self.param_limit and any(len(v) > self.param_limit for v in values):
            return _refusal("InvalidParameterValue.TemplateParameterLengthLimit", "单个模板变量字符数超过12个。")
        text = f"【{self.sign_name}】" + _VARIABLE.sub(lambda m: values[int(m.group(1)) - 1], template)
        if len(text) > 500:
            return _refusal("InvalidParameterValue.ContentLengthLimit", "请求的短信内容太长。")
        return {
            "SendStatusSet": [self._one(str(n), text, document, rate_limited) for n in numbers],
            "RequestId": str(uuid.uuid4()),
        }

    def _one(self, number: str, text: str, document: dict[str, Any], rate_limited: bool) -> dict[str, Any]:
        status: dict[str, Any] = {"PhoneNumber": number, "SessionContext": document.get("SessionContext", "")}
        if not (_MAINLAND.fullmatch(number) or (_E164.fullmatch(number) and not number.startswith("+86"))):
            return {**status, "Code": "InvalidParameterValue.IncorrectPhoneNumber", "Message": "手机号格式错误"}
        if number in self.blacklist:
            return {**status, "Code": "FailedOperation.PhoneNumberInBlacklist", "Message": "手机号在免打扰名单库中"}
        now = self.limits_clock()
        recent = [(t, c) for t, c in self._sent.get(number, []) if now - t < 86400]
        if rate_limited or any(now - t < 30 and c == text for t, c in recent):
            return {
                **status,
                "Code": "LimitExceeded.PhoneNumberThirtySecondLimit",
                "Message": "单个手机号30秒内下发短信条数超过设定的上限",
            }
        if len(recent) >= self.daily_limit:
            return {
                **status,
                "Code": "LimitExceeded.PhoneNumberDailyLimit",
                "Message": "单个手机号日下发短信条数超过设定的上限",
            }
        self._sent[number] = [*recent, (now, text)]
        serial = f"2028:{secrets.randbelow(10**18):018d}"
        self.accepted.append(
            {
                "to": number,
                "text": text,
                "template": document["TemplateId"],
                "params": list(document.get("TemplateParamSet") or []),
                "serial_no": serial,
                "session_context": document.get("SessionContext"),
            }
        )
        fee = 1 if len(text) <= 70 else -(-len(text) // 67)
        return {**status, "Code": "Ok", "Message": "send success", "SerialNo": serial, "Fee": fee, "IsoCode": "CN"}


def _refusal(code: str, message: str) -> dict[str, Any]:
    return {"Error": {"Code": code, "Message": message}, "RequestId": str(uuid.uuid4())}


def _error(code: str, message: str) -> web.Response:
    return web.json_response({"Response": _refusal(code, message)})
