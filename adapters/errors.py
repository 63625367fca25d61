"""What an adapter raises when a send does not succeed, and what the dispatcher does with each::

    ChannelError
    ├── Retryable(after=None)  the request did not take effect; try again later (after ``after`` seconds if given)
    ├── Permanent(reason)      it will never work as it is (text refused, unknown group); the delivery fails
    ├── CredentialsRejected    the token is expired or revoked: the channel is paused, its deliveries wait
    └── Uncertain(reason)      the request may have reached the platform; never resent blindly
        └── ManualStep(reason) the platform kept the post, but a person must finish it there (WeChat's 48001)

    AdapterConfigError         the channel's configuration is wrong; raised by the constructor

``Uncertain`` is retried only when the adapter declares ``idempotency = "native"`` (the platform drops a repeated
key) or ``"lookup"`` (the dispatcher calls ``lookup(key)`` first and resends only if the post is absent).
"""

from __future__ import annotations

__all__ = [
    "AdapterConfigError",
    "ChannelError",
    "CredentialsRejected",
    "ManualStep",
    "Permanent",
    "Retryable",
    "Uncertain",
]


class ChannelError(Exception):
    """A send did not succeed; the subclass says what the dispatcher should do."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


class Retryable(ChannelError):
    """The request did not take effect (rate limited, server busy, connection refused). Try again later."""

    def __init__(self, reason: str, after: float | None = None) -> None:
        super().__init__(reason)
        self.after = after


class Permanent(ChannelError):
    """The platform refused the post for good (bad credentials, text refused, unknown group)."""


class CredentialsRejected(ChannelError):
    """The platform refused the channel's credentials (expired or revoked token, wrong secret).

    Every delivery on the channel would fail the same way, so the dispatcher pauses the channel and puts the
    delivery back to wait, rather than failing deliveries one by one; a person renews the token and resumes.
    """


class Uncertain(ChannelError):
    """The request may have reached the platform, but no answer came back (timeout, dropped connection)."""


class ManualStep(Uncertain):
    """The platform kept the post but will not finish it for this account: a person must, on the platform (a
    WeChat account without the right to publish through the API keeps the draft: 48001). Never resent: the delivery
    waits as ``uncertain`` until a person resolves it (``post resolve --sent`` once it is out)."""


class AdapterConfigError(ValueError):
    """A channel's configuration is unusable. ``key`` names the option, the message says how to fix it."""

    def __init__(self, key: str, message: str) -> None:
        super().__init__(f"{key}: {message}")
        self.key = key
        self.message = message
