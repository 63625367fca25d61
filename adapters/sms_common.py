"""What the two template-SMS channels (``sms_aliyun``, ``sms_tencent``) share.

An SMS platform in China sends no free text: it fills the variables of a template approved in advance, under an
approved signature, for a list of numbers. This module holds everything that does not depend on the platform:
reading the recipients from the config's ``[contacts]`` table, filling the template from a post, masking numbers
(a full number is never logged, shown or kept in a receipt), the per-number frequency limiter, and sending in
batches while recording each number's result. ``TemplateSmsAdapter`` ties them together; a platform module adds
its signature, its request and its error codes.
"""

from __future__ import annotations

import dataclasses
import re
import time
from collections import Counter
from collections.abc import Awaitable, Callable, Mapping, Sequence
from datetime import UTC, datetime
from typing import Any, ClassVar
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import httpx

from adapters.base import ChannelAdapter, Idempotency, Limits, Payload, PostContent, Receipt
from adapters.errors import AdapterConfigError, ChannelError, CredentialsRejected, Permanent, Retryable, Uncertain
from adapters.http import raise_for_transport
from adapters.options import Option, timeout
from adapters.text import count_utf16_units

__all__ = [
    "FAILED",
    "FIELDS",
    "LIMITED",
    "NAMED",
    "NOT_SENT",
    "NUMBERED",
    "PARAM_SOURCES",
    "SENT",
    "SKIPPED",
    "UNCERTAIN",
    "FrequencyLimiter",
    "NumberResult",
    "RequestRefused",
    "Rule",
    "TemplateSmsAdapter",
    "api_key",
    "identifier",
    "known_error",
    "looks_like_link",
    "mask",
    "normalize_number",
    "scrub",
    "segments",
    "sms_options",
]

# --- phone numbers -----------------------------------------------------------------------------------------------

_MAINLAND_MOBILE = re.compile(r"1[3-9]\d{9}")
_E164 = re.compile(r"\+[1-9]\d{6,14}")
_SEPARATORS = re.compile(r"[\s\-()]")
_DIGIT_RUN = re.compile(r"\+?\d{7,}")


def normalize_number(raw: str) -> str | None:
    """``raw`` in E.164 form (``+8613800138000``), or None when it is not a number an SMS can go to."""
    number = _SEPARATORS.sub("", raw)
    if number.startswith("00"):
        number = "+" + number[2:]
    if _MAINLAND_MOBILE.fullmatch(number):
        return "+86" + number
    if not _E164.fullmatch(number):
        return None
    if number.startswith("+86") and not _MAINLAND_MOBILE.fullmatch(number[3:]):
        return None  # a mainland number must be a mobile one: landlines get no SMS
    return number


def mask(number: str) -> str:
    """How a number may be shown: ``138****8000`` for a mainland mobile, ``+852****5678`` otherwise."""
    digits = number.removeprefix("+")
    if number.startswith("+86") and len(digits) == 13:
        return f"{digits[2:5]}****{digits[-4:]}"
    if len(digits) > 8:
        return f"+{digits[:3]}****{digits[-4:]}"
    return f"+{digits[:2]}****{digits[-2:]}"


def _mask_text(text: str) -> str:
    """Mask something that is not a valid number (a config typo), keeping just enough to find it."""
    text = _SEPARATORS.sub("", text)
    return "*" * len(text) if len(text) <= 5 else text[:3] + "*" * (len(text) - 5) + text[-2:]


def scrub(text: str) -> str:
    """``text`` with every run of seven or more digits masked: platform messages may echo a number."""
    return _DIGIT_RUN.sub(lambda match: _mask_text(match.group()), text)


def read_recipients(
    groups: Sequence[str], contacts: Mapping[str, Any] | None
) -> tuple[tuple[str, ...], dict[str, int]]:
    """The numbers of the groups named by ``recipients``, from ``contacts``, deduplicated in order."""
    if contacts is None:
        raise AdapterConfigError("contacts", 'is missing: add a [contacts] table, e.g. parents = ["+8613800138000"]')
    numbers: dict[str, None] = {}
    sizes: dict[str, int] = {}
    for group in groups:
        entries = contacts.get(group)
        if entries is None:
            known = ", ".join(sorted(contacts)) or "none"
            raise AdapterConfigError("recipients", f"group {group!r} is not in [contacts] (known groups: {known})")
        if not isinstance(entries, list):
            raise AdapterConfigError(f"contacts.{group}", "must be a list of phone numbers")
        for index, entry in enumerate(entries, start=1):
            number = normalize_number(entry) if isinstance(entry, str) else None
            if number is None:
                shown = _mask_text(entry) if isinstance(entry, str) else type(entry).__name__
                raise AdapterConfigError(
                    f"contacts.{group}",
                    f"entry {index} ({shown}) is not a mobile number: write +<country code><number>, "
                    "or the 11 digits of a mainland mobile (1xxxxxxxxxx)",
                )
            numbers[number] = None
        sizes[group] = len(entries)
    if not numbers:
        raise AdapterConfigError("recipients", "the groups hold no phone numbers")
    if len({n.startswith("+86") for n in numbers}) > 1:
        raise AdapterConfigError(
            "recipients",
            "mixes mainland (+86) and other numbers; a template is either domestic or international, "
            "so give each kind its own channel",
        )
    return tuple(numbers), sizes


# --- template parameters ---------------------------------------------------------------------------------------

#: Alibaba names its variables, ``${title}``; Tencent numbers them, ``{1}``
NAMED = re.compile(r"\$\{(\w+)\}")
NUMBERED = re.compile(r"\{(\d+)\}")
#: post fields a template variable can take; any other ``params`` value is a literal string
FIELDS = ("title", "date", "time", "event_date", "event_time", "campaign", "author")
#: date fields: ``date``/``time`` are the send's (the post's due time), ``event_*`` the event's own (``event_at``)
_WHEN = {"date": "due_at", "time": "due_at", "event_date": "event_at", "event_time": "event_at"}
#: the platforms refuse links in variables (a link must be fixed text of the approved template)
_LINK = re.compile(
    r"(?i)https?://|www\.|\b[a-z0-9-]+\.(?:com|cn|net|org|edu|gov|io|me|top|xyz|info|cc|co|app|site|link|ly|gl)\b"
)
#: a message (signature included) may not exceed 500 characters on either platform
_MAX_MESSAGE = 500


def looks_like_link(value: str) -> bool:
    return _LINK.search(value) is not None


def segments(length: int) -> int:
    """Billed SMS parts: 70 characters fit one, a longer message goes in parts of 67."""
    return 1 if length <= 70 else -(-length // 67)


@dataclasses.dataclass(frozen=True)
class Template:
    """The approved template as configured: its text, signature and where each variable's value comes from."""

    text: str
    sign_name: str
    params: tuple[tuple[str, str], ...]  # (variable, field name or literal), in the platform's order
    placeholder: re.Pattern[str]
    max_param_length: int  # 0: no per-variable limit
    max_length: int  # of the whole message, signature included


def read_template(config: Mapping[str, Any], *, placeholder: re.Pattern[str]) -> Template:
    text: str = config["template_text"]
    positional = placeholder is NUMBERED  # numbered variables take their values by position
    sign_name: str = config["sign_name"]
    names = list(dict.fromkeys(m.group(1) for m in placeholder.finditer(text)))
    if positional:
        names.sort(key=int)
        if names != [str(i) for i in range(1, len(names) + 1)]:
            raise AdapterConfigError("template_text", "must number its variables {1}, {2}, ... without gaps")
    raw = config["params"]
    if positional and isinstance(raw, list):
        raw = {str(i): value for i, value in enumerate(raw, start=1)}
    if not isinstance(raw, Mapping):
        raise AdapterConfigError("params", 'must map each template variable to a post field, e.g. {1} -> "title"')
    max_param_length: int = config["max_param_length"]
    for key in raw:
        if str(key) not in names:
            raise AdapterConfigError("params", f"{key!r} is not a variable of template_text ({', '.join(names)})")
    params = []
    for name in names:
        source = raw.get(name)
        if not isinstance(source, str) or not source.strip():
            raise AdapterConfigError("params", f'the template variable {name} needs a value, e.g. {name} = "title"')
        if source not in FIELDS and looks_like_link(source):
            raise AdapterConfigError("params", f"{name} is a link; the platform refuses links in variables")
        if source not in FIELDS and max_param_length and len(source) > max_param_length:
            raise AdapterConfigError("params", f"{name} is longer than max_param_length ({max_param_length})")
        params.append((name, source))
    parts: int = config["max_segments"]
    max_length = min(_MAX_MESSAGE, 70 if parts == 1 else 67 * parts)
    fixed = count_utf16_units(f"【{sign_name}】" + placeholder.sub("", text))
    if fixed > max_length:
        raise AdapterConfigError("max_segments", f"the template alone is {fixed} characters, over {max_length}")
    return Template(text, sign_name, tuple(params), placeholder, max_param_length, max_length)


def _field(source: str, post: PostContent) -> str:
    if source in _WHEN:
        when: datetime | None = getattr(post, _WHEN[source])
        if when is None:
            missing = "no due date" if source in ("date", "time") else "no event date (event_at)"
            raise Permanent(f"the template needs the post's {source}, but the post has {missing}")
        try:
            zone = ZoneInfo(post.timezone)  # the campaign's zone: what the recipients' calendar says
        except (ZoneInfoNotFoundError, ValueError):
            raise Permanent(f"unknown time zone {post.timezone!r}") from None
        local = (when if when.tzinfo else when.replace(tzinfo=UTC)).astimezone(zone)
        return f"{local.month}月{local.day}日" if source.endswith("date") else f"{local:%H:%M}"
    if source in FIELDS:
        value: str | None = getattr(post, source)
        return value or ""
    return source


def render_template(template: Template, post: PostContent) -> Payload:
    """The message a recipient will read, with the variables' values; Permanent if the post cannot fill them."""
    values: dict[str, str] = {}
    for name, source in template.params:
        value = " ".join(_field(source, post).split())  # a variable is one line
        if not value:
            raise Permanent(f"the template variable {name} ({source}) is empty for this post")
        if looks_like_link(value):
            raise Permanent(f"the template variable {name} ({source}) holds a link; the platforms refuse links there")
        if template.max_param_length and len(value) > template.max_param_length:
            raise Permanent(
                f"the template variable {name} ({source}) is {len(value)} characters; "
                f"the limit per variable is {template.max_param_length}"
            )
        values[name] = value
    body = template.placeholder.sub(lambda m: values[m.group(1)], template.text)
    text = f"【{template.sign_name}】{body}"
    length = count_utf16_units(text)
    if length > template.max_length:
        raise Permanent(
            f"the message would be {length} characters ({segments(length)} SMS parts); "
            f"this channel allows {template.max_length}"
        )
    return Payload(text=text, data={"params": values})


# --- per-number frequency limits ---------------------------------------------------------------------------------


@dataclasses.dataclass(frozen=True)
class Rule:
    """At most ``count`` messages to one number in any ``seconds``; ``same_content``: counting equal texts only."""

    count: int
    seconds: float
    same_content: bool = False


def read_rules(raw: list[Any]) -> tuple[Rule, ...]:
    """The ``frequency_limits`` option as rules; ValueError says which entry cannot be read."""
    example = "e.g. frequency_limits = [{count = 1, seconds = 30, same_content = true}]"
    rules = []
    for item in raw:
        count, seconds = (item.get("count"), item.get("seconds")) if isinstance(item, Mapping) else (None, None)
        same = item.get("same_content", False) if isinstance(item, Mapping) else False
        if (
            not isinstance(count, int)
            or count < 1
            or not isinstance(seconds, int | float)
            or seconds <= 0
            or not isinstance(same, bool)
            or set(item) - {"count", "seconds", "same_content"}
        ):
            raise ValueError(f"has an entry it cannot read ({item!r}); {example}")
        rules.append(Rule(count, float(seconds), same))
    return tuple(rules)


class FrequencyLimiter:
    """Send times per number, in memory, so the adapter never asks the platform for more than its limits allow.

    Windows roll, which is at least as strict as the platforms' clock-aligned minutes, hours and days. The count
    starts again when the process does; the platform's own refusal is still read as a per-number result.
    """

    def __init__(self, rules: Sequence[Rule], clock: Callable[[], float] = time.monotonic) -> None:
        self.rules = tuple(rules)
        self.clock = clock
        self._sent: dict[str, list[tuple[float, str]]] = {}

    def reserve(self, number: str, content: str) -> float | None:
        """Count a send to ``number`` now and return None, or return the seconds until one is allowed."""
        now = self.clock()
        horizon = max((rule.seconds for rule in self.rules), default=0.0)
        times = [(t, c) for t, c in self._sent.get(number, []) if now - t < horizon]
        wait = 0.0
        for rule in self.rules:
            recent = [t for t, c in times if now - t < rule.seconds and (not rule.same_content or c == content)]
            if len(recent) >= rule.count:
                wait = max(wait, recent[-rule.count] + rule.seconds - now)
        if wait <= 0:
            times.append((now, content))
        self._sent[number] = times
        return wait if wait > 0 else None

    def release(self, number: str, content: str) -> None:
        """Forget the latest reservation for ``number`` and ``content``: the platform did not count it."""
        times = self._sent.get(number, [])
        for index in range(len(times) - 1, -1, -1):
            if times[index][1] == content:
                del times[index]
                return


#: one limiter per account, signature and template (whatever scope the platform counts in), shared by channels
_LIMITERS: dict[tuple[object, ...], FrequencyLimiter] = {}


def shared_limiter(scope: tuple[str, ...], rules: tuple[Rule, ...]) -> FrequencyLimiter:
    key = (*scope, rules)
    if key not in _LIMITERS:
        _LIMITERS[key] = FrequencyLimiter(rules)
    return _LIMITERS[key]


# --- sending in batches ----------------------------------------------------------------------------------------

SENT = "sent"
FAILED = "failed"
LIMITED = "failed: frequency limit"  # the platform refused the number for now
SKIPPED = "skipped: frequency limit"  # our own limiter kept it back: nothing was sent
UNCERTAIN = "uncertain"
NOT_SENT = "not sent"


@dataclasses.dataclass(frozen=True)
class NumberResult:
    status: str
    code: str
    remote_id: str | None = None
    after: float | None = None  # seconds until the number may receive again (frequency limits)
    note: str | None = None


class RequestRefused(Permanent):
    """The platform refused the whole request (template, signature, parameters): nothing was sent."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(f"{code}: {scrub(message)}")
        self.code = code


BatchSender = Callable[[Sequence[str]], Awaitable[tuple[str | None, dict[str, NumberResult]]]]


def _failed(exc: ChannelError) -> NumberResult:
    if isinstance(exc, Uncertain):
        return NumberResult(UNCERTAIN, "no answer", note=exc.reason)
    code = exc.code if isinstance(exc, RequestRefused) else type(exc).__name__
    return NumberResult(FAILED if isinstance(exc, Permanent) else NOT_SENT, code, note=exc.reason)


async def send_in_batches(
    numbers: Sequence[str], *, batch_size: int, limiter: FrequencyLimiter, content: str, send_batch: BatchSender
) -> Receipt:
    """Send to ``numbers`` and return a receipt with each number's result.

    Once any message may have gone out, an error is recorded against the numbers it concerns instead of being
    raised, because raising would let the dispatcher resend to everyone. When no number was sent the outcome is
    an error: Uncertain if some may have been, Retryable if every number is only at its frequency limit,
    Permanent otherwise.
    """
    results: dict[str, NumberResult] = {}
    allowed = []
    for number in numbers:
        wait = limiter.reserve(number, content)
        if wait is None:
            allowed.append(number)
        else:
            results[number] = NumberResult(SKIPPED, "local limit", after=wait)
    first_ids: list[str] = []
    stop: ChannelError | None = None
    for start in range(0, len(allowed), batch_size):
        batch = allowed[start : start + batch_size]
        if stop is not None:
            results.update((number, _failed(stop)) for number in batch)
            continue
        try:
            batch_id, outcome = await send_batch(batch)
        except ChannelError as exc:
            if not any(r.status in (SENT, UNCERTAIN) for r in results.values()):
                kept = set(batch) if isinstance(exc, Uncertain) else set()
                for number in allowed:
                    if number not in kept:
                        limiter.release(number, content)
                raise
            results.update((number, _failed(exc)) for number in batch)
            if not isinstance(exc, Permanent | Uncertain):
                stop = exc  # rate limited, unavailable, credentials: later batches would fail the same way
            continue
        if batch_id:
            first_ids.append(batch_id)
        results.update(outcome)
    for number in allowed:
        if results[number].status not in (SENT, UNCERTAIN):
            limiter.release(number, content)
    return _conclude(numbers, results, first_ids[0] if first_ids else None)


def _conclude(numbers: Sequence[str], results: Mapping[str, NumberResult], remote_id: str | None) -> Receipt:
    entries: dict[str, dict[str, str]] = {}
    for number in numbers:
        result, key, copy = results[number], mask(number), 2
        while key in entries:  # two numbers can share a mask
            key, copy = f"{mask(number)} ({copy})", copy + 1
        entry = {"status": result.status, "code": result.code}
        if result.remote_id:
            entry["id"] = result.remote_id
        if result.note:
            entry["reason"] = result.note
        entries[key] = entry
    counts = Counter(result.status for result in results.values())
    summary = ", ".join(f"{count} {status}" for status, count in counts.items())
    if counts[SENT]:
        return Receipt(remote_id=remote_id, details={"numbers": entries, "summary": dict(counts)})
    if counts[UNCERTAIN]:
        raise Uncertain(f"no answer for {counts[UNCERTAIN]} of {len(numbers)} numbers ({summary}); they may have it")
    if all(result.status in (SKIPPED, LIMITED) for result in results.values()):
        after = max(result.after or 0.0 for result in results.values())
        raise Retryable(f"every number is at its frequency limit ({summary})", after=after or None)
    codes = ", ".join(sorted({result.code for result in results.values()}))
    raise Permanent(f"no number could be sent ({summary}; codes: {codes})")


# --- the adapter frame -----------------------------------------------------------------------------------------

_SHOWN = 20  # masked numbers listed by describe()


def identifier(name: str, help: str, example: str, *, digits: bool = False) -> Option:
    """An id option, written as a string or, in TOML, as a bare number; ``digits``: nothing but digits."""

    def check(value: Any) -> str:
        if isinstance(value, int) and not isinstance(value, bool):
            value = str(value)
        if not isinstance(value, str) or not value.strip() or (digits and not value.isdigit()):
            raise ValueError(f"must be the id{' (digits)' if digits else ''} as a string or a number, got {value!r}")
        return value

    return Option(name=name, type=object, check=check, type_words="string or whole number", help=help, example=example)


def api_key(held: Mapping[str, str], about: str, prefix: str) -> tuple[Option, ...]:
    """The ``*_env`` options a platform's API key is read from: ``held`` maps each option to what its variable
    holds, ``about`` (ending the sentence) says whose key it is and what it may do, ``prefix`` starts the example
    variables' names."""
    return tuple(
        Option(
            name=name,
            help=f"The environment variable holding {what}{about} Never the key itself.",
            example=prefix + name.removesuffix("_env").upper(),
        )
        for name, what in held.items()
    )


def _rules(value: Any) -> tuple[Rule, ...]:
    if not isinstance(value, list):
        raise ValueError("must be a list of limits, e.g. frequency_limits = [{count = 1, seconds = 30}]")
    return read_rules(value)


def sms_limits(rate_per_minute: int) -> Limits:
    """Both platforms' limits; the instance sets ``max_length`` from its template and ``max_segments``."""
    return Limits(
        max_length=201,  # max_segments = 3 by default
        count=count_utf16_units,
        unit="characters, signature included (70 fit one SMS, longer ones go in 67-character parts)",
        rate_per_minute=rate_per_minute,  # per-number limits matter more than the request rate
        concurrency=2,
    )


#: where a template variable's value can come from, as the ``params`` help of both platforms words it
PARAM_SOURCES = (
    '"title", "event_date" (the day of the event, from the post\'s event_at, in the campaign\'s time zone, e.g. '
    '11月25日), "event_time" (e.g. 14:30), "date" and "time" (the day and time the message is sent), "campaign", '
    '"author", or any other string, sent as it is. Values may not be links: put a link in the template\'s fixed '
    "text instead."
)


def sms_options(
    *,
    platform: str,
    variables: str,
    template: Option,
    params: Option,
    param_length: int,
    max_batch: int,
    rules: tuple[Rule, ...],
    api: Option,
    own: tuple[Option, ...],
    notes: Mapping[str, str],
    examples: Mapping[str, Any],
) -> tuple[Option, ...]:
    """The options both SMS platforms take, around the platform's ``template`` id, ``params``, ``api`` base and
    ``own`` keys. ``platform`` names the company in the help, ``variables`` shows how its template writes a
    variable, ``notes`` adds a platform's own sentence to an option's help and ``examples`` sets the example config's
    values of the shared options."""
    shared = (
        Option(
            name="recipients",
            type=list,
            items=str,
            min=1,
            help="The contact groups of the top-level [contacts] table to send to; a number in several groups gets "
            "one message. Mainland and other numbers cannot share a channel: a template is either domestic or "
            "international.",
        ),
        # the core copies the top-level [contacts] table in; the user never writes it in a channel's table
        Option(name="contacts", type=dict, default=None, documented=False, help="The [contacts] table."),
        *own,
        Option(
            name="sign_name",
            help=f"The approved signature (签名), without the 【】 that {platform} adds.",
            example="青禾学校",
        ),
        template,
        Option(
            name="template_text",
            help=f"The template's text exactly as approved, with its {variables} variables. It is what the "
            "length is counted on, and `publisher channel test NAME` compares it with the approved text.",
        ),
        params,
        Option(
            name="max_segments",
            type=int,
            default=3,
            min=1,
            max=7,
            help="Longest message, signature included, in SMS parts: 70 characters make one SMS, longer messages are "
            f"sent (and billed) in parts of 67, so 3 parts allow 201 characters. At most 7 ({platform} caps a "
            "message at 500).",
        ),
        Option(
            name="max_param_length",
            type=int,
            default=param_length,
            min=0,
            help="Longest value of one template variable; 0 turns the check off.",
        ),
        Option(
            name="batch_size",
            type=int,
            default=max_batch,
            min=1,
            max=max_batch,
            help=f"Numbers per SendSms request (at most {max_batch}).",
        ),
        Option(
            name="frequency_limits",
            type=object,
            type_words="list of tables",
            # as a user writes them: same_content only where it is true
            default=[{k: v for k, v in dataclasses.asdict(rule).items() if v is not False} for rule in rules],
            check=_rules,
            help="Per-number limits kept by the adapter itself, each a count of messages in a number of seconds "
            "(with `same_content = true`, of messages with the same text only): a number that would break one is "
            'skipped for this post and recorded as "skipped: frequency limit". An empty list turns the adapter\'s '
            "own limits off (the platform still enforces its own).",
        ),
        timeout(),
        api,
    )
    return tuple(_for_platform(option, notes, examples) for option in shared)


def _for_platform(option: Option, notes: Mapping[str, str], examples: Mapping[str, Any]) -> Option:
    """``option`` with the platform's note added to its help, and its example value."""
    changes: dict[str, Any] = {}
    if option.name in notes:
        changes["help"] = f"{option.help} {notes[option.name]}"
    if option.name in examples:
        changes["example"] = examples[option.name]
    return dataclasses.replace(option, **changes)


def known_error(
    code: str, reason: str, credential_codes: tuple[str, ...], retry_after: Mapping[str, float]
) -> ChannelError | None:
    """The error for an answer ``code`` starting with one of ``credential_codes`` (the key or account refused) or
    of ``retry_after`` (a refusal that passes with time, mapped to the wait in seconds); None for any other."""
    if code.startswith(credential_codes):
        return CredentialsRejected(reason)
    for prefix, after in retry_after.items():
        if code.startswith(prefix):
            return Retryable(reason, after=after)
    return None


class TemplateSmsAdapter(ChannelAdapter):
    """A template-SMS channel; a platform subclass supplies ``_send_batch``, ``check`` and its facts below."""

    idempotency: Idempotency = "none"  # neither platform drops a repeated request
    template_key: ClassVar[str]  # the option naming the approved template
    key_id_name: ClassVar[str]  # what ``describe()`` calls the account's key id, shown masked
    key_id: str  # the key id itself (not a secret on its own, but kept out of logs)
    placeholder: ClassVar[re.Pattern[str]]

    def setup(self, config: dict[str, Any]) -> None:
        self.api_base: str = config["api_base"]
        self.host = httpx.URL(self.api_base).netloc.decode("ascii")
        self.timeout: float = config["timeout"]
        self.template_id: str = config[self.template_key]
        self.numbers, self.groups = read_recipients(config["recipients"], config["contacts"])
        self.template = read_template(config, placeholder=self.placeholder)
        self.batch_size: int = config["batch_size"]
        rules = config["frequency_limits"]
        # a default is not run through the check: it is still the declared list of tables
        self.rules: tuple[Rule, ...] = rules if isinstance(rules, tuple) else read_rules(rules)
        self.limits = dataclasses.replace(type(self).limits, max_length=self.template.max_length)
        self._configure(config)
        self.limiter = shared_limiter(self._limiter_scope(), self.rules)
        # the numbers are personal data: keep them out of vars(adapter), which may end up in a log
        config["contacts"] = None
        self._given.pop("contacts", None)

    def _configure(self, config: Mapping[str, Any]) -> None:
        raise NotImplementedError

    def _limiter_scope(self) -> tuple[str, ...]:
        raise NotImplementedError

    async def _send_batch(
        self, numbers: Sequence[str], payload: Payload, key: str
    ) -> tuple[str | None, dict[str, NumberResult]]:
        raise NotImplementedError

    def render(self, post: PostContent) -> Payload:
        return render_template(self.template, post)

    async def publish(self, payload: Payload, key: str) -> Receipt:
        async def send_batch(batch: Sequence[str]) -> tuple[str | None, dict[str, NumberResult]]:
            return await self._send_batch(batch, payload, key)

        return await send_in_batches(
            self.numbers, batch_size=self.batch_size, limiter=self.limiter, content=payload.text, send_batch=send_batch
        )

    def variables(self, payload: Payload) -> list[tuple[str, str]]:
        """The filled variables of ``payload``, in the platform's order."""
        values: Mapping[str, str] = payload.data.get("params", {})
        return [(name, values[name]) for name, _ in self.template.params]

    async def post(self, url: str, **request: Any) -> httpx.Response:
        try:
            return await self.client.post(url, timeout=self.timeout, **request)
        except httpx.TransportError as exc:
            raise raise_for_transport(exc) from None  # the exception's URL may hold the phone numbers

    def checked(self, content: object, state: str) -> str:
        """What ``check()`` says once the platform showed the template: its text must be the configured one."""
        if isinstance(content, str) and content.split() != self.template.text.split():
            raise Permanent(f"template_text differs from the approved template {self.template_id}: {content!r}")
        return (
            f"key accepted; template {self.template_id} is {state}; "
            f"{len(self.numbers)} numbers in {', '.join(self.groups)}"
        )

    def describe(self) -> dict[str, Any]:
        return {
            **super().describe(),
            self.key_id_name: f"{self.key_id[:4]}****{self.key_id[-2:]}" if len(self.key_id) > 8 else "****",
            self.template_key: self.template_id,
            "params": dict(self.template.params),
            "recipients": dict(self.groups),
            "numbers": [mask(n) for n in self.numbers[:_SHOWN]]
            + ([f"... and {len(self.numbers) - _SHOWN} more"] if len(self.numbers) > _SHOWN else []),
            "max_length": self.template.max_length,
            "frequency_limits": [dataclasses.asdict(rule) for rule in self.rules],
        }
