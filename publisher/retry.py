"""When to try a failed send again.

The wait is stored as the delivery's new ``due_at`` rather than slept on in memory, so a restart keeps it; that is
why this is a formula and not an in-process retry loop. Exponential backoff with "full jitter" (a random wait between
half the exponential step and the whole of it) spreads retries of many deliveries that failed together.
"""

from __future__ import annotations

import random
from dataclasses import dataclass

__all__ = ["RetryPolicy"]

_RNG = random.Random()


@dataclass(frozen=True)
class RetryPolicy:
    initial: float = 30.0
    maximum: float = 3600.0
    max_attempts: int = 8

    def gives_up(self, attempts: int) -> bool:
        """True when ``attempts`` sends have been made and no more are allowed."""
        return attempts >= self.max_attempts

    def delay(self, attempts: int, retry_after: float | None = None, rng: random.Random | None = None) -> float:
        """Seconds to wait after the ``attempts``-th failed send; a platform's ``Retry-After`` is a floor."""
        rng = rng or _RNG
        if retry_after is not None:
            # the platform said when: wait that long, plus a little so a crowd does not return at the same instant
            return retry_after + rng.uniform(0, min(5.0, 0.1 * retry_after + 0.5))
        step = min(self.maximum, self.initial * 2 ** max(0, attempts - 1))
        return rng.uniform(step / 2, step)
