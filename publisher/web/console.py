"""What every page and API call needs: settings, the store, the clock, the adapters and the accounts.

Built once per application. ``queue(actor)`` gives the core's ``Queue`` acting as a signed-in person, so the event
log names who did what.
"""

from __future__ import annotations

import dataclasses
import functools
import os
from collections.abc import Mapping
from datetime import datetime, timedelta

import httpx

from adapters.base import Adapter
from publisher.clock import Clock
from publisher.config import AnySecret, Settings, WebSettings
from publisher.media import MediaStore
from publisher.models import Campaign, DeliveryState
from publisher.queue import Queue
from publisher.scrub import for_settings
from publisher.services.channels import Channels
from publisher.services.windows import PostingHours
from publisher.slots import Hours
from publisher.store import PostFilter, Store, list_deliveries, list_rows
from publisher.web.accounts import Accounts
from publisher.web.passwords import Passwords

__all__ = ["Console"]

#: deliveries in these states do not take up a slot on their channel
_FREE_STATES = (DeliveryState.CANCELLED.value, DeliveryState.FAILED.value)


@dataclasses.dataclass
class Console:
    settings: Settings
    store: Store
    clock: Clock
    adapters: Mapping[str, Adapter]
    accounts: Accounts
    web: WebSettings = dataclasses.field(default_factory=WebSettings)

    @classmethod
    def build(
        cls,
        settings: Settings,
        store: Store,
        clock: Clock,
        *,
        adapters: Mapping[str, Adapter] | None = None,
        accounts: Accounts | None = None,
    ) -> Console:
        if adapters is None:
            # pages only ask adapters to render, which needs no secret; the channels service's test builds its own
            adapters = settings.build_adapters(httpx.AsyncClient(), AnySecret(os.environ))
        web = settings.web or WebSettings()
        return cls(
            settings=settings,
            store=store,
            clock=clock,
            adapters=adapters,
            accounts=accounts or Accounts(store, clock, Passwords(max_concurrent=web.max_concurrent_password_checks)),
            web=web,
        )

    @property
    def media(self) -> MediaStore:
        """The media store, where the compose page and ``POST /api/media`` put uploaded images."""
        return MediaStore(self.store, self.settings.media, clock=self.clock)

    def queue(self, actor: str, *, may_name_author: bool = False) -> Queue:
        """The core acting as ``actor``; only an admin's queue may name someone else as a post's author."""
        return Queue(
            self.store,
            self.adapters,
            self.clock,
            timezone=self.settings.timezone,
            actor=actor,
            may_name_author=may_name_author,
            hours=self.posting_hours,
        )

    @property
    def timezone(self) -> str:
        """The team's zone: for the calendar grid and for posts outside any campaign."""
        return self.settings.timezone

    def campaigns(self) -> list[Campaign]:
        rows: list[Campaign] = list_rows(self.store, Campaign, Campaign.name)
        return rows

    def zone_of(self, campaign: str | None) -> str:
        if not campaign:
            return self.timezone
        for row in self.campaigns():
            if row.name == campaign:
                return row.timezone
        return self.timezone

    @functools.cached_property
    def channels(self) -> Channels:
        """Channels' health, pause, resume and test: the same service the CLI's ``channel`` commands call."""
        return Channels(self.settings, self.store, self.clock, self.adapters)

    @functools.cached_property
    def posting_hours(self) -> PostingHours:
        """The channels' posting windows and quiet hours, as the core applies them."""
        return PostingHours.from_settings(self.settings)

    def hours(self, channel: str) -> Hours:
        return self.posting_hours.of(channel)

    def busy(self, channel: str, start: datetime, end: datetime, *, except_post: int | None = None) -> list[datetime]:
        """When the channel's other deliveries go (or went) out between ``start`` and ``end``."""
        where = PostFilter(channel=channel, due_from=start, due_to=end, limit=5000)
        return [
            delivery.due_at
            for post, delivery in list_deliveries(self.store, where)
            if delivery.state not in _FREE_STATES and post.id != except_post
        ]

    def busy_around(self, channel: str, when: datetime, *, except_post: int | None = None) -> list[datetime]:
        return self.busy(channel, when - timedelta(days=1), when + timedelta(days=15), except_post=except_post)

    def redact(self, text: str | None) -> str:
        """``text`` with every configured secret (raw or encoded) replaced by ``[redacted]``: errors are shown, secrets
        never. Platform answers are scrubbed before they are stored; this also covers rows stored before that."""
        if not text:
            return ""
        return for_settings(self.settings).scrub(text)
