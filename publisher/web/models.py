"""The console's own tables: people who sign in, their browser sessions, API tokens, and sign-in attempts.

On the project's ``Base``, so ``publisher init`` creates them (migration ``0003w``). Passwords and tokens are
stored only as hashes: an argon2id hash for a password, a SHA-256 digest for a token (a token is 256 random bits,
so a fast hash is enough; a password needs a slow one).
"""

from __future__ import annotations

import enum
from datetime import datetime

from sqlalchemy import Boolean, ForeignKey, Index, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from publisher.models import Base

__all__ = ["ApiToken", "LoginAttempt", "Role", "User", "WebSession"]


class Role(enum.StrEnum):
    """What a person may do. Each role may do everything the ones before it may."""

    EDITOR = "editor"  # compose, submit, edit, reschedule and cancel posts
    APPROVER = "approver"  # and approve or reject, and settle uncertain deliveries
    ADMIN = "admin"  # and manage channels and users

    @property
    def rank(self) -> int:
        return list(Role).index(self)

    def may(self, needed: Role) -> bool:
        return self.rank >= needed.rank


class User(Base):
    __tablename__ = "users"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(100), unique=True)
    password_hash: Mapped[str] = mapped_column(String(255))
    role: Mapped[str] = mapped_column(String(20), default=Role.EDITOR)
    language: Mapped[str | None] = mapped_column(String(8))  # None: the console's default
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[datetime]
    last_login_at: Mapped[datetime | None]

    tokens: Mapped[list[ApiToken]] = relationship(back_populates="user", order_by="ApiToken.id")


class ApiToken(Base):
    __tablename__ = "api_tokens"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    label: Mapped[str] = mapped_column(String(100))
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)  # SHA-256, hex
    prefix: Mapped[str] = mapped_column(String(16))  # the token's first characters, to tell tokens apart
    created_at: Mapped[datetime]
    last_used_at: Mapped[datetime | None]
    revoked_at: Mapped[datetime | None]

    user: Mapped[User] = relationship(back_populates="tokens", lazy="joined")


class LoginAttempt(Base):
    """One sign-in attempt. Kept a day, so limits hold across restarts and across processes."""

    __tablename__ = "login_attempts"
    __table_args__ = (
        Index("ix_login_attempts_name_at", "name", "at"),
        Index("ix_login_attempts_address_at", "address", "at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    at: Mapped[datetime]
    name: Mapped[str] = mapped_column(String(100))
    address: Mapped[str] = mapped_column(String(64))
    success: Mapped[bool] = mapped_column(Boolean)


class WebSession(Base):
    """One signed-in browser (migration ``0008``). The cookie carries a random token; only its SHA-256 is kept, so
    a copy of the database does not sign anyone in. Ending a session deletes its row: nothing can bring it back."""

    __tablename__ = "web_sessions"
    __table_args__ = (Index("ix_web_sessions_user_id", "user_id"),)

    id: Mapped[str] = mapped_column(String(64), primary_key=True)  # SHA-256 of the cookie's token, hex
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime]
    last_seen_at: Mapped[datetime]  # written at most once a minute, for the idle lifetime
    expires_at: Mapped[datetime]  # created_at + [web] session_max_hours: the absolute lifetime
    user_agent: Mapped[str] = mapped_column(String(200))  # shown on the account page, to tell sessions apart
    address: Mapped[str] = mapped_column(String(64))
