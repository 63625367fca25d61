"""The report's tables, as the writers read them. The queries live in the store (``publisher.store.reports``):
this module names them for the report's own code."""

from __future__ import annotations

from publisher.store.reports import (
    CHUNK,
    DAILY_UP_TO,
    Bucket,
    ChannelRow,
    CoverageLine,
    OutletRow,
    PostLine,
    Report,
    Scope,
    Summary,
    open_report,
    read_connection,
)

__all__ = [
    "CHUNK",
    "DAILY_UP_TO",
    "Bucket",
    "ChannelRow",
    "CoverageLine",
    "OutletRow",
    "PostLine",
    "Report",
    "Scope",
    "Summary",
    "open_report",
    "read_connection",
]
