"""Coverage alerts: the team hears of new coverage in its own group chat, batched, through the queue.

``[alerts]`` names a channel (usually the team's WeCom, DingTalk or Feishu group robot) and a cron expression in
``[publisher] timezone``: every 15 minutes by default, ``0 18 * * *`` for a daily digest. At each occurrence the
coverage items found since the last one are claimed (``publisher.store.alerts``: one UPDATE, so several daemons
never tell an item twice) and listed in one post on that channel, queued outside any campaign (it is news for the
team, not publicity: no approval, not counted in reports), so it meets the channel's limits, quiet hours and retries
like any post. The post's ``created_by`` is the run's tag: a run whose daemon died after claiming is finished by the
next run that looks, and never queued twice. Items older than a week when first looked at (alerts were just turned
on, or no daemon ran for days) are marked and not sent.
"""

from __future__ import annotations

import logging
import os
import socket
import uuid
from collections.abc import Mapping, Sequence
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from adapters.base import Adapter
from publisher.clock import Clock
from publisher.config import Settings
from publisher.errors import ValidationError
from publisher.logs import log_event
from publisher.queue import PostDraft, Queue
from publisher.scheduler import cron_trigger, occurrences
from publisher.services.windows import PostingHours
from publisher.store import Store
from publisher.store.alerts import AlertLine, claim_new_items, lines_of, retire_old_items, unfinished_tags
from publisher.store.posts import campaign_named
from publisher.tracker.settings import TIERS, AlertSettings

__all__ = ["CHECK_SECONDS", "CoverageAlerts", "compose"]

CHECK_SECONDS = 60.0  # how often the daemon looks whether an occurrence has passed
WINDOW = timedelta(days=7)  # items older than this when first looked at are not sent
GRACE = timedelta(minutes=10)  # a run that claimed this long ago and queued nothing has died
PREFIX = "alert "

_WORDS = {
    "zh": {
        "title": "报道提醒：新增 {count} 条报道",
        "campaign": "**{campaign}**：{count} 条",
        "more": "另有 {count} 条，见控制台的报道页。",
        "reprint": "（转载第 {id} 号稿件）",
    },
    "en": {
        "title": "Coverage: {count} new item(s)",
        "campaign": "**{campaign}**: {count}",
        "more": "{count} more on the console's coverage page.",
        "reprint": " (reprints post {id})",
    },
}


def compose(lines: Sequence[AlertLine], language: str, most: int) -> tuple[str, str]:
    """(title, Markdown body) listing at most ``most`` items, each with its outlet, time (in its campaign's zone)
    and link; the rest counted."""
    words = _WORDS[language]
    shown = list(lines[:most])
    body: list[str] = []
    campaign = None
    for line in shown:
        if line.campaign != campaign:
            campaign = line.campaign
            count = sum(1 for other in lines if other.campaign == campaign)
            body.append(("\n" if body else "") + words["campaign"].format(campaign=campaign, count=count))
        when = (
            line.published_at.astimezone(ZoneInfo(line.timezone)).strftime("%m-%d %H:%M") if line.published_at else ""
        )
        tier = TIERS.get(line.tier or "", line.tier or "") if language == "zh" else line.tier or ""
        outlet = (
            f"{line.outlet}（{tier}）"
            if tier and language == "zh"
            else f"{line.outlet} ({tier})"
            if tier
            else line.outlet
        )
        title = f"[{line.title}]({line.url})" if line.url else line.title
        reprint = words["reprint"].format(id=line.post_id) if line.post_id else ""
        body.append(
            f"- {when} {outlet}：{title}{reprint}" if language == "zh" else f"- {when} {outlet}: {title}{reprint}"
        )
    if len(lines) > len(shown):
        body.append("\n" + words["more"].format(count=len(lines) - len(shown)))
    return words["title"].format(count=len(lines)), "\n".join(body) + "\n"


class CoverageAlerts:
    """The daemon's alert job: at each occurrence of ``[alerts] cron``, one post listing the new coverage."""

    def __init__(
        self,
        settings: Settings,
        store: Store,
        clock: Clock,
        adapters: Mapping[str, Adapter],
        *,
        owner: str | None = None,
    ) -> None:
        assert settings.alerts is not None
        self.settings = settings
        self.alerts: AlertSettings = settings.alerts
        self.store = store
        self.clock = clock
        self.adapters = adapters
        self.owner = owner or f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:6]}"
        self.trigger = cron_trigger(self.alerts.cron, settings.timezone)
        self.checked = clock.now()  # occurrences before the daemon started were someone else's, or are caught next

    def run_due(self) -> list[int]:
        """If an occurrence passed since the last look: finish dead runs, tell the new items. Returns the posts."""
        now = self.clock.now()
        fired = occurrences(self.trigger, self.checked, now)
        self.checked = now
        if not fired:
            return []
        posts = [post for tag in self._unfinished(now) if (post := self._announce(tag)) is not None]
        tag = f"{PREFIX}{fired[-1].isoformat()} {self.owner}"
        if self._claim(tag, now):
            post = self._announce(tag)
            if post is not None:
                posts.append(post)
        return posts

    def _unfinished(self, now: datetime) -> list[str]:
        with self.store.sessions() as session:
            return unfinished_tags(session, PREFIX, now - timedelta(days=1), now - GRACE)

    def _claim(self, tag: str, now: datetime) -> list[int]:
        with self.store.session() as session:
            retire_old_items(session, now, now - WINDOW)
            campaign_ids = None
            if self.alerts.campaigns:
                found = [campaign_named(session, name) for name in self.alerts.campaigns]
                campaign_ids = [campaign.id for campaign in found if campaign is not None]
            return claim_new_items(session, tag, now, now - WINDOW, campaign_ids)

    def _announce(self, tag: str) -> int | None:
        """Queue the post of run ``tag``: fewer items listed while the channel refuses it as too long."""
        with self.store.sessions() as session:
            lines = lines_of(session, tag)
        if not lines:
            return None
        hours = PostingHours.from_settings(self.settings)
        queue = Queue(self.store, self.adapters, self.clock, timezone=self.settings.timezone, actor=tag, hours=hours)
        most, refusal = self.alerts.most_items, ""
        while most >= 1:
            title, body = compose(lines, self.alerts.language, most)
            try:
                post = queue.add_post(PostDraft(title=title, body=body, channels=[self.alerts.channel], now=True))
            except ValidationError as exc:
                refusal, most = str(exc), most // 2
                continue
            log_event("coverage.alert", post=post, items=len(lines), channel=self.alerts.channel)
            return post
        log_event("coverage.alert_failed", logging.WARNING, channel=self.alerts.channel, reason=refusal)
        return None
