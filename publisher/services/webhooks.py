"""Events told to other systems (issue 15): an admin subscribes an address to event types; each event is POSTed to
it as signed JSON, retried with backoff, logged, and can be sent again.

- **Never lost, never invented.** The outbox row is written by the database in the transaction that appends the
  event (a trigger on ``events``, migration 0020): an approval that rolls back tells nobody, one that commits is
  told even if every daemon dies the moment after. Rows are claimed under a lease (``FOR UPDATE SKIP LOCKED`` on
  PostgreSQL), so several daemons share the work; a daemon that dies mid-send leaves its rows to the lease, and the
  event is sent again with the same ``webhook-id``: a receiver that keeps the ids it has seen never acts twice.
- **Signed** as the Standard Webhooks specification says (standardwebhooks.com, so receivers can use its libraries):
  headers ``webhook-id`` (``evt_<event id>``), ``webhook-timestamp`` (Unix seconds) and ``webhook-signature``
  (``v1,`` and the Base64 HMAC-SHA256 of ``"{id}.{timestamp}.{body}"`` keyed with the secret's bytes: the part after
  ``whsec_``, Base64-decoded). The body is kept as first sent, so retries and resends carry the same bytes.
- **Secrets** are made here (``whsec_`` and 24 random bytes), shown once, and kept sealed (Fernet, with a key derived
  from the environment variable ``[webhooks] secret_key_env`` names): the database alone cannot sign.
- **Through the outbound guard**: the address is a user's input, so it reaches only public addresses unless
  ``[outbound] allow`` says otherwise; redirects are not followed (a 3xx is a failure).
- **Retries**: anything but a 2xx is tried again after ``backoff_initial`` seconds, doubling (with jitter) up to
  ``backoff_max``, ``max_attempts`` times in all; ``Retry-After`` is honoured. A subscriber failing ``pause_after``
  times in a row, or answering 410 Gone, is paused with the reason; its events wait until an admin resumes it.
"""

from __future__ import annotations

import asyncio
import base64
import dataclasses
import functools
import hashlib
import hmac
import json
import logging
import os
import secrets
from collections.abc import Collection, Mapping, Sequence
from datetime import datetime, timedelta
from typing import Any
from urllib.parse import urlsplit

import httpx
from cryptography.fernet import Fernet, InvalidToken
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

from publisher import __version__
from publisher.clock import Clock
from publisher.config import Settings
from publisher.errors import ConfigError, NotFoundError, ValidationError
from publisher.logs import log_event
from publisher.models import Action, WebhookSubscriber
from publisher.outbound import Refused, literal_host
from publisher.retry import RetryPolicy
from publisher.store import Conflict, Store
from publisher.store.webhooks import (
    DELIVERED,
    FAILED,
    QUEUED,
    Due,
    LogLine,
    claim_due,
    counts_by_subscriber,
    event_facts,
    finish,
    log_lines,
    outbox_row,
    remove_subscriber,
    requeue,
    save_bodies,
    set_subscriber,
    subscriber_named,
    subscribers,
)

__all__ = [
    "EVENT_TYPES",
    "SubscriberRow",
    "WebhookSender",
    "Webhooks",
    "event_type",
    "new_secret",
    "sign",
]

#: the event types a subscriber chooses from, and the actions of the event log each stands for
EVENT_TYPES: Mapping[str, tuple[Action, ...]] = {
    "post.created": (Action.POST_ADD,),
    "post.approved": (Action.POST_APPROVE,),
    "post.rejected": (Action.POST_REJECT,),
    "delivery.sent": (Action.DELIVERY_SENT,),
    "delivery.failed": (Action.DELIVERY_FAILED,),
    "delivery.uncertain": (Action.DELIVERY_UNCERTAIN,),
    "post.taken_down": (Action.DELIVERY_TAKEN_DOWN,),
    "coverage.found": (Action.COVERAGE_FOUND, Action.COVERAGE_ADD),
}
_TYPE_OF = {action.value: name for name, actions in EVENT_TYPES.items() for action in actions}
SECRET_PREFIX = "whsec_"  # noqa: S105  (the format's prefix, not a secret)
AT_ONCE = 8  # sends in flight per daemon
NAME_CHARS = 100


def event_type(action: str) -> str:
    """The public type of an event-log action (``post.add`` -> ``post.created``)."""
    return _TYPE_OF[action]


def new_secret() -> str:
    return SECRET_PREFIX + base64.b64encode(secrets.token_bytes(24)).decode()


def sign(secret: str, message_id: str, timestamp: int, body: bytes) -> str:
    """The ``webhook-signature`` header's value for a body."""
    key = base64.b64decode(secret.removeprefix(SECRET_PREFIX))
    digest = hmac.new(key, f"{message_id}.{timestamp}.".encode() + body, hashlib.sha256).digest()
    return "v1," + base64.b64encode(digest).decode()


def _sealer(settings: Settings, environ: Mapping[str, str]) -> Fernet:
    """The key that seals and opens subscribers' secrets, from the environment; ConfigError saying how to set it."""
    name = settings.webhooks.secret_key_env
    if name is None:
        raise ConfigError.of(
            "{file}: [{key}] is needed to add webhooks: name an environment variable holding a long random key, e.g. "
            'secret_key_env = "PUBLISHER_WEBHOOK_KEY", and set it (python -c "import secrets; '
            'print(secrets.token_urlsafe(32))")',
            file=settings.source,
            key="webhooks.secret_key_env",
        )
    value = environ.get(name, "")
    if len(value) < 16:
        raise ConfigError.of(
            "{file}: [{key}] names {name}, which is unset or shorter than 16 characters; set it to a long random key",
            file=settings.source,
            key="webhooks.secret_key_env",
            name=name,
        )
    derive = HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=b"publisher webhook secrets")
    return Fernet(base64.urlsafe_b64encode(derive.derive(value.encode())))


def _actions_of(types: Collection[str]) -> str:
    """The types as the store keeps them: their actions between commas (``,post.approve,delivery.sent,``)."""
    unknown = [name for name in types if name not in EVENT_TYPES]
    if unknown or not types:
        raise ValidationError.of(
            "unknown event type {types}; choose among: {choices}",
            types=", ".join(unknown) or "(none)",
            choices=", ".join(EVENT_TYPES),
        )
    actions = [action.value for name in EVENT_TYPES if name in types for action in EVENT_TYPES[name]]
    return "," + ",".join(actions) + ","


def _types_of(actions: str) -> list[str]:
    held = set(actions.strip(",").split(","))
    return [name for name, acts in EVENT_TYPES.items() if any(a.value in held for a in acts)]


@dataclasses.dataclass(frozen=True)
class SubscriberRow:
    id: int
    name: str
    url: str
    types: list[str]
    active: bool
    paused_reason: str | None
    paused_at: datetime | None
    failures: int
    queued: int
    delivered: int
    failed: int


class Webhooks:
    """The admin's side: add, change, remove, list, see the log, resend, resume (the CLI and the console)."""

    def __init__(
        self, settings: Settings, store: Store, clock: Clock, environ: Mapping[str, str] | None = None
    ) -> None:
        self.settings, self.store, self.clock = settings, store, clock
        self.environ = os.environ if environ is None else environ

    def _check_url(self, url: str) -> str:
        url = url.strip()
        parts = urlsplit(url)
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise ValidationError.of("{url!r} is not an address to send to: give an http(s) URL", url=url)
        literal = literal_host(parts.hostname)
        if literal is not None:  # a name is checked when it is resolved, at each send
            try:
                self.settings.outbound.check_ip(literal)
            except Refused as exc:
                raise ValidationError.of(
                    "{url}: {reason}; list the network under [outbound] allow if it is meant",
                    url=url,
                    reason=exc.reason,
                ) from None
        return url

    def _named(self, session: Any, name: str) -> WebhookSubscriber:
        found = subscriber_named(session, name)
        if found is None:
            raise NotFoundError.of("there is no webhook {name}", cli="; see `publisher webhook list`", name=name)
        return found

    def add(self, name: str, url: str, types: Collection[str], actor: str) -> str:
        """Subscribe ``url`` to ``types``; returns the new secret (shown this once)."""
        name = name.strip()
        if not name or len(name) > NAME_CHARS:
            raise ValidationError.of("a webhook needs a name of 1 to {most} characters", most=NAME_CHARS)
        url, actions = self._check_url(url), _actions_of(types)
        secret = new_secret()
        sealed = _sealer(self.settings, self.environ).encrypt(secret.encode()).decode()
        row = WebhookSubscriber(
            name=name,
            url=url,
            secret_sealed=sealed,
            actions=actions,
            active=True,
            failures=0,
            created_by=actor,
            created_at=self.clock.now(),
        )
        try:
            with self.store.unique_write() as session:
                session.add(row)
        except Conflict:
            raise ValidationError.of("there is already a webhook named {name}", name=name) from None
        log_event("webhook.add", name=name, types=",".join(_types_of(actions)), by=actor)
        return secret

    def edit(
        self,
        name: str,
        *,
        url: str | None = None,
        types: Collection[str] | None = None,
        active: bool | None = None,
        rotate: bool = False,
        actor: str,
    ) -> str | None:
        """Change what is given; with ``rotate``, a new secret (returned: shown this once)."""
        values: dict[str, Any] = {}
        if url is not None:
            values["url"] = self._check_url(url)
        if types is not None:
            values["actions"] = _actions_of(types)
        if active is not None:
            values["active"] = active
        secret = new_secret() if rotate else None
        if secret is not None:
            values["secret_sealed"] = _sealer(self.settings, self.environ).encrypt(secret.encode()).decode()
        with self.store.session() as session:
            set_subscriber(session, self._named(session, name).id, **values)
        log_event("webhook.edit", name=name, changed=",".join(sorted(values)) or "-", by=actor)
        return secret

    def remove(self, name: str, actor: str) -> None:
        with self.store.session() as session:
            remove_subscriber(session, self._named(session, name))
        log_event("webhook.remove", name=name, by=actor)

    def resume(self, name: str, actor: str) -> None:
        """Send again to a paused subscriber: what waited goes out now."""
        with self.store.session() as session:
            set_subscriber(session, self._named(session, name).id, paused_at=None, paused_reason=None, failures=0)
        log_event("webhook.resume", name=name, by=actor)

    def subscribers(self) -> list[SubscriberRow]:
        with self.store.sessions() as session:
            counts = counts_by_subscriber(session)
            return [
                SubscriberRow(
                    s.id,
                    s.name,
                    s.url,
                    _types_of(s.actions),
                    s.active,
                    s.paused_reason,
                    s.paused_at,
                    s.failures,
                    counts.get(s.id, {}).get(QUEUED, 0),
                    counts.get(s.id, {}).get(DELIVERED, 0),
                    counts.get(s.id, {}).get(FAILED, 0),
                )
                for s in subscribers(session)
            ]

    def log(self, name: str | None = None, state: str | None = None, limit: int = 100) -> list[LogLine]:
        if state is not None and state not in (QUEUED, DELIVERED, FAILED):
            raise ValidationError.of("unknown state {state!r}; choose among: queued, delivered, failed", state=state)
        with self.store.sessions() as session:
            subscriber_id = self._named(session, name).id if name is not None else None
            return log_lines(session, subscriber_id, state, limit)

    def resend(self, row_id: int, actor: str) -> None:
        """Send one logged event again, now, with the same id and body."""
        with self.store.session() as session:
            if outbox_row(session, row_id) is None:
                raise NotFoundError.of(
                    "there is no webhook delivery {id}", cli="; see `publisher webhook log`", id=row_id
                )
            requeue(session, row_id, self.clock.now())
        log_event("webhook.resend", delivery=row_id, by=actor)


def _iso(when: datetime | None) -> str | None:
    return when.isoformat().replace("+00:00", "Z") if when is not None else None


@dataclasses.dataclass(frozen=True)
class _Sent:
    due: Due
    status: int | None
    error: str | None
    retry_after: float | None = None
    pause: str | None = None  # why the subscriber must wait for an admin, whatever its count of failures

    @property
    def ok(self) -> bool:
        return self.status is not None and 200 <= self.status < 300


class WebhookSender:
    """The daemon's job: send what is due, a batch per run, and write how it went."""

    def __init__(
        self,
        settings: Settings,
        store: Store,
        clock: Clock,
        owner: str,
        *,
        client: httpx.AsyncClient | None = None,
        environ: Mapping[str, str] | None = None,
    ) -> None:
        self.settings, self.store, self.clock, self.owner = settings, store, clock, owner
        self.options = settings.webhooks
        self.environ = os.environ if environ is None else environ
        self.policy = RetryPolicy(self.options.backoff_initial, self.options.backoff_max, self.options.max_attempts)
        self._client = client
        self._told_no_key = False

    @functools.cached_property
    def client(self) -> httpx.AsyncClient:
        from publisher.guard import guarded_client

        return self._client or guarded_client(self.settings.outbound, timeout=self.options.timeout)

    async def aclose(self) -> None:
        if "client" in self.__dict__ and self._client is None:
            await self.client.aclose()

    async def run_due(self) -> int:
        """Send one batch of due events; returns how many were delivered."""
        now = self.clock.now()
        lease = timedelta(seconds=self.options.timeout * 2 + 30)
        due = await asyncio.to_thread(self._claim, now, now + lease)
        if not due:
            return 0
        try:
            sealer = _sealer(self.settings, self.environ)
        except ConfigError as exc:
            if not self._told_no_key:
                log_event("webhook.no_key", logging.ERROR, reason=str(exc))
                self._told_no_key = True
            await asyncio.to_thread(self._release, due)
            return 0
        bodies = await asyncio.to_thread(self._bodies, due)
        gate = asyncio.Semaphore(AT_ONCE)

        async def one(row: Due) -> _Sent:
            async with gate:
                return await self._send(row, bodies[row.id], sealer)

        results = await asyncio.gather(*(one(row) for row in due))
        await asyncio.to_thread(self._record, results)
        return sum(result.ok for result in results)

    def _claim(self, now: datetime, until: datetime) -> list[Due]:
        with self.store.session() as session:
            return claim_due(session, now, self.owner, until, self.options.batch)

    def _release(self, due: Sequence[Due]) -> None:
        with self.store.session() as session:
            for row in due:
                finish(session, row.id, self.owner, {})

    def _bodies(self, due: Sequence[Due]) -> dict[int, str]:
        """Each row's body: as first sent, or made now from its event and kept."""
        bodies = {row.id: row.body for row in due if row.body is not None}
        missing = [row for row in due if row.body is None]
        if not missing:
            return bodies
        with self.store.session() as session:
            facts = event_facts(session, [row.event_id for row in missing])
            made = {row.id: self._payload(facts[row.event_id]) for row in missing}
            save_bodies(session, made)
        return bodies | made

    def _payload(self, fact: dict[str, Any]) -> str:
        event = fact["event"]
        data: dict[str, Any] = {"event_id": event.id, "action": event.action, "actor": event.actor}
        if event.reason:
            data["reason"] = event.reason
        post = fact.get("post")
        if post is not None:
            data["post"] = dict(post)
            public = self.settings.public_url
            if public:
                data["post"]["console_url"] = f"{public.rstrip('/')}/posts/{post['id']}"
        delivery = fact.get("delivery")
        if delivery is not None:
            data["delivery"] = delivery | {"due_at": _iso(delivery["due_at"])}
        coverage = fact.get("coverage")
        if coverage is not None:
            data["coverage"] = coverage | {"published_at": _iso(coverage["published_at"])}
        payload = {"type": event_type(event.action), "timestamp": _iso(event.at), "data": data}
        return json.dumps(payload, ensure_ascii=False, separators=(",", ":"), sort_keys=True)

    async def _send(self, row: Due, body: str, sealer: Fernet) -> _Sent:
        try:
            secret = sealer.decrypt(row.secret_sealed.encode()).decode()
        except InvalidToken:
            reason = "its secret cannot be opened with the key now set: give it a new secret"
            return _Sent(row, None, reason, pause=reason)
        raw = body.encode()
        message_id, timestamp = f"evt_{row.event_id}", int(self.clock.now().timestamp())
        headers = {
            "content-type": "application/json",
            "user-agent": f"publisher-webhooks/{__version__}",
            "webhook-id": message_id,
            "webhook-timestamp": str(timestamp),
            "webhook-signature": sign(secret, message_id, timestamp, raw),
        }
        try:
            response = await self.client.post(row.url, content=raw, headers=headers, follow_redirects=False)
        except Refused as exc:
            return _Sent(row, None, exc.reason)
        except httpx.TimeoutException:
            return _Sent(row, None, f"no answer within {self.options.timeout:g} s")
        except httpx.HTTPError as exc:
            return _Sent(row, None, f"could not send: {type(exc).__name__}")
        if 200 <= response.status_code < 300:
            return _Sent(row, response.status_code, None)
        retry_after = response.headers.get("retry-after", "")
        wait = float(retry_after) if retry_after.isdigit() else None
        gone = "the receiver answered 410 Gone: it wants no more events" if response.status_code == 410 else None
        return _Sent(row, response.status_code, f"HTTP {response.status_code}", wait, gone)

    def _record(self, results: Sequence[_Sent]) -> None:
        now = self.clock.now()
        with self.store.session() as session:
            failures = {s.id: s.failures for s in subscribers(session)}
            paused: dict[int, str] = {}
            for result in results:
                row, attempts = result.due, result.due.attempts + 1
                values: dict[str, Any] = {"attempts": attempts, "last_attempt_at": now, "last_status": result.status}
                if result.ok:
                    values |= {"state": DELIVERED, "delivered_at": now, "last_error": None}
                    failures[row.subscriber_id] = 0
                else:
                    values["last_error"] = result.error
                    if self.policy.gives_up(attempts):
                        values["state"] = FAILED
                    else:
                        wait = self.policy.delay(attempts, result.retry_after)
                        values["next_at"] = now + timedelta(seconds=wait)
                    failures[row.subscriber_id] = failures.get(row.subscriber_id, 0) + 1
                    if result.pause is not None:
                        paused[row.subscriber_id] = result.pause
                    elif failures[row.subscriber_id] >= self.options.pause_after:
                        paused[row.subscriber_id] = (
                            f"{failures[row.subscriber_id]} failed sends in a row; the last: {result.error}"
                        )
                if not finish(session, row.id, self.owner, values):
                    continue  # the lease was taken back meanwhile: the other daemon's word stands
                log_event(
                    "webhook.sent" if result.ok else "webhook.failed",
                    logging.INFO if result.ok else logging.WARNING,
                    delivery=row.id,
                    event_id=row.event_id,
                    status=result.status,
                    reason=result.error,
                )
            for subscriber_id in {result.due.subscriber_id for result in results}:
                values = {"failures": failures.get(subscriber_id, 0)}
                if subscriber_id in paused:
                    values |= {"paused_at": now, "paused_reason": paused[subscriber_id]}
                    log_event("webhook.paused", logging.ERROR, subscriber=subscriber_id, reason=paused[subscriber_id])
                set_subscriber(session, subscriber_id, **values)
