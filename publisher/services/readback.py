"""Read-back of sent posts: is each one still online, and how is it doing?

WeChat can reject an article after accepting it or ban it days later, a CMS editor can unpublish one, a microblog
can delete one. A daemon job asks each channel that can tell (``Capabilities.read_back``: WordPress, Mastodon,
Matrix, WeChat) about each post it sent, 1 hour, 1 day, 3 days and 7 days after sending (``SCHEDULE``), and keeps
what it says: online, gone, hidden (unpublished), or unknown (the platform could not be asked: the next check asks
again), with the counts the platform gives (comments, favourites, reblogs...). Checks are claimed under a lease, so
several daemons check each once.

A post found gone, or hidden after it was online, is written in its delivery's history (``delivery.taken_down``)
and told to the team on the ``[alerts]`` channel, once; one online again after that is written too
(``delivery.back_online``). A channel that posts drafts on purpose reads back hidden from the first check: that is
not a take-down, and nothing is said.
"""

from __future__ import annotations

import asyncio
import logging
import os
import socket
import uuid
from collections.abc import Mapping, Sequence
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from adapters.base import Adapter, ReadBack, Receipt, read_back_safely
from publisher.clock import Clock
from publisher.config import Settings
from publisher.dispatcher import copies_note
from publisher.errors import ValidationError
from publisher.logs import log_event
from publisher.models import Action, DeliveryCheck
from publisher.queue import PostDraft, Queue
from publisher.services.windows import PostingHours
from publisher.store import Store
from publisher.store.checks import DueCheck, checks_of, claim_checks, record_check, seed_checks
from publisher.store.events import add_event
from publisher.store.posts import post_made_by

__all__ = ["CHECK_SECONDS", "METRICS", "SCHEDULE", "ReadBacks", "last_checks", "took_down"]

SCHEDULE = (timedelta(hours=1), timedelta(days=1), timedelta(days=3), timedelta(days=7))  # after sending
CHECK_SECONDS = 300.0  # how often the daemon looks for due checks
BATCH = 20  # checks claimed at once (each is one request to its platform)
LEASE = timedelta(minutes=10)  # a claimed check is another daemon's again after this long
SEED_WINDOW = SCHEDULE[-1] + timedelta(days=1)  # deliveries sent longer ago than this are not checked any more
_DOWN = ("gone", "hidden")
#: the platforms' counters in the order people read them (a face translates the names)
METRICS = ("reads", "comments", "replies", "favourites", "reblogs")


def last_checks(store: Store, delivery_ids: Sequence[int]) -> dict[int, DeliveryCheck]:
    """What the last read-back of each of these deliveries found (those read back at least once)."""
    with store.sessions() as session:
        return checks_of(session, delivery_ids)


_WORDS = {
    "zh": {
        "title": "稿件下线提醒：《{title}》",
        "gone": "{channel} 上的稿件《{title}》已被删除或封禁：{detail}",
        "hidden": "{channel} 上的稿件《{title}》已不再公开：{detail}",
        "sent": "发出时间：{when}",
    },
    "en": {
        "title": "Taken down: {title}",
        "gone": "The post “{title}” on {channel} was deleted or banned: {detail}",
        "hidden": "The post “{title}” on {channel} is no longer public: {detail}",
        "sent": "Sent {when}",
    },
}


class ReadBacks:
    """One run: seed the checks of newly sent deliveries, claim the due ones, ask, record, tell."""

    def __init__(
        self,
        settings: Settings,
        store: Store,
        clock: Clock,
        adapters: Mapping[str, Adapter],
        *,
        owner: str | None = None,
    ) -> None:
        self.settings = settings
        self.store = store
        self.clock = clock
        self.adapters = adapters
        self.owner = owner or f"readback:{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:6]}"
        self.channels = [name for name, adapter in adapters.items() if adapter.capabilities.read_back]

    async def run_due(self) -> list[tuple[DueCheck, ReadBack]]:
        """Check what is due now; returns each check with what the platform said."""
        now = self.clock.now()
        due = await asyncio.to_thread(self._claim, now)
        if not due:
            return []
        found = await asyncio.gather(*(self._read(check) for check in due))
        checked = list(zip(due, found, strict=True))
        await asyncio.to_thread(self._record, checked, now)
        return checked

    def _claim(self, now: datetime) -> list[DueCheck]:
        with self.store.session() as session:
            seed_checks(session, self.channels, now - SEED_WINDOW, SCHEDULE[0])
        return claim_checks(self.store, now, self.owner, LEASE, BATCH)

    async def _read(self, check: DueCheck) -> ReadBack:
        adapter = self.adapters.get(check.channel)
        if adapter is None or not adapter.capabilities.read_back:
            return ReadBack.unknown(f"the channel {check.channel} can no longer be asked")
        sent = Receipt(remote_id=check.remote_id, url=check.remote_url)
        return await read_back_safely(adapter.read_back(sent, check.key))

    def _record(self, checked: Sequence[tuple[DueCheck, ReadBack]], now: datetime) -> None:
        told: list[tuple[DueCheck, ReadBack]] = []
        with self.store.session() as session:
            for check, found in checked:
                following = check.round + 1
                next_at = check.sent_at + SCHEDULE[following] if following < len(SCHEDULE) else None
                # a platform that could not be asked changes nothing known
                state: str = check.state if found.state == "unknown" and check.state is not None else found.state
                record_check(
                    session,
                    check,
                    state=state,
                    detail=found.detail,
                    metrics=None if found.state == "unknown" else dict(found.metrics),
                    now=now,
                    next_at=next_at,
                )

                def event(action: Action, reason: str, check: DueCheck = check) -> None:
                    add_event(
                        session,
                        at=now,
                        actor=self.owner,
                        action=action,
                        post_id=check.post_id,
                        delivery_id=check.delivery_id,
                        reason=reason,
                    )

                if note := copies_note(Receipt(details=found.copies)) if found.copies else None:
                    event(Action.DELIVERY_COPIES_REMOVED, note)  # a request that landed after settling made a twin
                went_down = found.state == "gone" or (found.state == "hidden" and check.state == "online")
                if went_down and check.state not in _DOWN:
                    event(Action.DELIVERY_TAKEN_DOWN, f"{check.channel}: {found.state}: {found.detail}".rstrip(": "))
                    told.append((check, found))
                elif found.state == "online" and check.state in _DOWN:
                    event(Action.DELIVERY_BACK_ONLINE, f"{check.channel}: online")
        for check, found in told:
            log_event("delivery.taken_down", logging.WARNING, delivery=check.delivery_id, state=found.state)
            self._tell(check, found)

    def _tell(self, check: DueCheck, found: ReadBack) -> int | None:
        """The team hears of a take-down on the ``[alerts]`` channel, once per delivery."""
        alerts = self.settings.alerts
        if alerts is None:
            return None
        actor = f"readback {check.delivery_id}"
        with self.store.sessions() as session:  # told already by a daemon that died before recording it
            queued = post_made_by(session, actor)
        if queued is not None:
            return queued
        words = _WORDS[alerts.language]
        zone = ZoneInfo(self.settings.timezone)
        detail = found.detail or ("—" if alerts.language == "zh" else "-")
        body = "\n".join(
            (
                words[found.state].format(channel=check.channel, title=check.post_title, detail=detail),
                words["sent"].format(when=check.sent_at.astimezone(zone).strftime("%Y-%m-%d %H:%M %Z")),
            )
        )
        hours = PostingHours.from_settings(self.settings)
        queue = Queue(self.store, self.adapters, self.clock, timezone=self.settings.timezone, actor=actor, hours=hours)
        title = words["title"].format(title=check.post_title)
        try:
            return queue.add_post(PostDraft(title=title, body=body, channels=[alerts.channel], now=True))
        except ValidationError as exc:
            log_event("delivery.taken_down_not_told", logging.WARNING, delivery=check.delivery_id, reason=str(exc))
            return None


def took_down(checked: Sequence[tuple[DueCheck, ReadBack]]) -> bool:
    """Whether a run found a post down (and so may have queued a word to the team)."""
    return any(found.state in _DOWN for _, found in checked)
