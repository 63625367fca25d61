"""``publisher demo``: a short sample campaign, sent for real to outbox channels in a temporary folder.

It uses the same path as production: the queue validates and stores the posts, the daemon wakes when they are due,
claims them, renders them per channel and writes them through the outbox adapter.
"""

from __future__ import annotations

import asyncio
import tempfile
import time
from collections.abc import Callable
from datetime import timedelta
from pathlib import Path
from typing import Any

import frontmatter

from publisher.clock import SystemClock
from publisher.config import ChannelSettings, DaemonSettings, Settings
from publisher.daemon import Daemon
from publisher.models import OPEN_STATES, Post
from publisher.queue import PostDraft, Queue
from publisher.store import PostFilter, Store, list_deliveries, open_store
from publisher.times import local

__all__ = ["run_demo"]

SAMPLES = Path(__file__).parent
CAMPAIGN = "书香润童心阅读月"
TIMEZONE = "Asia/Shanghai"


def demo_settings(folder: Path) -> Settings:
    """Three outbox channels standing in for a website, a microblog (with Weibo's 140-character budget) and a group."""
    channels = {
        "website": ChannelSettings(
            name="website", kind="outbox", options={"folder": str(folder / "outbox" / "website")}
        ),
        "weibo": ChannelSettings(
            name="weibo", kind="outbox", options={"folder": str(folder / "outbox" / "weibo"), "max_length": 2000}
        ),
        "parents-group": ChannelSettings(
            name="parents-group", kind="outbox", options={"folder": str(folder / "outbox" / "parents-group")}
        ),
    }
    return Settings(
        source="demo",
        database_url=f"sqlite:///{folder / 'publisher.db'}",
        timezone=TIMEZONE,
        daemon=DaemonSettings(poll_interval=1.0, shutdown_grace=5.0),
        channels=channels,
    )


def run_demo(folder: Path | None, echo: Callable[[str], None] = print, timeout: float = 25.0) -> Path:
    folder = folder or Path(tempfile.mkdtemp(prefix="publisher-demo-"))
    folder.mkdir(parents=True, exist_ok=True)
    settings = demo_settings(folder)
    store = open_store(settings.database_url, source="demo")
    store.upgrade()
    clock = SystemClock()
    store.sync_channels({n: c.kind for n, c in settings.channels.items()}, clock.now())
    import httpx

    adapters = settings.build_adapters(httpx.AsyncClient(), {})
    queue = Queue(store, adapters, clock, timezone=TIMEZONE, actor="demo")
    queue.add_campaign(CAMPAIGN, timezone=TIMEZONE, starts_at=clock.now() - timedelta(days=14))  # began 2 weeks ago
    start = clock.now()
    for offset, sample in enumerate(sorted(SAMPLES.glob("*.md"))):
        document = frontmatter.loads(sample.read_text(encoding="utf-8"))
        meta: dict[str, Any] = dict(document.metadata)
        queue.add_post(
            PostDraft(
                title=str(meta["title"]),
                body=document.content,
                channels=list(meta["channels"]),
                at=start + timedelta(seconds=1 + offset),
                campaign=CAMPAIGN,
                tags=[str(t) for t in meta.get("tags", [])],
                author=str(meta.get("author", "")) or None,
                link=f"https://kindergarten.example.cn/news/{offset + 1}",
            )
        )
    echo(f"queued {len(list(SAMPLES.glob('*.md')))} posts of the campaign {CAMPAIGN}; the daemon sends them when due…")
    asyncio.run(_run_until_sent(settings, store, clock, timeout))
    rows = list_deliveries(store, PostFilter(campaign=CAMPAIGN))
    echo("")
    width = max(len(p.title) for p, _ in rows)
    for post, delivery in rows:
        echo(
            f"  {local(delivery.sent_at or delivery.due_at, TIMEZONE)}  {delivery.channel.name:<14} "
            f"{delivery.state:<9} {post.title:<{width}}"
        )
    echo(f"\nsent files are in {folder / 'outbox'} (one folder per channel, a .md and a .json per delivery)")
    echo(f"database: {folder / 'publisher.db'}")
    show_renderings(echo)
    from publisher.reports.demo import demo_reports  # coverage added by hand, then the reports in every format

    demo_reports(store, folder, CAMPAIGN, TIMEZONE, clock, echo)
    return folder


def show_renderings(echo: Callable[[str], None]) -> None:
    """The first sample as each platform's adapter renders it, with its length against that platform's limit."""
    import httpx

    from publisher.config import AnySecret, load_settings
    from publisher.queue import content_for

    settings = load_settings(str(SAMPLES / "renderings.toml"))
    adapters = settings.build_adapters(httpx.AsyncClient(), AnySecret({}))
    document = frontmatter.loads(sorted(SAMPLES.glob("*.md"))[0].read_text(encoding="utf-8"))
    post = Post(
        title=str(document.metadata["title"]),
        body=document.content,
        images=[],
        tags=[],
        overrides={},
        link="https://kindergarten.example.cn/news/1",
        # the SMS template announces an event ("将于{event_date}举行"): one three days ahead
        event_at=SystemClock().now() + timedelta(days=3),
    )
    echo("\nthe first report as each platform would get it (rendered only; nothing is sent):")
    for name, adapter in adapters.items():
        payload = adapter.render(content_for(post, name, TIMEZONE, SystemClock().now()))
        limits = adapter.limits
        length = limits.count(payload.text)
        bound = f"{length}/{limits.max_length}" if limits.max_length else f"{length}"
        echo(f"\n── {name} ({adapter.kind}): {bound} {limits.unit} ──")
        echo(payload.text.rstrip())


async def _run_until_sent(settings: Settings, store: Store, clock: SystemClock, timeout: float) -> None:
    daemon = Daemon(settings, store, clock)
    task = asyncio.create_task(daemon.run(handle_signals=False))
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        await asyncio.sleep(0.2)
        rows = list_deliveries(store, PostFilter(campaign=CAMPAIGN))
        if rows and all(d.state not in OPEN_STATES for _, d in rows):
            break
    daemon.stop()
    await task
