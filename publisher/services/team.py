"""The team hears what needs it in its own group chat (``[team]``; issue 15): approval requests in the approvers'
group with the post's link in the console, failed and uncertain deliveries in the editors' group, and a daily
summary (sent, waiting, failed, new coverage), each campaign in its own groups where ``[team.campaigns."NAME"]``
names them. The words go out as posts on those channels, through the queue and adapters like any post (outside any
campaign: news for the team, not publicity), so they meet the channels' limits, quiet hours and retries.

Each is told once: its subject (``approval:12``, ``failed:34``, ``summary:2026-12-04:阅读月``) is claimed under a
unique key before the word is queued, so several daemons never tell it twice; a daemon that dies between the two
loses that one word. What the team's own words are about is never told (a notice that fails to go out does not
make another), nor what happened more than ``WINDOW`` before the daemon first looked (turning this on does not
tell the history).
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

from adapters.base import Adapter
from publisher.clock import Clock
from publisher.config import Settings
from publisher.errors import ValidationError
from publisher.logs import log_event
from publisher.queue import PostDraft, Queue
from publisher.services.team_settings import TeamSettings
from publisher.services.windows import PostingHours
from publisher.store import Store
from publisher.store.team import Waiting, claim_notices, day_figures, notice_posted, troubled_deliveries, waiting_posts

__all__ = ["CHECK_SECONDS", "QUIET", "TeamNotices"]

CHECK_SECONDS = 60.0  # how often the daemon looks
WINDOW = timedelta(days=1)  # only what happened this recently is told
ACTOR = "team:"  # the notices' posts are created by "team:<subject>"
#: posts made by the team's own words (these notices, coverage alerts, take-down warnings): never told of
QUIET = (ACTOR, "alert", "readback ")

_WORDS = {
    "zh": {
        "approval_title": "待审批：《{title}》",
        "approval": "《{title}》等待审批{campaign}。作者：{author}；渠道：{channels}；计划时间：{due}。",
        "failed_title": "发送失败：《{title}》",
        "failed": "《{title}》在 {channel} 发送失败{campaign}：{error}",
        "uncertain_title": "待确认：《{title}》",
        "uncertain": (
            "《{title}》在 {channel} 的发送结果不确定{campaign}：{error}。请到 {channel} 查看，再标记为已发送或重发。"
        ),
        "open": "查看：{url}",
        "campaign": "（{name}）",
        "summary_title": "{scope}日报 {day}",
        "summary": (
            "已发送 {sent} 条，等待发送 {waiting} 条，失败 {failed} 条，待确认 {uncertain} 条，"
            "新增媒体报道 {coverage} 篇。"
        ),
        "all": "宣传",
        "nobody": "未署名",
    },
    "en": {
        "approval_title": "Waiting for approval: {title}",
        "approval": "“{title}” waits for approval{campaign}. By {author}; channels: {channels}; due {due}.",
        "failed_title": "Failed: {title}",
        "failed": "“{title}” failed on {channel}{campaign}: {error}",
        "uncertain_title": "Uncertain: {title}",
        "uncertain": "“{title}” may or may not have gone out on {channel}{campaign}: {error}. Check {channel}, then "
        "mark it sent or resend it.",
        "open": "Open: {url}",
        "campaign": " ({name})",
        "summary_title": "{scope} daily summary {day}",
        "summary": "{sent} sent, {waiting} waiting, {failed} failed, {uncertain} uncertain, {coverage} new coverage "
        "items.",
        "all": "Publicity",
        "nobody": "nobody",
    },
}


class TeamNotices:
    """One run: tell the approvers, the editors and (once a day) the summary's readers what is new."""

    def __init__(self, settings: Settings, store: Store, clock: Clock, adapters: Mapping[str, Adapter]) -> None:
        if settings.team is None:
            raise ValueError("TeamNotices needs [team] in the config")
        self.settings = settings
        self.team: TeamSettings = settings.team
        self.store = store
        self.clock = clock
        self.adapters = adapters
        self.zone = ZoneInfo(settings.timezone)
        self.words = _WORDS[self.team.language]

    def run_due(self) -> list[int]:
        """Tell what is new; returns the ids of the posts queued."""
        now = self.clock.now()
        since = now - WINDOW
        with self.store.sessions() as session:
            waiting = waiting_posts(session, since, QUIET)
            troubled = troubled_deliveries(session, since, QUIET)
        queued: list[int] = []
        for post in waiting:
            queued += self._tell(f"approval:{post.post_id}", self.team.channel(post.campaign, "approvers"), post)
        for delivery in troubled:
            subject = f"{delivery.state}:{delivery.delivery_id}"
            queued += self._tell(subject, self.team.channel(delivery.campaign, "editors"), delivery)
        queued += self._summaries(now)
        return queued

    def _tell(self, subject: str, channel: str | None, about: Waiting) -> list[int]:
        if channel is None:
            return []
        title, body = self._compose(about)
        return self._queue(subject, channel, title, body)

    def _queue(self, subject: str, channel: str, title: str, body: str) -> list[int]:
        with self.store.session() as session:
            if not claim_notices(session, [subject], self.clock.now()):
                return []  # told already, by this daemon or another
        queue = Queue(
            self.store,
            self.adapters,
            self.clock,
            timezone=self.settings.timezone,
            actor=ACTOR + subject,
            hours=PostingHours.from_settings(self.settings),
        )
        try:
            post_id = queue.add_post(PostDraft(title=title, body=body, channels=[channel], now=True))
        except ValidationError as exc:
            log_event("team.not_told", logging.WARNING, subject=subject, reason=str(exc))
            return []
        with self.store.session() as session:
            notice_posted(session, subject, post_id)
        log_event("team.told", subject=subject, post=post_id, channel=channel)
        return [post_id]

    def _compose(self, about: Waiting) -> tuple[str, str]:
        words = self.words
        campaign = words["campaign"].format(name=about.campaign) if about.campaign else ""
        title = about.title[:60]
        if about.delivery_id is None:
            due = about.due_at.astimezone(self.zone).strftime("%Y-%m-%d %H:%M") if about.due_at else "-"
            body = words["approval"].format(
                title=about.title,
                campaign=campaign,
                author=about.author or words["nobody"],
                channels=", ".join(about.channels),
                due=due,
            )
            heading = words["approval_title"].format(title=title)
        else:
            state = "uncertain" if about.state == "uncertain" else "failed"
            body = words[state].format(
                title=about.title, channel=about.channels[0], campaign=campaign, error=about.error or "-"
            )
            heading = words[f"{state}_title"].format(title=title)
        if self.settings.public_url:
            url = f"{self.settings.public_url.rstrip('/')}/posts/{about.post_id}"
            body += "\n" + words["open"].format(url=url)
        return heading, body

    def _summaries(self, now: datetime) -> list[int]:
        """The day's summary, once the day's ``summary_at`` has passed: one for every campaign, on the table's
        summary channel, and one per campaign with a summary channel of its own."""
        local = now.astimezone(self.zone)
        hour, minute = map(int, self.team.summary_at.split(":"))
        if local.time() < time(hour, minute):
            return []
        start = datetime.combine(local.date(), time(0), self.zone)
        day = local.date().isoformat()
        scopes: list[tuple[str | None, str]] = []
        if self.team.summary:
            scopes.append((None, self.team.summary))
        scopes += [(name, own.summary) for name, own in self.team.campaigns.items() if own.summary]
        queued: list[int] = []
        for campaign, channel in scopes:
            with self.store.sessions() as session:
                figures = day_figures(session, start, start + timedelta(days=1), campaign, QUIET)
            title = self.words["summary_title"].format(scope=campaign or self.words["all"], day=day)
            queued += self._queue(
                f"summary:{day}:{campaign or '*'}", channel, title, self.words["summary"].format(**figures)
            )
        return queued
