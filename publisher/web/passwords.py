"""Password hashing with argon2id (argon2-cffi), the first choice of OWASP's password storage guidance.

``PasswordHasher`` picks a random salt per hash and writes its parameters into the hash, so stronger parameters
can be adopted later and old hashes upgraded at the next sign-in (``needs_rehash``).

The parameters are OWASP's first choice for argon2id: 19 MiB, t=2, p=1 (its cheat sheet lists them beside 46 MiB at
t=1 as equal protection). Until issue 10 they were RFC 9106's 64 MiB, t=3: two of those at once already took the
console past its 200 MB target (bench/signin.py). Such hashes still verify, and are redone with these parameters
at the owner's next sign-in.

Each hash takes its memory for tens of milliseconds on purpose, so at most ``max_concurrent`` run at once (``[web]
max_concurrent_password_checks``): a check that finds every slot taken is refused at once (``PasswordChecksBusy``,
a 429 at sign-in) instead of queueing, so a burst of sign-ins cannot grow the process (40 at once took 2.6 GB).
The hashes run on ``max_concurrent`` threads of their own: glibc keeps a freed 19 MiB block in the malloc arena of
the thread that used it, so hashing on any of the web server's 40 worker threads would leave up to 40 such blocks.
The counters (``hashed``, ``in_flight``, ``peak_in_flight``, ``refused``) are what ``bench/signin.py`` reports.
"""

from __future__ import annotations

import contextlib
import threading
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from typing import TypeVar

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

from publisher.errors import PublisherError, ValidationError

__all__ = ["MIN_LENGTH", "PasswordChecksBusy", "Passwords"]

MIN_LENGTH = 10
T = TypeVar("T")
#: how long setting a password (an admin's or one's own change, never a sign-in) waits for a free slot
HASH_WAIT_SECONDS = 10.0


class PasswordChecksBusy(PublisherError):
    """Every password-check slot was taken; nothing was hashed. Worth trying again in ``retry_after`` seconds."""

    retry_after = 1

    def __init__(self) -> None:
        super().__init__("the console is checking too many passwords at once; try again in a few seconds")


class Passwords:
    def __init__(self, hasher: PasswordHasher | None = None, *, max_concurrent: int = 2) -> None:
        self.hasher = hasher or PasswordHasher(time_cost=2, memory_cost=19 * 1024, parallelism=1)
        self.max_concurrent = max_concurrent
        self._slots = threading.BoundedSemaphore(max_concurrent)
        # as many threads as slots, so never a queue: a check that holds a slot starts at once
        self._threads = ThreadPoolExecutor(max_workers=max_concurrent, thread_name_prefix="password-check")
        self._counting = threading.Lock()
        self._making_dummy = threading.Lock()
        self._dummy: str | None = None
        self.hashed = 0  # argon2 runs started
        self.in_flight = 0
        self.peak_in_flight = 0
        self.refused = 0  # checks turned away unhashed

    @staticmethod
    def check(password: str) -> None:
        """Refuse a password too short to resist guessing (length is what matters, not character classes)."""
        if len(password) < MIN_LENGTH:
            raise ValidationError.of("the password is too short: use at least {least} characters", least=MIN_LENGTH)
        if len(password) > 1024:
            raise ValidationError.of("the password is too long: use at most {most} characters", most=1024)

    def _run(self, wait: float | None, work: Callable[[], T]) -> T:
        """``work`` on a password-check thread, holding one of the slots (see ``_slot``)."""
        with self._slot(wait):
            return self._threads.submit(work).result()

    @contextlib.contextmanager
    def _slot(self, wait: float | None) -> Iterator[None]:
        """Hold one of the ``max_concurrent`` slots: without ``wait``, refuse at once if none is free."""
        taken = self._slots.acquire(timeout=wait) if wait else self._slots.acquire(blocking=False)
        if not taken:
            with self._counting:
                self.refused += 1
            raise PasswordChecksBusy()
        with self._counting:
            self.hashed += 1
            self.in_flight += 1
            self.peak_in_flight = max(self.peak_in_flight, self.in_flight)
        try:
            yield
        finally:
            with self._counting:
                self.in_flight -= 1
            self._slots.release()

    def hash(self, password: str) -> str:
        return self._run(HASH_WAIT_SECONDS, lambda: self.hasher.hash(password))

    def verify(self, stored: str | None, password: str) -> bool:
        """Whether ``password`` matches ``stored``; None (an unknown or disabled name) is checked against a dummy
        hash, so a wrong name takes as long as a wrong password. Raises ``PasswordChecksBusy`` unhashed."""

        def check() -> bool:
            try:
                return self.hasher.verify(self._dummy_hash() if stored is None else stored, password)
            except (VerificationError, InvalidHashError):
                return False

        return self._run(None, check)

    def needs_rehash(self, stored: str) -> bool:
        return self.hasher.check_needs_rehash(stored)

    def _dummy_hash(self) -> str:
        # made inside the caller's slot, once: a cold burst of unknown names must not each make one
        with self._making_dummy:
            if self._dummy is None:
                self._dummy = self.hasher.hash("not a password of anyone's")
            return self._dummy
