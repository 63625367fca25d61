"""People, browser sessions, API tokens and sign-in attempts: the console's own rules.

Every change is appended to the project's event log (who did what to whom), like every change in the queue.

Sessions are rows (``WebSession``; their SQL is in ``publisher.store``): signing out, a password change, a role
change and disabling delete them, so a copied cookie stops working at once and re-enabling brings none back.
Disabling also revokes the person's API tokens. A password or role change leaves tokens alone: a token acts with its
user's current role, and the account page lists every token (with when it was last used) to revoke.

Failed sign-ins slow down, they do not lock out (``_check_attempts``): per (name, address) after a few free tries,
per address across names, and per name across addresses only when many addresses are at it at once.
"""

from __future__ import annotations

import contextlib
import hashlib
import math
import secrets
import unicodedata
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from publisher.clock import Clock, utc
from publisher.errors import NotFoundError, ValidationError
from publisher.models import Action
from publisher.store import Session, Store
from publisher.store.accounts import (
    add_web_session,
    admins_besides,
    count_active_admins,
    end_user_web_sessions,
    end_web_session,
    failed_attempts,
    forget_attempts_before,
    last_successful_attempt,
    list_tokens,
    list_users,
    prune_web_sessions,
    revoke_user_tokens,
    token_by_hash,
    touch_web_session,
    user_by_name,
    user_id_named,
    user_web_sessions,
    web_session,
)
from publisher.store.events import add_event
from publisher.web.models import ApiToken, LoginAttempt, Role, User, WebSession
from publisher.web.passwords import PasswordChecksBusy, Passwords

__all__ = [
    "LANGUAGES",
    "Accounts",
    "SessionView",
    "SignInRefused",
    "TooManyAttempts",
    "UserView",
    "record_event",
    "session_key",
]

LANGUAGES = ("zh", "en")
TOKEN_PREFIX = "pub_"  # noqa: S105  (a public marker, not a secret)
# Failed sign-ins earn delays, never a lock: the check runs before any hashing, and each delay counts from the latest
# failure it is about. Delays double: 1 s, 2 s, 4 s ... up to MAX_DELAY.
#: per (name, address): failures over the last hour since that pair's last success; this many are free ...
FREE_FAILURES_PER_PAIR = 3
PAIR_WINDOW = timedelta(hours=1)
#: ... per address across names (password spraying): over 15 minutes. A team behind one office router shares an
#: address, so names that signed in from it in the last day are not slowed by it
ATTEMPT_WINDOW = timedelta(minutes=15)
MAX_FAILURES_PER_ADDRESS = 30
#: ... per name across other addresses: one address gets at most about 12 tries in 15 minutes, so this many means
#: several addresses at once. Then a browser from an address new to the name waits ATTACK_WAIT once (the page keeps
#: when it was told to, in its cookie) and may then try; never a lockout of the owner
MAX_FAILURES_PER_NAME = 50
ATTACK_WAIT = timedelta(seconds=10)
ATTACK_TICKET_LIFETIME = timedelta(minutes=10)
MAX_DELAY = timedelta(minutes=15)
#: attempts older than this are deleted (and "signed in from here before" looks back this far)
ATTEMPT_RETENTION = timedelta(days=1)
#: a session's last use is written at most this often (no write per request)
SESSION_TOUCH = timedelta(minutes=1)


class SignInRefused(Exception):
    """Wrong name or password (which one is not said)."""


class TooManyAttempts(Exception):
    """Too many failed sign-ins; ``wait`` is how long until the next attempt is considered (nothing was hashed).
    ``attack``: the name is under attack from many addresses; the browser should remember when it was told."""

    def __init__(self, wait: timedelta, *, attack: bool = False) -> None:
        super().__init__(f"too many failed sign-ins; try again in {self.seconds_of(wait)} seconds")
        self.wait = wait
        self.attack = attack

    @property
    def seconds(self) -> int:
        return self.seconds_of(self.wait)

    @staticmethod
    def seconds_of(wait: timedelta) -> int:
        return max(1, math.ceil(wait.total_seconds()))


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

    @classmethod
    def of(cls, user: User) -> UserView:
        return cls(user.id, user.name, Role(user.role), user.language, user.active, user.created_at, user.last_login_at)

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


@dataclass(frozen=True)
class SessionView:
    """A signed-in browser, as the account page lists it. ``key`` is the SHA-256 of its cookie token, not the token."""

    key: str
    created_at: datetime
    last_seen_at: datetime
    expires_at: datetime
    user_agent: str
    address: str
    current: bool


def _hash_token(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def session_key(token: str) -> str:
    """The stored key of a session cookie's token."""
    return _hash_token(token)


def _check_name(name: str) -> str:
    name = unicodedata.normalize("NFC", name.strip())
    if not name:
        raise ValidationError.of("a user needs a name")
    if len(name) > 100:
        raise ValidationError.of("a user name can be at most 100 characters")
    if any(unicodedata.category(ch).startswith("C") for ch in name):
        raise ValidationError.of("a user name cannot contain control characters")
    return name


def _check_role(role: str) -> Role:
    try:
        return Role(role)
    except ValueError:
        raise ValidationError.of(
            "unknown role {role!r}; choose one of: {roles}", role=role, roles=", ".join(r.value for r in Role)
        ) from None


def _check_language(language: str | None) -> str | None:
    if language is not None and language not in LANGUAGES:
        raise ValidationError.of(
            "unknown language {language!r}; choose one of: {languages}",
            language=language,
            languages=", ".join(LANGUAGES),
        )
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
            if user_id_named(session, name) is not None:
                raise ValidationError.of("a user called {name!r} already exists", name=name)
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
            self._event(session, actor, Action.USER_ADD, f"{name} ({checked_role.value})")
            return UserView.of(user)

    def users(self) -> list[UserView]:
        with self.store.sessions() as session:
            return [UserView.of(u) for u in list_users(session)]

    def get(self, user_id: int) -> UserView | None:
        with self.store.sessions() as session:
            user = session.get(User, user_id)
            return UserView.of(user) if user else None

    def has_admin(self) -> bool:
        with self.store.sessions() as session:
            return count_active_admins(session) > 0

    def set_role(self, user_id: int, role: str, *, actor: str, keep_session: str | None = None) -> None:
        """Change the role and end the person's sessions (but ``keep_session``, the acting one if it is theirs)."""
        checked = _check_role(role)
        with self.store.session() as session:
            user = self._user(session, user_id)
            if user.role == Role.ADMIN and checked != Role.ADMIN:
                self._keep_an_admin(session, user)
            user.role = checked.value
            end_user_web_sessions(session, user.id, keep=keep_session)
            self._event(session, actor, Action.USER_ROLE, f"{user.name}: {checked.value}")

    def set_active(self, user_id: int, active: bool, *, actor: str) -> None:
        """Disabling ends every session and revokes every API token, so enabling again revives neither."""
        with self.store.session() as session:
            user = self._user(session, user_id)
            if not active and user.role == Role.ADMIN:
                self._keep_an_admin(session, user)
            user.active = active
            if not active:
                end_user_web_sessions(session, user.id)
                revoke_user_tokens(session, user.id, self.clock.now())
            self._event(session, actor, Action.USER_ACTIVATE if active else Action.USER_DEACTIVATE, user.name)

    def set_password(self, user_id: int, password: str, *, actor: str, keep_session: str | None = None) -> None:
        """Set the password and end the person's sessions (but ``keep_session``: the one that changed its own)."""
        self.passwords.check(password)
        hashed = self.passwords.hash(password)
        with self.store.session() as session:
            user = self._user(session, user_id)
            user.password_hash = hashed
            end_user_web_sessions(session, user.id, keep=keep_session)
            self._event(session, actor, Action.USER_PASSWORD, user.name)

    def change_own_password(self, user_id: int, current: str, new: str, *, keep_session: str | None = None) -> None:
        with self.store.sessions() as session:
            user = self._user(session, user_id)
            stored, name = user.password_hash, user.name
        if not self.passwords.verify(stored, current):
            raise ValidationError.of("the current password is not right")
        self.set_password(user_id, new, actor=name, keep_session=keep_session)

    def set_language(self, user_id: int, language: str | None) -> None:
        checked = _check_language(language)
        with self.store.session() as session:
            self._user(session, user_id).language = checked

    # --- signing in ---------------------------------------------------------------------------------------------

    def authenticate(self, name: str, password: str, address: str, *, told_to_wait: datetime | None = None) -> UserView:
        """The user, if ``name`` and ``password`` match an active user. Raises ``TooManyAttempts`` (without hashing
        anything) while failures call for a delay, ``PasswordChecksBusy`` (unhashed, unrecorded) when every
        password-check slot is taken, else ``SignInRefused``. ``told_to_wait``: when this browser was last told to
        wait because the name is under attack (see ``MAX_FAILURES_PER_NAME``)."""
        name = unicodedata.normalize("NFC", name.strip())[:100]
        address = address[:64]
        now = self.clock.now()
        self._check_attempts(name, address, now, told_to_wait)
        with self.store.sessions() as session:
            user = user_by_name(session, name)
            stored = user.password_hash if user is not None and user.active else None
        ok = self.passwords.verify(stored, password) and user is not None and user.active
        rehashed = None
        if ok and stored is not None and self.passwords.needs_rehash(stored):
            with contextlib.suppress(PasswordChecksBusy):  # upgraded at a quieter sign-in
                rehashed = self.passwords.hash(password)
        view: UserView | None = None
        with self.store.session() as session:  # the attempt is recorded whatever its outcome
            session.add(LoginAttempt(at=now, name=name, address=address, success=ok))
            forget_attempts_before(session, now - ATTEMPT_RETENTION)
            if ok and user is not None:
                row = self._user(session, user.id)
                row.last_login_at = now
                if rehashed:
                    row.password_hash = rehashed
                view = UserView.of(row)
        if view is None:
            raise SignInRefused()
        return view

    def _check_attempts(self, name: str, address: str, now: datetime, told_to_wait: datetime | None) -> None:
        """Raise ``TooManyAttempts`` if this attempt must wait; runs before any password is hashed."""
        with self.store.sessions() as session:
            pair_success = last_successful_attempt(session, name, address)
            pair_since = max(now - PAIR_WINDOW, pair_success) if pair_success else now - PAIR_WINDOW
            pair = failed_attempts(session, pair_since, name=name, address=address)
            by_address = failed_attempts(session, now - ATTEMPT_WINDOW, address=address)
            elsewhere, _ = failed_attempts(
                session, now - ATTEMPT_WINDOW, name=name, address=address, other_address=True
            )
        wait = _delay(pair, FREE_FAILURES_PER_PAIR, now)
        known = pair_success is not None  # this name signed in from this address within ATTEMPT_RETENTION
        if not known:
            wait = max(wait, _delay(by_address, MAX_FAILURES_PER_ADDRESS, now))
        if wait > timedelta(0):
            raise TooManyAttempts(wait)
        if not known and (elsewhere or 0) >= MAX_FAILURES_PER_NAME:
            # a delay, not a lock: a browser told to wait may try from ATTACK_WAIT until ATTACK_TICKET_LIFETIME later
            fresh = told_to_wait is not None and told_to_wait <= now <= told_to_wait + ATTACK_TICKET_LIFETIME
            if told_to_wait is None or not fresh:
                raise TooManyAttempts(ATTACK_WAIT, attack=True)
            if now < told_to_wait + ATTACK_WAIT:
                raise TooManyAttempts(told_to_wait + ATTACK_WAIT - now)

    # --- sessions -----------------------------------------------------------------------------------------------

    def start_session(
        self, user_id: int, *, user_agent: str, address: str, lifetime: timedelta, idle: timedelta
    ) -> str:
        """A new session for the user; returns the token for the cookie (only its SHA-256 is stored)."""
        now = self.clock.now()
        prune_web_sessions(self.store, now, now - idle)  # the ended ones go as new ones come
        token = secrets.token_urlsafe(32)
        row = WebSession(
            id=_hash_token(token),
            user_id=user_id,
            created_at=now,
            last_seen_at=now,
            expires_at=now + lifetime,
            user_agent=user_agent[:200],
            address=address[:64],
        )
        add_web_session(self.store, row)
        return token

    def session_user(self, token: str, *, idle: timedelta) -> tuple[UserView, str] | None:
        """The active user of a live session, with the session's key; None if it ended, expired or idled out."""
        if not token or len(token) > 100:
            return None
        key, now = _hash_token(token), self.clock.now()
        row = web_session(self.store, key)
        if row is None:
            return None
        if now >= row.expires_at or now - row.last_seen_at >= idle:
            end_web_session(self.store, key)
            return None
        user = self.get(row.user_id)
        if user is None or not user.active:
            return None
        if now - row.last_seen_at >= SESSION_TOUCH:  # written at most once a minute, not at every request
            touch_web_session(self.store, key, now)
        return user, key

    def end_session(self, key: str, *, user_id: int | None = None) -> None:
        """End one session (with ``user_id``: only if it is theirs, else ``NotFoundError``)."""
        if not end_web_session(self.store, key, user_id) and user_id is not None:
            raise NotFoundError.of("there is no such session; it may have ended already (reload the page)")

    def end_sessions(self, user_id: int, *, actor: str, keep: str | None = None) -> int:
        """End every session of the user but ``keep``; returns how many ended."""
        with self.store.session() as session:
            ended = end_user_web_sessions(session, user_id, keep=keep)
            self._event(session, actor, Action.USER_SIGN_OUT, f"{self._user(session, user_id).name}: {ended} sessions")
            return ended

    def sessions(self, user_id: int, current: str | None = None) -> list[SessionView]:
        """The user's sessions, newest first; ``current`` marks the one asking."""
        return [
            SessionView(r.id, r.created_at, r.last_seen_at, r.expires_at, r.user_agent, r.address, r.id == current)
            for r in user_web_sessions(self.store, user_id)
        ]

    # --- API tokens ---------------------------------------------------------------------------------------------

    def create_token(self, user_id: int, label: str, *, actor: str) -> tuple[TokenView, str]:
        """A new token for the user; returns it with its plain text, which is shown once and never stored."""
        label = label.strip()
        if not label or len(label) > 100:
            raise ValidationError.of(
                "give the token a label of 1 to 100 characters (what it is for, e.g. 'wechat-bot')"
            )
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
            self._event(session, actor, Action.TOKEN_CREATE, f"{user.name}: {label} ({token.prefix}…)")
            return self._token_view(token, user.name), plain

    def tokens(self, user_id: int | None = None) -> list[TokenView]:
        """One user's tokens, or everyone's."""
        with self.store.sessions() as session:
            return [self._token_view(t, t.user.name) for t in list_tokens(session, user_id)]

    def revoke_token(self, token_id: int, *, actor: str, owner_id: int | None = None) -> None:
        """Revoke a token; with ``owner_id``, only if it belongs to that user."""
        with self.store.session() as session:
            token = session.get(ApiToken, token_id)
            if token is None or (owner_id is not None and token.user_id != owner_id):
                raise NotFoundError.of("there is no token {id}", id=token_id)
            if token.revoked_at is not None:
                raise ValidationError.of("token {id} is already revoked", id=token_id)
            token.revoked_at = self.clock.now()
            self._event(session, actor, Action.TOKEN_REVOKE, f"{token.user.name}: {token.label} ({token.prefix}…)")

    def user_for_token(self, plain: str) -> UserView | None:
        """The active user a live token belongs to, or None."""
        if not plain.startswith(TOKEN_PREFIX) or len(plain) > 200:
            return None
        now = self.clock.now()
        with self.store.sessions() as session:
            token = token_by_hash(session, _hash_token(plain))
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
            raise NotFoundError.of("there is no user {id}", id=user_id)
        return user

    def user_id(self, name: str) -> int:
        with self.store.sessions() as session:
            found = user_id_named(session, name.strip())
        if found is None:
            raise NotFoundError.of("there is no user {name!r}", cli="; see `publisher user list`", name=name)
        return found

    @staticmethod
    def _keep_an_admin(session: Session, user: User) -> None:
        if not admins_besides(session, user.id):
            raise ValidationError.of("{name} is the last admin; make someone else an admin first", name=user.name)

    def _event(self, session: Session, actor: str, action: Action, reason: str) -> None:
        add_event(session, at=self.clock.now(), actor=actor, action=action, reason=reason)


def _delay(failures: Any, free: int, now: datetime) -> timedelta:
    """How long from ``now`` until another try: ``failures`` is (count, latest); past ``free`` of them, the wait after
    the latest one doubles with each failure (1 s, 2 s, 4 s ...) up to ``MAX_DELAY``."""
    count, latest = failures
    if count < free or latest is None:
        return timedelta(0)
    step = min(timedelta(seconds=2 ** min(count - free, 20)), MAX_DELAY)
    return max(timedelta(0), utc(latest) + step - now)


def record_event(store: Store, clock: Clock, actor: str, action: Action, post_id: int | None, reason: str) -> None:
    """Append a console action that no core call records (an edit linking a post to its corrected copy)."""
    with store.session() as session:
        add_event(session, at=clock.now(), actor=actor, action=action, post_id=post_id, reason=reason)
