"""People, API tokens and sign-in attempts: the console's own rules and the only SQL in ``publisher.web``.

Every change is appended to the project's event log (who did what to whom), like every change in the queue.
"""

from __future__ import annotations

import hashlib
import secrets
import unicodedata
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import delete, func, select
from sqlalchemy.orm import Session

from publisher.clock import Clock
from publisher.errors import NotFoundError, ValidationError
from publisher.models import Event
from publisher.store import Store
from publisher.web.models import ApiToken, LoginAttempt, Role, User
from publisher.web.passwords import Passwords

__all__ = ["LANGUAGES", "Accounts", "SignInRefused", "TooManyAttempts", "UserView", "record_event"]

LANGUAGES = ("zh", "en")
TOKEN_PREFIX = "pub_"  # noqa: S105  (a public marker, not a secret)
#: failed sign-ins counted over this window ...
ATTEMPT_WINDOW = timedelta(minutes=15)
#: ... at most this many for one name (since its last success) ...
MAX_FAILURES_PER_NAME = 5
#: ... and this many from one address (a team behind one office router shares it, hence higher)
MAX_FAILURES_PER_ADDRESS = 30
#: attempts older than this are deleted
ATTEMPT_RETENTION = timedelta(days=1)


class SignInRefused(Exception):
    """Wrong name or password (which one is not said)."""


class TooManyAttempts(Exception):
    """Too many failed sign-ins; ``wait`` is how long until the next attempt is considered."""

    def __init__(self, wait: timedelta) -> None:
        super().__init__(f"too many failed sign-ins; try again in {int(wait.total_seconds() // 60) + 1} minutes")
        self.wait = wait


@dataclass(frozen=True)
class UserView:
    """A user as pages and the API see one: never the password hash."""

    id: int
    name: str
    role: Role
    language: str | None
    active: bool
    created_at: datetime
    last_login_at: datetime | None
    marker: str  # changes when the password changes or the user is deactivated: ends their sessions

    @classmethod
    def of(cls, user: User) -> UserView:
        marker = hashlib.sha256(f"{user.password_hash}|{user.active}|{user.role}".encode()).hexdigest()[:16]
        return cls(
            user.id,
            user.name,
            Role(user.role),
            user.language,
            user.active,
            user.created_at,
            user.last_login_at,
            marker,
        )

    def may(self, needed: Role) -> bool:
        return self.active and self.role.may(needed)


@dataclass(frozen=True)
class TokenView:
    id: int
    user: str
    label: str
    prefix: str
    created_at: datetime
    last_used_at: datetime | None
    revoked_at: datetime | None


def _hash_token(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def _check_name(name: str) -> str:
    name = unicodedata.normalize("NFC", name.strip())
    if not name:
        raise ValidationError("a user needs a name")
    if len(name) > 100:
        raise ValidationError("a user name can be at most 100 characters")
    if any(unicodedata.category(ch).startswith("C") for ch in name):
        raise ValidationError("a user name cannot contain control characters")
    return name


def _check_role(role: str) -> Role:
    try:
        return Role(role)
    except ValueError:
        raise ValidationError(f"unknown role {role!r}; choose one of: {', '.join(r.value for r in Role)}") from None


def _check_language(language: str | None) -> str | None:
    if language is not None and language not in LANGUAGES:
        raise ValidationError(f"unknown language {language!r}; choose one of: {', '.join(LANGUAGES)}")
    return language


class Accounts:
    def __init__(self, store: Store, clock: Clock, passwords: Passwords | None = None) -> None:
        self.store = store
        self.clock = clock
        self.passwords = passwords or Passwords()

    # --- users --------------------------------------------------------------------------------------------------

    def add_user(self, name: str, password: str, role: str, *, language: str | None = None, actor: str) -> UserView:
        name = _check_name(name)
        checked_role = _check_role(role)
        language = _check_language(language)
        self.passwords.check(password)
        hashed = self.passwords.hash(password)
        with self.store.session() as session:
            if session.scalar(select(User.id).where(User.name == name)) is not None:
                raise ValidationError(f"a user called {name!r} already exists")
            user = User(
                name=name,
                password_hash=hashed,
                role=checked_role.value,
                language=language,
                active=True,
                created_at=self.clock.now(),
            )
            session.add(user)
            session.flush()
            self._event(session, actor, "user.add", f"{name} ({checked_role.value})")
            return UserView.of(user)

    def users(self) -> list[UserView]:
        with self.store.sessions() as session:
            return [UserView.of(u) for u in session.scalars(select(User).order_by(User.name))]

    def get(self, user_id: int) -> UserView | None:
        with self.store.sessions() as session:
            user = session.get(User, user_id)
            return UserView.of(user) if user else None

    def has_admin(self) -> bool:
        with self.store.sessions() as session:
            query = select(func.count()).select_from(User).where(User.role == Role.ADMIN, User.active.is_(True))
            return bool(session.scalar(query))

    def set_role(self, user_id: int, role: str, *, actor: str) -> None:
        checked = _check_role(role)
        with self.store.session() as session:
            user = self._user(session, user_id)
            if user.role == Role.ADMIN and checked != Role.ADMIN:
                self._keep_an_admin(session, user)
            user.role = checked.value
            self._event(session, actor, "user.role", f"{user.name}: {checked.value}")

    def set_active(self, user_id: int, active: bool, *, actor: str) -> None:
        with self.store.session() as session:
            user = self._user(session, user_id)
            if not active and user.role == Role.ADMIN:
                self._keep_an_admin(session, user)
            user.active = active
            self._event(session, actor, "user.activate" if active else "user.deactivate", user.name)

    def set_password(self, user_id: int, password: str, *, actor: str) -> None:
        self.passwords.check(password)
        hashed = self.passwords.hash(password)
        with self.store.session() as session:
            user = self._user(session, user_id)
            user.password_hash = hashed
            self._event(session, actor, "user.password", user.name)

    def change_own_password(self, user_id: int, current: str, new: str) -> None:
        with self.store.sessions() as session:
            user = self._user(session, user_id)
            stored, name = user.password_hash, user.name
        if not self.passwords.verify(stored, current):
            raise ValidationError("the current password is not right")
        self.set_password(user_id, new, actor=name)

    def set_language(self, user_id: int, language: str | None) -> None:
        checked = _check_language(language)
        with self.store.session() as session:
            self._user(session, user_id).language = checked

    # --- signing in ---------------------------------------------------------------------------------------------

    def authenticate(self, name: str, password: str, address: str) -> UserView:
        """The user, if ``name`` and ``password`` match an active user. Raises ``TooManyAttempts`` (without checking
        the password) after too many failures for the name or from the address, else ``SignInRefused``."""
        name = unicodedata.normalize("NFC", name.strip())[:100]
        address = address[:64]
        now = self.clock.now()
        self._check_attempts(name, address, now)
        with self.store.sessions() as session:
            user = session.scalar(select(User).where(User.name == name))
            stored = user.password_hash if user is not None and user.active else self.passwords.dummy
        ok = self.passwords.verify(stored, password) and user is not None and user.active
        rehashed = self.passwords.hash(password) if ok and self.passwords.needs_rehash(stored) else None
        view: UserView | None = None
        with self.store.session() as session:  # the attempt is recorded whatever its outcome
            session.add(LoginAttempt(at=now, name=name, address=address, success=ok))
            session.execute(delete(LoginAttempt).where(LoginAttempt.at < now - ATTEMPT_RETENTION))
            if ok and user is not None:
                row = self._user(session, user.id)
                row.last_login_at = now
                if rehashed:
                    row.password_hash = rehashed
                view = UserView.of(row)
        if view is None:
            raise SignInRefused()
        return view

    def _check_attempts(self, name: str, address: str, now: datetime) -> None:
        since = now - ATTEMPT_WINDOW
        with self.store.sessions() as session:
            last_success = session.scalar(
                select(func.max(LoginAttempt.at)).where(LoginAttempt.name == name, LoginAttempt.success.is_(True))
            )
            name_since = max(since, last_success) if last_success else since
            by_name = session.execute(
                select(func.count(), func.min(LoginAttempt.at)).where(
                    LoginAttempt.name == name, LoginAttempt.success.is_(False), LoginAttempt.at > name_since
                )
            ).one()
            by_address = session.execute(
                select(func.count(), func.min(LoginAttempt.at)).where(
                    LoginAttempt.address == address, LoginAttempt.success.is_(False), LoginAttempt.at > since
                )
            ).one()
        for (count, oldest), limit in ((by_name, MAX_FAILURES_PER_NAME), (by_address, MAX_FAILURES_PER_ADDRESS)):
            if count >= limit:
                raise TooManyAttempts(oldest + ATTEMPT_WINDOW - now)

    # --- API tokens ---------------------------------------------------------------------------------------------

    def create_token(self, user_id: int, label: str, *, actor: str) -> tuple[TokenView, str]:
        """A new token for the user; returns it with its plain text, which is shown once and never stored."""
        label = label.strip()
        if not label or len(label) > 100:
            raise ValidationError("give the token a label of 1 to 100 characters (what it is for, e.g. 'wechat-bot')")
        plain = TOKEN_PREFIX + secrets.token_urlsafe(32)
        with self.store.session() as session:
            user = self._user(session, user_id)
            token = ApiToken(
                user_id=user.id,
                label=label,
                token_hash=_hash_token(plain),
                prefix=plain[: len(TOKEN_PREFIX) + 6],
                created_at=self.clock.now(),
            )
            session.add(token)
            session.flush()
            self._event(session, actor, "token.create", f"{user.name}: {label} ({token.prefix}…)")
            return self._token_view(token, user.name), plain

    def tokens(self, user_id: int | None = None) -> list[TokenView]:
        """One user's tokens, or everyone's."""
        query = select(ApiToken).order_by(ApiToken.id)
        if user_id is not None:
            query = query.where(ApiToken.user_id == user_id)
        with self.store.sessions() as session:
            return [self._token_view(t, t.user.name) for t in session.scalars(query)]

    def revoke_token(self, token_id: int, *, actor: str, owner_id: int | None = None) -> None:
        """Revoke a token; with ``owner_id``, only if it belongs to that user."""
        with self.store.session() as session:
            token = session.get(ApiToken, token_id)
            if token is None or (owner_id is not None and token.user_id != owner_id):
                raise NotFoundError(f"there is no token {token_id}")
            if token.revoked_at is not None:
                raise ValidationError(f"token {token_id} is already revoked")
            token.revoked_at = self.clock.now()
            self._event(session, actor, "token.revoke", f"{token.user.name}: {token.label} ({token.prefix}…)")

    def user_for_token(self, plain: str) -> UserView | None:
        """The active user a live token belongs to, or None."""
        if not plain.startswith(TOKEN_PREFIX) or len(plain) > 200:
            return None
        now = self.clock.now()
        with self.store.sessions() as session:
            token = session.scalar(select(ApiToken).where(ApiToken.token_hash == _hash_token(plain)))
            if token is None or token.revoked_at is not None or not token.user.active:
                return None
            view = UserView.of(token.user)
            stale = token.last_used_at is None or now - token.last_used_at > timedelta(minutes=1)
            token_id = token.id
        if stale:  # written at most once a minute per token
            with self.store.session() as session:
                row = session.get(ApiToken, token_id)
                if row is not None:
                    row.last_used_at = now
        return view

    # --- helpers ------------------------------------------------------------------------------------------------

    @staticmethod
    def _token_view(token: ApiToken, user: str) -> TokenView:
        return TokenView(
            token.id, user, token.label, token.prefix, token.created_at, token.last_used_at, token.revoked_at
        )

    def _user(self, session: Session, user_id: int) -> User:
        user = session.get(User, user_id)
        if user is None:
            raise NotFoundError(f"there is no user {user_id}")
        return user

    def user_id(self, name: str) -> int:
        with self.store.sessions() as session:
            found = session.scalar(select(User.id).where(User.name == name.strip()))
        if found is None:
            raise NotFoundError(f"there is no user {name!r}; see `publisher user list`")
        return found

    @staticmethod
    def _keep_an_admin(session: Session, user: User) -> None:
        others = session.scalar(
            select(func.count())
            .select_from(User)
            .where(User.role == Role.ADMIN, User.active.is_(True), User.id != user.id)
        )
        if not others:
            raise ValidationError(f"{user.name} is the last admin; make someone else an admin first")

    def _event(self, session: Session, actor: str, action: str, reason: str) -> None:
        session.add(Event(at=self.clock.now(), actor=actor, action=action, reason=reason))


def record_event(store: Store, clock: Clock, actor: str, action: str, post_id: int | None, reason: str) -> None:
    """Append a console action that no core call records (an edit linking a post to its corrected copy)."""
    with store.session() as session:
        session.add(Event(at=clock.now(), actor=actor, action=action, post_id=post_id, reason=reason))
