"""The reports' one table: each run of a scheduled report, on the project's ``Base`` (migration 0004r).

A run is claimed by inserting its row: the unique key (report name, occurrence) lets only one daemon write a
given occurrence, however many fire together. A run whose daemon died mid-way (``running`` past its lease) may be
taken over by another.
"""

from __future__ import annotations

import enum
from datetime import datetime

from sqlalchemy import ForeignKey, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from publisher.models import Base

__all__ = ["ReportRun", "RunState"]


class RunState(enum.StrEnum):
    RUNNING = "running"
    DONE = "done"
    FAILED = "failed"


class ReportRun(Base):
    """One occurrence of one ``[reports.NAME]`` schedule: who wrote it, when, which files, and the message sent."""

    __tablename__ = "report_runs"
    __table_args__ = (UniqueConstraint("name", "occurrence_at", name="uq_report_runs_name_occurrence"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    occurrence_at: Mapped[datetime]  # the cron fire time (UTC) this run is for
    state: Mapped[str] = mapped_column(String(20), default=RunState.RUNNING)
    owner: Mapped[str] = mapped_column(String(200))  # the daemon (or `publisher report --scheduled`) running it
    lease_until: Mapped[datetime]  # a `running` row past this may be taken over
    started_at: Mapped[datetime]
    finished_at: Mapped[datetime | None]
    files: Mapped[list[str]] = mapped_column(default=list)
    post_id: Mapped[int | None] = mapped_column(ForeignKey("posts.id"))  # the summary message queued, if any
    error: Mapped[str | None] = mapped_column(Text)
