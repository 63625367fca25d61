"""The console's people, API tokens, sign-in attempts and browser sessions (``publisher.web.accounts`` holds the
rules: who may do what, how long a session lives, when sign-ins slow down)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import delete, func, or_, select, update
from sqlalchemy.orm import Session

from publisher.store.engine import StoreBase
from publisher.web.models import ApiToken, LoginAttempt, Role, User, WebSession

__all__ = [
    "add_web_session",
    "admins_besides",
    "count_active_admins",
    "end_user_web_sessions",
    "end_web_session",
    "failed_attempts",
    "forget_attempts_before",
    "last_successful_attempt",
    "list_tokens",
    "list_users",
    "prune_web_sessions",
    "revoke_user_tokens",
    "token_by_hash",
    "touch_web_session",
    "user_by_name",
    "user_id_named",
    "user_web_sessions",
    "web_session",
]


# --- people and tokens ------------------------------------------------------------------------------------------


def user_id_named(session: Session, name: str) -> int | None:
    return session.scalar(select(User.id).where(User.name == name))


def user_by_name(session: Session, name: str) -> User | None:
    return session.scalar(select(User).where(User.name == name))


def list_users(session: Session) -> list[User]:
    return list(session.scalars(select(User).order_by(User.name)))


def count_active_admins(session: Session) -> int:
    query = select(func.count()).select_from(User).where(User.role == Role.ADMIN, User.active.is_(True))
    return int(session.scalar(query) or 0)


def admins_besides(session: Session, user_id: int) -> int:
    """How many active admins there are other than ``user_id``."""
    query = (
        select(func.count()).select_from(User).where(User.role == Role.ADMIN, User.active.is_(True), User.id != user_id)
    )
    return int(session.scalar(query) or 0)


def revoke_user_tokens(session: Session, user_id: int, now: datetime) -> None:
    session.execute(
        update(ApiToken).where(ApiToken.user_id == user_id, ApiToken.revoked_at.is_(None)).values(revoked_at=now)
    )


def list_tokens(session: Session, user_id: int | None = None) -> list[ApiToken]:
    """One user's tokens, or everyone's, oldest first."""
    query = select(ApiToken).order_by(ApiToken.id)
    if user_id is not None:
        query = query.where(ApiToken.user_id == user_id)
    return list(session.scalars(query))


def token_by_hash(session: Session, token_hash: str) -> ApiToken | None:
    return session.scalar(select(ApiToken).where(ApiToken.token_hash == token_hash))


# --- sign-in attempts ---------------------------------------------------------------------------------------------


def forget_attempts_before(session: Session, before: datetime) -> None:
    session.execute(delete(LoginAttempt).where(LoginAttempt.at < before))


def last_successful_attempt(session: Session, name: str, address: str) -> datetime | None:
    """When ``name`` last signed in from ``address`` (among the attempts kept)."""
    return session.scalar(
        select(func.max(LoginAttempt.at)).where(
            LoginAttempt.name == name, LoginAttempt.address == address, LoginAttempt.success.is_(True)
        )
    )


def failed_attempts(
    session: Session,
    since: datetime,
    *,
    name: str | None = None,
    address: str | None = None,
    other_address: bool = False,
) -> tuple[int, datetime | None]:
    """Failed attempts after ``since`` (by ``name``, from ``address``, or with ``other_address`` from anywhere but
    ``address``): how many, and the latest."""
    query = select(func.count(), func.max(LoginAttempt.at)).where(
        LoginAttempt.success.is_(False), LoginAttempt.at > since
    )
    if name is not None:
        query = query.where(LoginAttempt.name == name)
    if address is not None:
        query = query.where(LoginAttempt.address != address if other_address else LoginAttempt.address == address)
    count, latest = session.execute(query).one()
    return int(count or 0), latest


# --- browser sessions ---------------------------------------------------------------------------------------------


def add_web_session(store: StoreBase, row: WebSession) -> None:
    with store.session() as session:
        session.add(row)


def web_session(store: StoreBase, session_id: str) -> WebSession | None:
    with store.sessions() as session:
        return session.get(WebSession, session_id)


def touch_web_session(store: StoreBase, session_id: str, now: datetime) -> None:
    with store.session() as session:
        session.execute(update(WebSession).where(WebSession.id == session_id).values(last_seen_at=now))


def end_web_session(store: StoreBase, session_id: str, user_id: int | None = None) -> bool:
    """Delete one session (only if it is ``user_id``'s, when given); False if there was none."""
    query = delete(WebSession).where(WebSession.id == session_id)
    if user_id is not None:
        query = query.where(WebSession.user_id == user_id)
    with store.session() as session:
        return bool(session.execute(query).rowcount)  # type: ignore[attr-defined]


def end_user_web_sessions(session: Session, user_id: int, keep: str | None = None) -> int:
    """In the caller's transaction: delete every session of ``user_id`` but ``keep``; returns how many ended."""
    query = delete(WebSession).where(WebSession.user_id == user_id)
    if keep is not None:
        query = query.where(WebSession.id != keep)
    return int(session.execute(query).rowcount)  # type: ignore[attr-defined]


def user_web_sessions(store: StoreBase, user_id: int) -> list[WebSession]:
    with store.sessions() as session:
        query = select(WebSession).where(WebSession.user_id == user_id).order_by(WebSession.created_at.desc())
        return list(session.scalars(query))


def prune_web_sessions(store: StoreBase, now: datetime, idle_since: datetime) -> None:
    """Delete the sessions past their absolute lifetime or idle since before ``idle_since``."""
    with store.session() as session:
        session.execute(
            delete(WebSession).where(or_(WebSession.expires_at <= now, WebSession.last_seen_at < idle_since))
        )
