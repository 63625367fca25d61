"""The ``sms_tencent`` channel: template SMS through Tencent Cloud SMS (``SendSms``, API 3.0 version 2021-01-11).

Requests are JSON, signed with TC3-HMAC-SHA256 over ``content-type`` and ``host``, as the official SDK signs them.
The answer carries one result per number (``SendStatusSet``), so a batch can partly succeed. Errors of the whole
request come in ``Response.Error``, always with HTTP 200.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import re
import time
from collections.abc import Mapping, Sequence
from datetime import UTC, datetime, timedelta
from typing import Any, ClassVar
from zoneinfo import ZoneInfo

from adapters.base import Limits, Payload
from adapters.errors import ChannelError, Permanent, Retryable, Uncertain
from adapters.http import status_error
from adapters.options import Option, api_base
from adapters.sms_common import (
    FAILED,
    LIMITED,
    NUMBERED,
    PARAM_SOURCES,
    SENT,
    UNCERTAIN,
    NumberResult,
    RequestRefused,
    Rule,
    TemplateSmsAdapter,
    api_key,
    identifier,
    known_error,
    normalize_number,
    scrub,
    sms_limits,
    sms_options,
)

__all__ = ["SmsTencentAdapter", "authorization"]

API_VERSION = "2021-01-11"
CONTENT_TYPE = "application/json; charset=utf-8"

_CREDENTIAL_CODES = (
    "AuthFailure.",  # wrong or disabled key, bad signature, our clock off by more than 5 minutes
    "UnauthorizedOperation.SmsSdkAppIdVerifyFail",
    "UnauthorizedOperation.RequestPermissionDeny",
    "UnauthorizedOperation.RequestIpNotInWhitelist",
    "InvalidParameterValue.SdkAppIdNotExist",
)
_RETRY_AFTER = {
    "RequestLimitExceeded": 1.0,  # API calls per second
    "LimitExceeded.AppDailyLimit": 3600.0,  # the application's daily cap
    "LimitExceeded.AppMainlandChinaDailyLimit": 3600.0,
    "LimitExceeded.DailyLimit": 3600.0,
    "UnauthorizedOperation.SerivceSuspendDueToArrears": 600.0,  # [sic], as the SDK spells it
    "FailedOperation.InsufficientBalanceInSmsPackage": 600.0,
}
#: per-number frequency refusals, and when the number may receive again
_NUMBER_WAITS = {
    "LimitExceeded.PhoneNumberThirtySecondLimit": 30.0,
    "LimitExceeded.PhoneNumberOneHourLimit": 3600.0,
    "LimitExceeded.PhoneNumberDailyLimit": 86400.0,
    "LimitExceeded.PhoneNumberSameContentDailyLimit": 86400.0,
    "LimitExceeded.DeliveryFrequencyLimit": 60.0,
}


def _hmac(key: bytes, text: str) -> bytes:
    return hmac.new(key, text.encode(), hashlib.sha256).digest()


def authorization(
    *,
    secret_id: str,
    secret_key: str,
    host: str,
    body: bytes,
    timestamp: int,
    content_type: str = CONTENT_TYPE,
    service: str = "sms",
) -> str:
    """The ``Authorization`` value of a TC3-HMAC-SHA256 signed POST with a JSON body."""
    date = datetime.fromtimestamp(timestamp, UTC).strftime("%Y-%m-%d")  # UTC, not local, date
    canonical = "\n".join(
        [
            "POST",
            "/",
            "",  # no query string
            f"content-type:{content_type.lower()}\nhost:{host.lower()}\n",  # keys and values in lower case
            "content-type;host",
            hashlib.sha256(body).hexdigest(),
        ]
    )
    scope = f"{date}/{service}/tc3_request"
    to_sign = f"TC3-HMAC-SHA256\n{timestamp}\n{scope}\n{hashlib.sha256(canonical.encode()).hexdigest()}"
    key = _hmac(_hmac(_hmac(("TC3" + secret_key).encode(), date), service), "tc3_request")
    signature = hmac.new(key, to_sign.encode(), hashlib.sha256).hexdigest()
    return f"TC3-HMAC-SHA256 Credential={secret_id}/{scope}, SignedHeaders=content-type;host, Signature={signature}"


def _until_eight_in_beijing() -> float:
    """Marketing SMS go out between 08:00 and 22:00 Beijing time only."""
    now = datetime.now(ZoneInfo("Asia/Shanghai"))
    eight = now.replace(hour=8, minute=0, second=0, microsecond=0)
    if eight <= now:
        eight += timedelta(days=1)
    return (eight - now).total_seconds()


def _session_context(key: str) -> str:
    """SessionContext comes back unchanged; it must stay under 512 bytes."""
    return key.encode()[:500].decode(errors="ignore")


class SmsTencentAdapter(TemplateSmsAdapter):
    kind: ClassVar[str] = "sms_tencent"
    limits: Limits = sms_limits(180_000)  # SendSms allows 3000 requests a second
    template_key: ClassVar[str] = "template_id"
    key_id_name: ClassVar[str] = "secret_id"
    placeholder: ClassVar[re.Pattern[str]] = NUMBERED
    options: ClassVar[tuple[Option, ...]] = sms_options(
        platform="Tencent",
        variables="{1}, {2}",
        template=identifier("template_id", "The approved template's numeric id (模板ID).", "2211001", digits=True),
        params=Option(
            name="params",
            type=object,
            type_words="list or table",
            default={},
            help="The value of {1}, {2}, ... of the template, in order, or as a table such as "
            f'`params = {{ 1 = "title", 2 = "event_date" }}`: {PARAM_SOURCES}',
            example=["title", "event_date"],
        ),
        param_length=12,  # individually verified accounts; organisations may set 0 (none)
        max_batch=200,
        # one message per 30 s with the same content, 10 per calendar day (counted here as any 24 hours)
        rules=(Rule(1, 30.0, same_content=True), Rule(10, 86400.0)),
        api=api_base(
            "https://sms.tencentcloudapi.com",
            help="Where the API lives: https://sms.tencentcloudapi.com, or https://sms.intl.tencentcloudapi.com for "
            "accounts on the international site. Otherwise change it only to point at a test stand-in.",
        ),
        own=(
            *api_key(
                {"secret_id_env": "the API key's SecretId", "secret_key_env": "the API key's SecretKey"},
                " (of a sub-user with the QcloudSMSFullAccess policy, or one allowing sms:SendSms and "
                "sms:DescribeSmsTemplateList).",
                "TENCENT_SMS_",
            ),
            identifier(
                "sdk_app_id",
                'The SMS application\'s SdkAppId (应用管理 → 应用列表), digits, e.g. "1400006666".',
                "1400006666",
                digits=True,
            ),
            Option(name="region", default="ap-guangzhou", help="The API region (X-TC-Region), e.g. ap-guangzhou."),
        ),
        notes={
            "recipients": "Tencent also refuses a request that mixes them.",
            "sign_name": "Tencent's console calls it 签名内容.",
            "max_param_length": "Tencent allows 12 characters for individually verified accounts (个人认证); "
            "organisation accounts (企业认证) have no limit: set 0.",
            "frequency_limits": "The default is Tencent's default policy: the same text at most once in 30 seconds, "
            "and 10 messages a day per number (counted over the SMS application, across templates). If your "
            "console sets other limits, write them here.",
        },
        examples={
            "recipients": ["members", "parents"],
            "template_text": "{1}将于{2}举行,详见学校官网。",
        },
    )

    def _configure(self, config: Mapping[str, Any]) -> None:
        self.app_id: str = config["sdk_app_id"]
        self.region: str = config["region"]
        self.key_id = config["secret_id_env"]
        self._secret_key: str = config["secret_key_env"]
        self.international = not self.numbers[0].startswith("+86")

    def _limiter_scope(self) -> tuple[str, ...]:
        # the daily count is per number across the application's templates, so the scope is the application
        return (self.kind, self.app_id)

    async def _call(self, action: str, body: Mapping[str, Any]) -> dict[str, Any]:
        """POST ``body`` as ``action`` and return the answer's ``Response`` object; raise on a request error."""
        content = json.dumps(body, ensure_ascii=False, separators=(",", ":")).encode()
        timestamp = int(time.time())
        headers = {
            "Content-Type": CONTENT_TYPE,
            "Host": self.host,
            "X-TC-Action": action,
            "X-TC-Version": API_VERSION,
            "X-TC-Timestamp": str(timestamp),
            "X-TC-Region": self.region,
            "Authorization": authorization(
                secret_id=self.key_id, secret_key=self._secret_key, host=self.host, body=content, timestamp=timestamp
            ),
        }
        response = await self.post(f"{self.api_base}/", content=content, headers=headers)
        if response.status_code != 200:
            raise status_error(response, scrub(response.text[:200]))
        try:
            answer = response.json().get("Response")
        except (ValueError, AttributeError):
            answer = None
        if not isinstance(answer, dict):
            raise Uncertain("HTTP 200 with an answer that is not the JSON expected")
        error = answer.get("Error")
        if isinstance(error, dict):
            raise self._error(str(error.get("Code", "")), str(error.get("Message", "")))
        return answer

    def _error(self, code: str, message: str) -> ChannelError:
        reason = f"{code}: {scrub(message)}"
        known = known_error(code, reason, _CREDENTIAL_CODES, _RETRY_AFTER)
        if known is not None:
            return known
        if code == "FailedOperation.MarketingSendTimeConstraint":
            return Retryable(reason, after=_until_eight_in_beijing())
        if code.startswith("InternalError"):
            return Uncertain(reason)  # failed inside the platform: the message may be on its way
        return RequestRefused(code, message)

    async def _send_batch(
        self, numbers: Sequence[str], payload: Payload, key: str
    ) -> tuple[str | None, dict[str, NumberResult]]:
        body: dict[str, Any] = {
            "PhoneNumberSet": list(numbers),
            "SmsSdkAppId": self.app_id,
            "SignName": self.template.sign_name,
            "TemplateId": self.template_id,
            "SessionContext": _session_context(key),
        }
        values = [value for _, value in self.variables(payload)]
        if values:
            body["TemplateParamSet"] = values  # positional: {1}, {2}, ...
        answer = await self._call("SendSms", body)
        statuses = answer.get("SendStatusSet")
        if not isinstance(statuses, list):
            raise Uncertain("the answer has no SendStatusSet")
        by_number = {
            normalize_number(str(item.get("PhoneNumber", ""))): item for item in statuses if isinstance(item, dict)
        }
        results = {}
        for number in numbers:
            item = by_number.get(number)
            if item is None:
                results[number] = NumberResult(UNCERTAIN, "missing from the answer")
                continue
            code, note = str(item.get("Code", "")), scrub(str(item.get("Message", "")))
            if code == "Ok":
                results[number] = NumberResult(SENT, code, remote_id=str(item.get("SerialNo") or "") or None)
            elif code.startswith("LimitExceeded.") and code != "LimitExceeded.PhoneNumberCountLimit":
                results[number] = NumberResult(LIMITED, code, after=_NUMBER_WAITS.get(code, 3600.0), note=note)
            else:
                results[number] = NumberResult(FAILED, code, note=note)
        request_id = answer.get("RequestId")
        return (str(request_id) if request_id else None), results

    async def check(self) -> str:
        """Read the template with DescribeSmsTemplateList: proves the key and compares ``template_text``."""
        body = {"International": int(self.international), "TemplateIdSet": [int(self.template_id)]}
        try:
            answer = await self._call("DescribeSmsTemplateList", body)
        except (Uncertain, RequestRefused) as exc:
            if isinstance(exc, Uncertain):
                raise Retryable(exc.reason) from None
            # the key was accepted; individually verified accounts may not read templates through the API
            return f"secret accepted; the template could not be read ({exc.reason})"
        found = [
            item
            for item in answer.get("DescribeTemplateStatusSet") or []
            if isinstance(item, dict) and str(item.get("TemplateId")) == self.template_id
        ]
        if not found:
            raise Permanent(f"template {self.template_id} is not among this account's templates")
        status = str(found[0].get("StatusCode"))
        state = {"0": "approved", "1": "under review", "-1": "rejected"}.get(status, f"status {status}")
        return self.checked(found[0].get("TemplateContent"), state)
