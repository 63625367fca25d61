"""Password hashing with argon2id (argon2-cffi), the first choice of OWASP's password storage guidance.

``PasswordHasher`` picks a random salt per hash and writes its parameters into the hash, so stronger parameters
can be adopted later and old hashes upgraded at the next sign-in (``needs_rehash``).
"""

from __future__ import annotations

from functools import cached_property

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

from publisher.errors import ValidationError

__all__ = ["MIN_LENGTH", "Passwords"]

MIN_LENGTH = 10


class Passwords:
    def __init__(self, hasher: PasswordHasher | None = None) -> None:
        self.hasher = hasher or PasswordHasher()  # argon2id, RFC 9106 "low memory" parameters (64 MiB, t=3)

    @staticmethod
    def check(password: str) -> None:
        """Refuse a password too short to resist guessing (length is what matters, not character classes)."""
        if len(password) < MIN_LENGTH:
            raise ValidationError(f"the password is too short: use at least {MIN_LENGTH} characters")
        if len(password) > 1024:
            raise ValidationError("the password is too long: use at most 1024 characters")

    def hash(self, password: str) -> str:
        return self.hasher.hash(password)

    def verify(self, stored: str, password: str) -> bool:
        try:
            return self.hasher.verify(stored, password)
        except (VerificationError, InvalidHashError):
            return False

    def needs_rehash(self, stored: str) -> bool:
        return self.hasher.check_needs_rehash(stored)

    @cached_property
    def dummy(self) -> str:
        """A hash to check against when the name is unknown, so that a wrong name takes as long as a wrong password."""
        return self.hasher.hash("not a password of anyone's")
