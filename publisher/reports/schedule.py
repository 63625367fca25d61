"""Scheduled reports: each ``[reports.NAME]`` written when its cron expression fires, once per occurrence.

Once, however many daemons run: a run is claimed by inserting its row in ``report_runs``, whose unique key is
(report name, occurrence); the daemon whose insert fails leaves that occurrence to the one that succeeded. A run
still ``running`` past its lease (its daemon died) is taken over by the next daemon to look. An occurrence missed
by up to ``CATCH_UP`` (no daemon was running) is still written, once; several missed ones make one report, for the
latest.

When the report names a ``channel``, the summary goes there as a post through ``publisher.queue.Queue``, so it
meets the channel's rules (length limits, quiet hours, rate limits) like any post. It is queued outside the campaign:
it is not campaign publicity, so it needs no approval and is not counted in the next report. Its ``created_by``
names the run, so a daemon that takes a run over does not queue the message twice.
"""

from __future__ import annotations

import asyncio
import logging
import os
import socket
import uuid
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from urllib.parse import quote
from zoneinfo import ZoneInfo

from adapters.base import Adapter
from publisher.clock import Clock
from publisher.config import Settings
from publisher.errors import PublisherError, ValidationError
from publisher.logs import log_event
from publisher.queue import PostDraft, Queue
from publisher.reports.build import Written, write_reports
from publisher.reports.labels import text, to_traditional
from publisher.reports.models import RunState
from publisher.reports.settings import ScheduledReport
from publisher.scheduler import cron_trigger, occurrences
from publisher.services.windows import PostingHours
from publisher.store import Conflict, Store
from publisher.store.posts import post_made_by
from publisher.store.report_runs import (
    campaign_timezone,
    finish_run,
    last_occurrence,
    latest_run,
    start_run,
    take_over_run,
)

__all__ = ["CATCH_UP", "CHECK_SECONDS", "LEASE", "ReportJob", "ReportScheduler", "RunResult", "message"]

CATCH_UP = timedelta(hours=24)  # a missed occurrence this recent is still written
LEASE = timedelta(minutes=30)  # a run still "running" after this is presumed dead and may be taken over
CHECK_SECONDS = 60.0  # how often the daemon looks for due reports


@dataclass(frozen=True)
class RunResult:
    name: str
    occurrence: datetime
    state: str
    files: list[Path] = field(default_factory=list)
    post_id: int | None = None
    error: str | None = None


def message(
    written: Written, lang: str, occurrence: datetime, link_base: str | None, folder: Path
) -> tuple[str, str, str, str | None]:
    """The announcement: (title, Markdown body, a short body for channels with a small limit, link). Links when the
    folder is served at ``link_base``, else the files' paths on this machine."""
    summary = written.summary
    day = occurrence.astimezone(summary.scope.zone).date().isoformat()
    if lang == "en":
        title = f"Publicity report: {summary.scope.campaign} ({day})"
        heading = "Report files:"
    else:
        title = f"{summary.scope.campaign}{text(lang, 'title')}（{day}）"
        heading = to_traditional("报告文件：") if lang == "zh-Hant" else "报告文件："
    lines = []
    link = None
    for path in written.paths:
        if link_base:
            url = link_base.rstrip("/") + "/" + quote(path.name)
            lines.append(f"- [{path.name}]({url})")
            if link is None or path.suffix == ".html":  # the post links to the HTML page if there is one
                link = url
        else:
            lines.append(f"- {(folder / path.name).resolve()}")
    body = f"{written.narrative}\n\n{heading}\n" + "\n".join(lines) + "\n"
    first = link or (str((folder / written.paths[0].name).resolve()) if written.paths else "")
    return title, body, f"{heading}{first}", link


class ReportScheduler:
    """Finds the scheduled reports that are due, claims each occurrence once, writes it and announces it."""

    def __init__(
        self,
        settings: Settings,
        store: Store,
        clock: Clock,
        adapters: Mapping[str, Adapter] | None = None,
        *,
        owner: str | None = None,
    ) -> None:
        self.settings = settings
        self.store = store
        self.clock = clock
        self.adapters = adapters or {}
        self.owner = owner or f"reports:{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:6]}"

    # --- when -----------------------------------------------------------------------------------------------------

    def _zone(self, report: ScheduledReport) -> str:
        if report.timezone:
            return report.timezone
        return campaign_timezone(self.store, report.campaign) or self.settings.timezone

    def _last_occurrence(self, name: str, state: str | None = None) -> datetime | None:
        return last_occurrence(self.store, name, state)

    def due(self, report: ScheduledReport, now: datetime) -> datetime | None:
        """The occurrence to write now: the latest one at or before ``now``, no older than ``CATCH_UP``, that has no
        run yet, or whose run was left ``running`` by a process that died (its lease ran out)."""
        trigger = cron_trigger(report.cron, self._zone(report))
        after = now - CATCH_UP
        abandoned = None
        last = latest_run(self.store, report.name)
        if last is not None and last.occurrence_at >= after:
            after = last.occurrence_at
            if last.state == RunState.RUNNING.value and last.lease_until < now:
                abandoned = last.occurrence_at
        fired = occurrences(trigger, after, now, limit=100_000)
        return fired[-1] if fired else abandoned

    # --- claiming -------------------------------------------------------------------------------------------------

    def claim(self, name: str, occurrence: datetime, now: datetime) -> int | None:
        """Take the run for (``name``, ``occurrence``); None if another process has it (or had it)."""
        try:
            return start_run(self.store, name, occurrence, self.owner, now + LEASE, now)
        except Conflict:
            pass
        # a run whose process died: take it over, if nobody else has
        return take_over_run(self.store, name, occurrence, self.owner, now + LEASE, now)

    def _finish(self, run_id: int, state: RunState, **values: object) -> None:
        finish_run(self.store, run_id, self.owner, state, self.clock.now(), **values)

    # --- running --------------------------------------------------------------------------------------------------

    def run_due(self) -> list[RunResult]:
        """Write every scheduled report that is due now; returns what was done (nothing if another daemon did it)."""
        results = []
        for report in self.settings.reports.scheduled.values():
            now = self.clock.now()
            try:
                occurrence = self.due(report, now)
            except PublisherError as exc:
                log_event("report.failed", logging.ERROR, report=report.name, reason=str(exc))
                continue
            if occurrence is None:
                continue
            run_id = self.claim(report.name, occurrence, now)
            if run_id is None:
                continue
            results.append(self._run(run_id, report, occurrence))
        return results

    def _run(self, run_id: int, report: ScheduledReport, occurrence: datetime) -> RunResult:
        lang = report.language or self.settings.reports.language
        folder = Path(report.folder)
        try:
            start = self._last_occurrence(report.name, RunState.DONE.value) if report.period == "since_last" else None
            local = occurrence.astimezone(ZoneInfo(self._zone(report)))
            written = write_reports(
                self.store,
                report.campaign,
                report.formats,
                now=self.clock.now(),
                lang=lang,
                templates=self.settings.reports.templates,
                start=start,
                end=occurrence,
                folder=folder,
                base=f"{report.name}-{local:%Y%m%d-%H%M}",
                public_url=self.settings.public_url,  # the kept pages link to the console's evidence
            )
        except Exception as exc:  # the daemon goes on; the run says why it failed
            reason = f"{type(exc).__name__}: {exc}" if not isinstance(exc, PublisherError) else str(exc)
            self._finish(run_id, RunState.FAILED, error=reason)
            log_event(
                "report.failed", logging.ERROR, report=report.name, occurrence=occurrence.isoformat(), reason=reason
            )
            return RunResult(report.name, occurrence, RunState.FAILED.value, error=reason)
        files = [str(path) for path in written.paths]
        post_id, note = None, None
        if report.channel:
            post_id, note = self._announce(report, occurrence, written, lang, folder)
        self._finish(run_id, RunState.DONE, files=files, post_id=post_id, error=note)
        log_event(
            "report.written",
            report=report.name,
            occurrence=occurrence.isoformat(),
            files=",".join(files),
            post=post_id,
            note=note,
        )
        return RunResult(report.name, occurrence, RunState.DONE.value, list(written.paths), post_id, note)

    def _announce(
        self, report: ScheduledReport, occurrence: datetime, written: Written, lang: str, folder: Path
    ) -> tuple[int | None, str | None]:
        """Queue the summary on the report's channel; returns (post id, a note if it could not be queued)."""
        assert report.channel is not None
        actor = f"report {report.name} {occurrence.isoformat()}"
        with self.store.sessions() as session:  # queued already by a daemon that died before finishing the run
            queued = post_made_by(session, actor)
        if queued is not None:
            return queued, None
        hours = PostingHours.from_settings(self.settings)
        queue = Queue(self.store, self.adapters, self.clock, timezone=self.settings.timezone, actor=actor, hours=hours)
        title, body, short, link = message(written, lang, occurrence, report.link_base, folder)
        refusal = ""
        for wording in (body, short):
            try:
                draft = PostDraft(title=title, body=wording, channels=[report.channel], now=True, link=link)
                return queue.add_post(draft), None
            except ValidationError as exc:
                refusal = str(exc)
        note = f"not announced on {report.channel}: {refusal}"
        log_event("report.not_announced", logging.WARNING, report=report.name, reason=refusal)
        return None, note


class ReportJob:
    """The daemon's recurring job (every minute): run the due reports in a worker thread, then wake the sender."""

    def __init__(self, scheduler: ReportScheduler, wake: Callable[[], None] | None = None) -> None:
        self.scheduler = scheduler
        self.wake = wake

    async def run(self) -> None:
        if not self.scheduler.settings.reports.scheduled:
            return
        try:
            results = await asyncio.to_thread(self.scheduler.run_due)
        except Exception as exc:  # the daemon must keep sending whatever a report meets
            log_event("report.failed", logging.ERROR, reason=f"{type(exc).__name__}: {exc}")
            return
        if self.wake is not None and any(r.post_id for r in results):
            self.wake()
