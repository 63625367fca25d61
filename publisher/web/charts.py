"""The coverage timeline as an inline SVG, laid out here and drawn by a template macro (``_macros.html``).

No script and no chart library: the server computes every bar's place, the template writes ``<rect>``s, the
stylesheet colours them (no inline style: the Content-Security-Policy forbids it). Labels are dates and numbers;
nothing untrusted goes into the chart, and the template escapes it anyway.
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Sequence

from publisher.reports.html import axis
from publisher.store.reports import Bucket

__all__ = ["Bar", "Chart", "Tick", "timeline"]

WIDTH, HEIGHT = 720, 220
LEFT, RIGHT, TOP, BOTTOM = 40, 10, 14, 34
MAX_LABELS = 12  # date labels under the bars; the others are in each bar's tooltip


@dataclasses.dataclass(frozen=True)
class Bar:
    x: float
    y: float
    width: float
    height: float
    count: int
    tip: str  # "2026-12-02: 3", or the week's first and last day
    label: str | None  # the date written under the bar, for some bars
    centre: float


@dataclasses.dataclass(frozen=True)
class Tick:
    y: float
    value: int


@dataclasses.dataclass(frozen=True)
class Chart:
    width: int
    height: int
    left: int
    right: int  # x of the plot's right edge
    baseline: float  # y of the axis
    bars: list[Bar]
    ticks: list[Tick]
    counts: bool  # write each bar's count above it (few bars)
    total: int


def timeline(buckets: Sequence[Bucket]) -> Chart:
    """Columns per day (or week), as the report counts them."""
    plot_w, plot_h = WIDTH - LEFT - RIGHT, HEIGHT - TOP - BOTTOM
    peak, steps = axis(max((b.items for b in buckets), default=0))
    slot = plot_w / max(1, len(buckets))
    bar_w = max(1.0, slot * 0.7)
    every = max(1, math.ceil(len(buckets) / MAX_LABELS))
    baseline = TOP + plot_h
    bars = []
    for index, b in enumerate(buckets):
        x = LEFT + index * slot
        height = plot_h * b.items / peak
        span = b.start.isoformat() if b.end == b.start else f"{b.start.isoformat()} – {b.end.isoformat()}"
        bars.append(
            Bar(
                x=round(x + (slot - bar_w) / 2, 1),
                y=round(baseline - height, 1),
                width=round(bar_w, 1),
                height=round(height, 1),
                count=b.items,
                tip=f"{span}: {b.items}",
                label=b.start.strftime("%m-%d") if index % every == 0 else None,
                centre=round(x + slot / 2, 1),
            )
        )
    ticks = [Tick(round(baseline - plot_h * step / steps, 1), peak * step // steps) for step in range(steps + 1)]
    return Chart(
        width=WIDTH,
        height=HEIGHT,
        left=LEFT,
        right=WIDTH - RIGHT,
        baseline=baseline,
        bars=bars,
        ticks=ticks,
        counts=len(buckets) <= 31,
        total=sum(b.items for b in buckets),
    )
