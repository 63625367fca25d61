"""The circuit breaker: a channel that keeps failing is paused, probed after a cool-down, and resumed when it answers.

Each daemon counts, per channel, the sends in a row that failed for a passing cause (the dispatcher's ``Decision``
carries it as a ``Cause``, never as words to match): the platform asked to wait (``Retryable``: 429, 5xx, a refused
connection), or the answer never came (``Uncertain``: timeouts, resets, malformed answers), whether or not retries
ran out. At ``threshold`` of them the circuit opens: the channel is paused in the database,
marked ``paused_by = "breaker"`` with a probe time ``cooldown`` seconds ahead, so that no daemon claims for it.
Deliveries keep their states (retry_wait, queued, uncertain): nothing is lost, and no attempts are spent against a
platform that is down. Once the probe time has passed, one daemon (whichever takes the probe first: a conditional
update) calls the adapter's ``check()``. If it passes, the channel is resumed and the waiting deliveries go out;
if not, the next probe is ``cooldown`` seconds later.

A success closes the count; a permanent error (the platform answered and refused the post itself), rejected
credentials (they have their own pause, which waits for a person), this daemon's own shutdown and a delivery held
for quiet hours leave it as it is. A channel paused by a
person or for its credentials is never resumed here: only the breaker's own pauses are.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from datetime import datetime, timedelta

from adapters.base import Adapter
from adapters.errors import ChannelError
from publisher.clock import Clock
from publisher.dispatcher import Cause, Decision
from publisher.logs import log_event
from publisher.store import OUTAGE_ERRORS, Store

__all__ = ["BREAKER", "Breaker"]

BREAKER = "breaker"  # channels.paused_by for the breaker's own pauses


class Breaker:
    def __init__(
        self,
        store: Store,
        adapters: Mapping[str, Adapter],
        clock: Clock,
        owner: str,
        *,
        threshold: int = 5,
        cooldown: float = 60.0,
    ) -> None:
        self.store = store
        self.adapters = adapters
        self.clock = clock
        self.owner = owner
        self.threshold = threshold
        self.cooldown = timedelta(seconds=cooldown)
        self.failures = dict.fromkeys(adapters, 0)
        self.opened = 0  # circuits this daemon opened (for tests and logs)

    # --- counting, from the dispatcher ----------------------------------------------------------------------------

    def observe(self, decision: Decision) -> None:
        """Count one finished send by its cause; opens the circuit at ``threshold`` passing failures in a row."""
        channel = decision.channel
        if decision.cause == Cause.SENT:
            self.failures[channel] = 0
            return
        if not decision.cause.passing:
            return
        self.failures[channel] = self.failures.get(channel, 0) + 1
        if self.failures[channel] >= self.threshold:
            self._open(channel, decision.outcome.reason or decision.cause.value)

    def _open(self, channel: str, reason: str) -> None:
        now = self.clock.now()
        why = f"circuit open after {self.failures[channel]} failed sends in a row (last: {reason})"
        try:
            opened = self.store.open_circuit(channel, BREAKER, now + self.cooldown, why, now, self.owner)
        except OUTAGE_ERRORS:
            return  # the database is away (the daemon says so): count on, and open at the next failure
        self.failures[channel] = 0
        if opened:
            self.opened += 1
            log_event(
                "channel.circuit_open",
                logging.WARNING,
                channel=channel,
                reason=why,
                probe_at=(now + self.cooldown).isoformat(),
            )

    # --- probing, from a daemon timer --------------------------------------------------------------------------------

    def due_probes(self, now: datetime) -> list[str]:
        """Take the probes that are due on this daemon's channels (each taken by one daemon only)."""
        return self.store.take_probes(BREAKER, list(self.adapters), now, now + self.cooldown)

    async def probe(self) -> list[str]:
        """Probe every channel whose cool-down is over; returns those resumed."""
        resumed = []
        for name in self.due_probes(self.clock.now()):
            try:
                answer = await self.adapters[name].check()
            except ChannelError as exc:
                log_event("channel.probe_failed", logging.WARNING, channel=name, reason=exc.reason)
                continue
            except Exception as exc:  # an adapter bug or a transport error: the channel stays paused
                log_event("channel.probe_failed", logging.WARNING, channel=name, reason=f"{type(exc).__name__}: {exc}")
                continue
            if self._close(name, answer):
                resumed.append(name)
        return resumed

    def _close(self, channel: str, answer: str) -> bool:
        now = self.clock.now()
        why = f"{channel}: probe passed ({answer}); circuit closed"
        if not self.store.close_circuit(channel, BREAKER, why, now, self.owner):
            return False  # a person resumed it (or paused it for their own reason) meanwhile
        self.failures[channel] = 0
        log_event("channel.circuit_closed", channel=channel, reason=answer)
        return True
