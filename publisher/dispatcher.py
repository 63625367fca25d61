"""Claim due deliveries, send them through their adapters, record what happened.

The dispatcher knows no platform: it reads an adapter's ``limits`` and ``idempotency`` and turns what ``publish``
returns or raises into a ``Decision``: the ``Cause`` (what happened, as a value) and the ``Outcome`` (the delivery's
next state, written by the store; see ``adapters.base`` for the error classes and ``DeliveryState`` for the states).
The circuit breaker counts causes; the reasons are words for people and may be reworded freely. Sends run
concurrently, capped per channel, and rate-limited per channel where the platform has a limit. A delivery that
comes due where its channel may not post (quiet hours, outside its posting windows) is given back to wait for the
window's end, unless a person overrode that when queueing it (``publisher.services.windows``).
"""

from __future__ import annotations

import asyncio
import dataclasses
import enum
import logging
import os
import socket
from collections.abc import Coroutine, Mapping
from datetime import timedelta
from typing import TYPE_CHECKING, Any

from aiolimiter import AsyncLimiter

from adapters.base import Adapter, Receipt
from adapters.errors import CredentialsRejected, ManualStep, Permanent, Retryable, Uncertain
from publisher.clock import Clock
from publisher.logs import log_event
from publisher.models import DeliveryState
from publisher.queue import content_for
from publisher.retry import RetryPolicy
from publisher.services.windows import PostingHours
from publisher.store import Claim, Outcome, Store
from publisher.store.windows import quiet_overrides

if TYPE_CHECKING:
    from publisher.breaker import Breaker

__all__ = ["Cause", "Decision", "Dispatcher", "copies_note", "worker_name"]

#: how long outcomes may wait to be written together; batching keeps the database cost per delivery small
FLUSH_DELAY = 0.01
#: sends started together before the event loop gets a turn (to write the requests already rendered)
STARTS_PER_TURN = 4


def worker_name() -> str:
    return f"{socket.gethostname()}:{os.getpid()}"


class Cause(enum.StrEnum):
    """Why a claimed delivery ended as it did: what the breaker and the logs go by (never the reason's words)."""

    SENT = "sent"  # the platform took it (or a lookup found an earlier attempt had landed)
    RATE_LIMITED = "rate_limited"  # the platform asked to wait (Retryable with a wait)
    SERVER_ERROR = "server_error"  # the platform was busy, failing or unreachable (Retryable): nothing took effect
    TRANSPORT_LOST = "transport_lost"  # the request may have landed, but no answer came (Uncertain)
    ADAPTER_ERROR = "adapter_error"  # the adapter raised something unexpected: may or may not have gone out
    CREDENTIALS_REJECTED = "credentials_rejected"  # the channel is paused until a person renews them
    REFUSED = "refused"  # the platform answered and refused this post (Permanent)
    HANDED_OVER = "handed_over"  # the platform kept it for a person to finish there (ManualStep: a WeChat draft)
    STOPPED = "stopped"  # this daemon stopped while the request was out: says nothing about the platform
    NOT_STARTED = "not_started"  # this daemon stopped before sending: given back, uncounted
    HELD = "held"  # due where its channel may not post (quiet hours): given back until the window's end

    @property
    def passing(self) -> bool:
        """A failure that says the platform is down or overloaded now: what the circuit breaker counts."""
        return self in _PASSING


_PASSING = frozenset({Cause.RATE_LIMITED, Cause.SERVER_ERROR, Cause.TRANSPORT_LOST, Cause.ADAPTER_ERROR})


@dataclasses.dataclass(frozen=True)
class Decision:
    """What the dispatcher made of one claimed delivery: the cause, and the outcome the store writes."""

    cause: Cause
    outcome: Outcome
    gave_up: bool = False  # the retries ran out: the outcome is ``failed``, the cause says what kept failing

    @property
    def channel(self) -> str:
        return self.outcome.channel


class Dispatcher:
    def __init__(
        self,
        store: Store,
        adapters: Mapping[str, Adapter],
        clock: Clock,
        *,
        policy: RetryPolicy | None = None,
        lease: timedelta = timedelta(minutes=5),
        concurrency: Mapping[str, int] | None = None,
        rate_per_minute: Mapping[str, float | None] | None = None,
        timezones: Mapping[str, str] | None = None,
        default_timezone: str = "UTC",
        owner: str | None = None,
        hours: PostingHours | None = None,
    ) -> None:
        self.store = store
        self.adapters = dict(adapters)
        self.clock = clock
        self.policy = policy or RetryPolicy()
        self.lease = lease
        self.owner = owner or worker_name()
        self.default_timezone = default_timezone
        self.hours = hours or PostingHours()
        concurrency = concurrency or {}
        self.caps = {name: concurrency.get(name) or a.limits.concurrency for name, a in self.adapters.items()}
        rates = rate_per_minute or {}
        self.limiters: dict[str, AsyncLimiter] = {}
        for name, adapter in self.adapters.items():
            rate = rates.get(name) or adapter.limits.rate_per_minute
            if rate:
                # one request per 60/rate seconds, no burst: platforms often cap per second too (Feishu: 5/s)
                self.limiters[name] = AsyncLimiter(1, 60 / rate)
        self.in_flight = dict.fromkeys(self.adapters, 0)
        self._tasks: set[asyncio.Task[None]] = set()
        self._pending: list[Outcome] = []
        self._sending: set[int] = set()  # deliveries whose request has started: only these can have landed
        self.wake = asyncio.Event()
        self.sent_count = 0
        self.breaker: Breaker | None = None  # the daemon's circuit breaker, told of every finished send

    # --- one pass, for `publisher dispatch --once` and for tests ---------------------------------------------------

    async def run_once(self) -> int:
        """Take back dead workers' leases, then send everything due now; returns the number of sends tried."""
        self.reclaim_expired()
        total = 0
        while True:
            started = self.start_due()
            if started == 0 and not self._tasks:
                break
            total += started
            await self.drain()
        return total

    async def drain(self) -> None:
        """Wait for every send in flight and write their outcomes."""
        while self._tasks:
            await asyncio.gather(*list(self._tasks))
        self.flush()

    # --- the daemon's moves ---------------------------------------------------------------------------------------

    def reclaim_expired(self) -> int:
        resend = {name for name, a in self.adapters.items() if a.idempotency in ("native", "lookup")}
        outcomes = self.store.reclaim_expired(self.clock.now(), resend, self.owner)
        for outcome in outcomes:
            log_event(
                "delivery." + outcome.state.value,
                delivery=outcome.delivery_id,
                channel=outcome.channel,
                reason=outcome.reason,
            )
        return len(outcomes)

    def free_slots(self) -> dict[str, int]:
        free = {}
        for name, cap in self.caps.items():
            slots = cap - self.in_flight[name]
            limiter = self.limiters.get(name)
            if limiter is not None:
                # claim only what may be sent at once, so a claimed row is a row in flight
                slots = min(slots, 1 if limiter.has_capacity() else 0)
            free[name] = max(0, slots)
        return free

    def start_due(self, only_batches: bool = False) -> int:
        """Claim due deliveries up to each channel's free capacity and start sending them; returns how many.

        With ``only_batches`` a channel is skipped until a quarter of its slots are free, so a busy daemon claims in
        batches rather than one row per finished request.
        """
        free = self.free_slots()
        if only_batches:
            free = {n: s for n, s in free.items() if s >= max(1, self.caps[n] // 4) or self.in_flight[n] == 0}
        free = {n: s for n, s in free.items() if s > 0}
        if not free:
            return 0
        claims = self.store.claim_due(self.clock.now(), self.owner, self.lease, free)
        for claim in claims:
            self.in_flight[claim.channel] += 1
        if self.hours:
            claims = self._hold_outside_hours(claims)
        for claim in claims[:STARTS_PER_TURN]:
            self._track(self._send(claim))
        if len(claims) > STARTS_PER_TURN:
            self._track(self._start_sends(claims[STARTS_PER_TURN:]))
        return len(claims)

    def _hold_outside_hours(self, claims: list[Claim]) -> list[Claim]:
        """Give back the claims whose channel may not post now (unless a person overrode that); returns the rest."""
        now = self.clock.now()
        holds = {}
        for claim in claims:
            hold = self.hours.hold(claim.channel, now, self._zone(claim))
            if hold is not None:
                holds[claim.delivery_id] = hold
        if not holds:
            return claims
        overridden = quiet_overrides(self.store, {c.post_id for c in claims if c.delivery_id in holds})
        kept = []
        for claim in claims:
            hold = holds.get(claim.delivery_id)
            if hold is None or claim.delivery_id in overridden:
                kept.append(claim)
                continue
            outcome = Outcome.of(
                claim,
                DeliveryState.QUEUED,
                reason=hold.describe(self._zone(claim)),
                due_at=hold.until,
                refund_attempt=True,
            )
            self._finish(claim, Decision(Cause.HELD, outcome))
        self.flush()  # written now: nothing else may come to flush them (a pass that sends nothing ends here)
        return kept

    def _zone(self, claim: Claim) -> str:
        return claim.post.campaign.timezone if claim.post.campaign else self.default_timezone

    def _track(self, coroutine: Coroutine[Any, Any, None]) -> None:
        task = asyncio.create_task(coroutine)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def _start_sends(self, claims: list[Claim]) -> None:
        """Start the rest of a batch a few sends per turn of the event loop, so requests go out as they are rendered.

        (aiohttp on Python 3.11 writes a request's body in a task of its own: sends started all at once would put a
        whole batch on the wire only after the last one was rendered, and their answers would all come back at once.)
        """
        for index in range(0, len(claims), STARTS_PER_TURN):
            try:
                await asyncio.sleep(0)
            except asyncio.CancelledError:
                for unsent in claims[index:]:
                    self._finish(unsent, self._given_back(unsent))
                raise
            for claim in claims[index : index + STARTS_PER_TURN]:
                self._track(self._send(claim))

    def flush(self) -> None:
        if self._pending:
            self.store.record(self._pending, self.owner, self.clock.now())
            self._pending = []  # only once written: while the database is away they wait here (no await between)

    @property
    def pending_outcomes(self) -> int:
        return len(self._pending)

    @property
    def busy(self) -> bool:
        return bool(self._tasks)

    async def cancel_in_flight(self) -> None:
        """Stop sends still running (shutdown grace is over): each is recorded by what may have happened."""
        for task in list(self._tasks):
            task.cancel()
        await asyncio.gather(*list(self._tasks), return_exceptions=True)
        self.flush()

    # --- one send -------------------------------------------------------------------------------------------------

    async def _send(self, claim: Claim) -> None:
        adapter = self.adapters[claim.channel]
        try:
            decision = await self._attempt(adapter, claim)
        except asyncio.CancelledError:
            if claim.delivery_id in self._sending:
                decision = self._unknown(adapter, claim, "stopped while sending (daemon shutting down)", Cause.STOPPED)
            else:
                decision = self._given_back(claim)
            self._finish(claim, decision)
            raise
        finally:
            self._sending.discard(claim.delivery_id)
        self._finish(claim, decision)

    def _given_back(self, claim: Claim) -> Decision:
        """The claim never left this process (the daemon is stopping): give the lease back, uncounted."""
        outcome = Outcome.of(claim, DeliveryState.QUEUED, reason="daemon stopped before sending", refund_attempt=True)
        return Decision(Cause.NOT_STARTED, outcome)

    def _finish(self, claim: Claim, decision: Decision) -> None:
        outcome = decision.outcome
        self.in_flight[claim.channel] -= 1
        self._pending.append(outcome)
        if outcome.state == DeliveryState.SENT:
            self.sent_count += 1
        level = logging.INFO if decision.cause in (Cause.SENT, Cause.HELD) else logging.WARNING
        log_event(
            "delivery." + outcome.state.value,
            level,
            delivery=claim.delivery_id,
            post=claim.post_id,
            channel=claim.channel,
            attempt=claim.attempts,
            cause=decision.cause.value,
            remote_id=outcome.remote_id,
            reason=outcome.reason,
        )
        self.wake.set()
        if self.breaker is not None:
            self.breaker.observe(decision)

    async def _attempt(self, adapter: Adapter, claim: Claim) -> Decision:
        post = claim.post
        timezone = self._zone(claim)
        try:
            payload = adapter.render(content_for(post, claim.channel, timezone, claim.due_at, claim.link))
            limiter = self.limiters.get(claim.channel)
            if limiter is not None:
                await limiter.acquire()
            self._sending.add(claim.delivery_id)
            if adapter.idempotency == "lookup" and claim.attempts > 1:
                # an earlier attempt may have landed: ask before sending again
                found = await adapter.lookup(claim.idempotency_key)
                if found is not None:
                    return self._sent(claim, found, "found by lookup after an earlier unanswered attempt")
            receipt = await adapter.publish(payload, claim.idempotency_key)
        except Retryable as exc:
            cause = Cause.RATE_LIMITED if exc.after is not None else Cause.SERVER_ERROR
            return self._retry(claim, exc.reason, exc.after, cause)
        except CredentialsRejected as exc:
            self.store.set_paused(
                claim.channel, True, f"credentials rejected: {exc.reason}", self.clock.now(), self.owner
            )
            outcome = Outcome.of(
                claim,
                DeliveryState.QUEUED,
                refund_attempt=True,
                reason=f"channel paused, credentials rejected: {exc.reason}",
            )
            return Decision(Cause.CREDENTIALS_REJECTED, outcome)
        except Permanent as exc:
            outcome = Outcome.of(claim, DeliveryState.FAILED, reason=exc.reason)
            return Decision(Cause.REFUSED, outcome)
        except ManualStep as exc:  # never resent, whatever the platform's idempotency: a person finishes it there
            reason = f"{exc.reason}; once done: post resolve {claim.post_id} --sent"
            return Decision(Cause.HANDED_OVER, Outcome.of(claim, DeliveryState.UNCERTAIN, reason=reason))
        except Uncertain as exc:
            return self._unknown(adapter, claim, exc.reason, Cause.TRANSPORT_LOST)
        except Exception as exc:  # an adapter bug: the request may or may not have gone out
            logging.getLogger(__name__).exception("adapter %s raised unexpectedly", claim.channel)
            why = f"unexpected {type(exc).__name__} in the {adapter.kind} adapter"
            return self._unknown(adapter, claim, why, Cause.ADAPTER_ERROR)
        return self._sent(claim, receipt)

    def _sent(self, claim: Claim, receipt: Receipt, reason: str | None = None) -> Decision:
        reason = "; ".join(note for note in (reason, copies_note(receipt)) if note) or None
        outcome = Outcome.of(
            claim, DeliveryState.SENT, reason=reason, remote_id=receipt.remote_id, remote_url=receipt.url
        )
        return Decision(Cause.SENT, outcome)

    def _retry(self, claim: Claim, reason: str, after: float | None, cause: Cause) -> Decision:
        if self.policy.gives_up(claim.attempts):
            outcome = Outcome.of(
                claim, DeliveryState.FAILED, reason=f"gave up after {claim.attempts} attempts: {reason}"
            )
            return Decision(cause, outcome, gave_up=True)
        wait = self.policy.delay(claim.attempts, after)
        due = self.clock.now() + timedelta(seconds=wait)
        outcome = Outcome.of(claim, DeliveryState.RETRY_WAIT, reason=reason, due_at=due)
        return Decision(cause, outcome)

    def _unknown(self, adapter: Adapter, claim: Claim, reason: str, cause: Cause) -> Decision:
        """The request may have landed. Resend only where the platform drops repeats or can be asked."""
        if adapter.idempotency in ("native", "lookup") and not self.policy.gives_up(claim.attempts):
            return self._retry(claim, reason, None, cause)
        outcome = Outcome.of(
            claim,
            DeliveryState.UNCERTAIN,
            reason=f"{reason}; check {claim.channel} and resolve: post resolve {claim.post_id} --sent|--resend",
        )
        return Decision(cause, outcome)


def copies_note(receipt: Receipt) -> str | None:
    """What the adapter did with extra copies of the post it found (a request that landed late made a twin), for the
    delivery's history: ids it moved to the trash (``details["trashed"]``) and ids it could not remove
    (``details["duplicates_left"]``, the platform's answer in ``details["duplicate_error"]``)."""
    trashed, left = receipt.details.get("trashed") or (), receipt.details.get("duplicates_left") or ()
    notes = [f"extra copies moved to the trash: {', '.join(map(str, trashed))}"] if trashed else []
    if left:
        why = receipt.details.get("duplicate_error")
        notes.append(
            f"extra copies left online, remove them by hand: {', '.join(map(str, left))}" + (f" ({why})" if why else "")
        )
    return "; ".join(notes) or None
