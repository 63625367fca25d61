"""One scrubber for every secret the process knows, and the door through which platform answers enter the core.

A platform may echo what it was sent (a CMS that prints the request's credentials in its error page, a proxy that
shows the ``Authorization`` header). Whatever an adapter returns or raises passes through ``ScrubbedAdapter``,
which replaces every configured secret with ``[redacted]`` before the dispatcher records it, the breaker logs it,
or ``channel test`` shows it. The log handler uses the same ``Scrubber`` as a second line.

A secret is recognised raw and in the forms a request carries it: base64 (standard and URL-safe, also inside a
longer base64 text such as ``Basic base64(user:secret)``, whatever the user name), percent-encoded (``quote`` and
``quote_plus``), and JSON-escaped; a secret that is a webhook address also by the token inside it.
"""

from __future__ import annotations

import base64
import copy
import dataclasses
import functools
import inspect
import json
import os
import re
from collections.abc import Callable, Iterable, Mapping
from typing import TYPE_CHECKING, Any, cast
from urllib.parse import parse_qsl, quote, quote_plus, unquote, urlsplit

from adapters.base import Adapter, Payload, PostContent, ReadBack, Receipt
from adapters.errors import ChannelError

if TYPE_CHECKING:
    from publisher.config import Settings

__all__ = ["REDACTED", "ScrubbedAdapter", "Scrubber", "secret_values", "settings_secrets"]

REDACTED = "[redacted]"
#: shorter values are not treated as secrets: replacing "abc" everywhere would garble text and protect nothing
MIN_SECRET = 6
#: user names put before a secret in HTTP Basic (the WordPress adapter's own ``username`` is added per channel);
#: other names are caught too, by the secret's base64 core inside the longer text
BASIC_USERS = ("", "admin", "api", "apikey", "token", "user", "publisher", "bot", "x-access-token", "oauth2")
_BASE64_CHARS = frozenset("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/=-_")
#: a base64 core shorter than this (about 6 bytes of the secret) could match innocent text
_MIN_CORE = 8


class Scrubber:
    """Replaces each known secret, and its encoded forms, with ``[redacted]``."""

    def __init__(self, secrets: Iterable[str], users: Iterable[str] = ()) -> None:
        values = {s for s in secrets if isinstance(s, str) and len(s) >= MIN_SECRET}
        for value in list(values):
            values.update(_parts_of_address(value))
        names = {*BASIC_USERS, *users}
        forms: set[str] = set()
        cores: set[str] = set()
        for secret in values:
            forms.update(_forms(secret, names))
            cores.update(_base64_cores(secret.encode()))
        self.secrets = frozenset(values)
        # longest first, so a form that contains another is replaced whole
        self._forms = sorted((f for f in forms if len(f) >= MIN_SECRET), key=len, reverse=True)
        self._cores = sorted(cores - set(self._forms), key=len, reverse=True)
        # percent-encoding may use lower-case hex: match those forms without regard to case
        self._encoded = [
            re.compile(re.escape(f), re.IGNORECASE) for f in self._forms if "%" in f and f.lower() != f.upper()
        ]

    def __bool__(self) -> bool:
        return bool(self.secrets)

    def scrub(self, text: str) -> str:
        if not self.secrets or not text:
            return text
        for form in self._forms:
            if form in text:
                text = text.replace(form, REDACTED)
        for pattern in self._encoded:
            text = pattern.sub(REDACTED, text)
        for core in self._cores:
            text = _replace_base64_runs(text, core)
        return text

    def scrub_value(self, value: Any) -> Any:
        """``value`` with every string inside it scrubbed (receipt details are JSON-like)."""
        if isinstance(value, str):
            return self.scrub(value)
        if isinstance(value, Mapping):
            return {self.scrub_value(k): self.scrub_value(v) for k, v in value.items()}
        if isinstance(value, list | tuple):
            return type(value)(self.scrub_value(v) for v in value)
        return value

    def receipt(self, receipt: Receipt | None) -> Receipt | None:
        if receipt is None or not self.secrets:
            return receipt
        return Receipt(
            remote_id=self.scrub(receipt.remote_id) if receipt.remote_id else receipt.remote_id,
            url=self.scrub(receipt.url) if receipt.url else receipt.url,
            details=self.scrub_value(dict(receipt.details)),
        )

    def error(self, exc: BaseException) -> BaseException | None:
        """A copy of ``exc`` with its message scrubbed, or None when it holds no secret (re-raise it as it is)."""
        if isinstance(exc, ChannelError):
            clean = self.scrub(exc.reason)
            if clean == exc.reason and self.scrub(str(exc)) == str(exc):
                return None
            scrubbed = copy.copy(exc)
            scrubbed.reason = clean
            scrubbed.args = (clean,)
            return scrubbed
        text = str(exc)
        clean = self.scrub(text)
        if clean == text:
            return None
        try:
            other = copy.copy(exc)
            other.args = (clean,)
        except Exception:  # an exception type that cannot be copied: keep its name, not its text
            return RuntimeError(f"{type(exc).__name__}: {clean}")
        return other


def _forms(secret: str, users: Iterable[str]) -> set[str]:
    raw = secret.encode()
    forms = {
        secret,
        quote(secret, safe=""),
        quote(secret),
        quote_plus(secret),
        json.dumps(secret)[1:-1],
        json.dumps(secret, ensure_ascii=False)[1:-1],
    }
    for encoded in (base64.b64encode(raw), base64.urlsafe_b64encode(raw)):
        text = encoded.decode()
        forms.update({text, text.rstrip("=")})
    for user in users:
        basic = base64.b64encode(f"{user}:{secret}".encode()).decode()
        forms.update({basic, basic.rstrip("=")})
    return forms


def _base64_cores(raw: bytes) -> set[str]:
    """The characters of ``raw``'s base64 that stay the same wherever ``raw`` sits inside a longer text.

    Base64 encodes 3 bytes as 4 characters, so the encoding of ``raw`` inside ``user:raw`` depends on where ``raw``
    starts modulo 3. For each of the three offsets, the 4-character groups made only of ``raw``'s bytes are fixed.
    """
    cores = set()
    for offset in range(3):
        lead = (3 - offset) % 3  # bytes of raw that share a group with what precedes it
        body = raw[lead:]
        body = body[: len(body) - len(body) % 3]  # whole groups only; the tail shares a group with what follows
        if len(body) < 3:
            continue
        for encoder in (base64.b64encode, base64.urlsafe_b64encode):
            core = encoder(body).decode()
            if len(core) >= _MIN_CORE:
                cores.add(core)
    return cores


def _replace_base64_runs(text: str, core: str) -> str:
    """Replace each whole base64 word containing ``core`` (the secret's bytes and its neighbours' alike)."""
    start = text.find(core)
    while start != -1:
        left, right = start, start + len(core)
        while left > 0 and text[left - 1] in _BASE64_CHARS:
            left -= 1
        while right < len(text) and text[right] in _BASE64_CHARS:
            right += 1
        text = text[:left] + REDACTED + text[right:]
        start = text.find(core, left + len(REDACTED))
    return text


def _parts_of_address(value: str) -> set[str]:
    """A secret that is a webhook address: the tokens in it, which errors may show without the rest."""
    if not value.startswith(("http://", "https://")):
        return set()
    try:
        parts = urlsplit(value)
        password = parts.password
    except ValueError:
        return set()
    found = {v for _, v in parse_qsl(parts.query)}
    found.update(segment for segment in parts.path.split("/") if len(segment) >= 16)
    if password:
        found.update({password, unquote(password)})
    return {f for f in found if len(f) >= MIN_SECRET}


# --- which secrets there are --------------------------------------------------------------------------------------


def secret_values(options: Iterable[Mapping[str, Any]], environ: Mapping[str, str] | None = None) -> list[str]:
    """The values of every environment variable a channel names in a ``*_env`` option."""
    environ = os.environ if environ is None else environ
    values = []
    for table in options:
        for key, var in table.items():
            if key.endswith("_env") and isinstance(var, str) and environ.get(var):
                values.append(environ[var])
    return values


def settings_secrets(settings: Settings, environ: Mapping[str, str] | None = None) -> list[str]:
    """Every secret the configuration leads to: channel secrets (SMS keys included), the console's signing key, the
    key sealing webhook secrets, the database password."""
    environ = os.environ if environ is None else environ
    found = secret_values((c.options for c in settings.channels.values()), environ)
    if settings.web and settings.web.secret_key_env and environ.get(settings.web.secret_key_env):
        found.append(environ[settings.web.secret_key_env])
    if settings.webhooks.secret_key_env and environ.get(settings.webhooks.secret_key_env):
        found.append(environ[settings.webhooks.secret_key_env])
    found.extend(_parts_of_address(_with_http(settings.database_url)))
    return found


def _with_http(url: str) -> str:
    # the password of postgresql+psycopg://user:pw@host/db (and ?password=), read by the same code as a webhook's;
    # not the path: a database's name or file is no secret, and the daemon's start line names it
    scheme, sep, rest = url.partition("://")
    if not (sep and scheme):
        return ""
    address, _, query = rest.partition("?")
    return f"http://{address.split('/', 1)[0]}/" + (f"?{query}" if query else "")


def settings_users(settings: Settings) -> list[str]:
    """User names the channels send with a secret in HTTP Basic (WordPress's ``username``)."""
    names = []
    for channel in settings.channels.values():
        for key in ("username", "user", "login"):
            value = channel.options.get(key)
            if isinstance(value, str):
                names.append(value)
    return names


@functools.lru_cache(maxsize=8)
def _cached(secrets: tuple[str, ...], users: tuple[str, ...]) -> Scrubber:
    return Scrubber(secrets, users)


def for_settings(settings: Settings, environ: Mapping[str, str] | None = None) -> Scrubber:
    """The scrubber for ``settings`` (built once per distinct set of secrets: the encodings cost a little)."""
    return _cached(
        tuple(sorted(set(settings_secrets(settings, environ)))), tuple(sorted(set(settings_users(settings))))
    )


# --- the door -----------------------------------------------------------------------------------------------------


class ScrubbedAdapter:
    """An adapter whose answers (receipts, check verdicts, errors) are scrubbed before the core sees them.

    Everything else (``kind``, ``limits``, ``render``, class data such as ``capabilities``) is the wrapped
    adapter's own.
    """

    _inner: Adapter
    _scrubber: Scrubber

    def __init__(self, inner: Adapter, scrubber: Scrubber) -> None:
        object.__setattr__(self, "_inner", inner)
        object.__setattr__(self, "_scrubber", scrubber)

    @staticmethod
    def wrap(adapter: Adapter, scrubber: Scrubber) -> Adapter:
        return cast(Adapter, ScrubbedAdapter(adapter, scrubber))

    def __getattr__(self, name: str) -> Any:
        value = getattr(self._inner, name)
        if inspect.iscoroutinefunction(value):  # refresh_limits and any later call that reaches the platform
            return self._guarded(value)
        return value

    def __setattr__(self, name: str, value: Any) -> None:
        setattr(self._inner, name, value)

    def __repr__(self) -> str:
        return repr(self._inner)

    def render(self, post: PostContent) -> Payload:
        return self._inner.render(post)

    async def publish(self, payload: Payload, key: str) -> Receipt:
        receipt = await self._guarded(self._inner.publish)(payload, key)
        return cast(Receipt, self._scrubber.receipt(receipt))

    async def lookup(self, key: str) -> Receipt | None:
        return self._scrubber.receipt(await self._guarded(self._inner.lookup)(key))

    async def check(self) -> str:
        return self._scrubber.scrub(await self._guarded(self._inner.check)())

    async def read_back(self, sent: Receipt, key: str) -> ReadBack:
        """What the platform says of a sent post now: its detail (a platform's words) and address scrubbed too."""
        found: ReadBack = await self._guarded(self._inner.read_back)(sent, key)
        url = self._scrubber.scrub(found.url) if found.url else found.url
        copies = self._scrubber.scrub_value(dict(found.copies)) if found.copies else found.copies
        return dataclasses.replace(found, detail=self._scrubber.scrub(found.detail), url=url, copies=copies)

    def describe(self) -> dict[str, Any]:
        return cast(dict[str, Any], self._scrubber.scrub_value(self._inner.describe()))

    def _guarded(self, call: Callable[..., Any]) -> Callable[..., Any]:
        scrubber = self._scrubber

        @functools.wraps(call)
        async def guarded(*args: Any, **kwargs: Any) -> Any:
            try:
                return await call(*args, **kwargs)
            except Exception as exc:
                clean = scrubber.error(exc)
                if clean is None:
                    raise
                raise clean from None  # the original (and its cause) may hold the secret: not kept

        return guarded
