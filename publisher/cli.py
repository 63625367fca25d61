"""The ``publisher`` command. Thin: it reads arguments, calls the core, and prints. It holds no rules of its own."""

from __future__ import annotations

import asyncio
import functools
import json
import os
import sys
from collections.abc import Callable, Iterable, Sequence
from datetime import datetime
from pathlib import Path
from typing import Any, TypeVar

import click
from sqlalchemy.engine import make_url
from sqlalchemy.exc import InterfaceError, OperationalError

from publisher import __version__
from publisher.clock import Clock, SystemClock
from publisher.config import AnySecret, Settings, load_settings
from publisher.errors import PublisherError, ValidationError
from publisher.models import Campaign, Channel, Schedule
from publisher.queue import MAX_ID, PostDraft, Queue
from publisher.store import PostFilter, Store, list_deliveries, list_rows, open_store, post_history, queue_depth
from publisher.times import local, parse_time

F = TypeVar("F", bound=Callable[..., Any])
#: a row id as the stores hold it (64-bit): a larger one is refused with a clear message, not an overflow
ROW_ID = click.IntRange(1, MAX_ID)


class App:
    """What every command needs, built on first use so `--help` stays instant."""

    def __init__(self, config: str | None, actor: str, clock: Clock | None = None) -> None:
        self.config_path = config
        self.actor = actor
        self.clock = clock or SystemClock()
        self._settings: Settings | None = None
        self._store: Store | None = None
        self._queue: Queue | None = None

    @property
    def settings(self) -> Settings:
        if self._settings is None:
            self._settings = load_settings(self.config_path)
        return self._settings

    @property
    def store(self) -> Store:
        if self._store is None:
            store = open_store(self.settings.database_url, source=self.settings.source)
            if not store.is_initialised():
                store.upgrade()
            store.sync_channels({n: c.kind for n, c in self.settings.channels.items()}, self.clock.now())
            self._store = store
        return self._store

    def close(self) -> None:
        """Close the database connections (a command run in-process, as in the tests, leaves none open)."""
        if self._store is not None:
            self._store.engine.dispose()

    @property
    def queue(self) -> Queue:
        if self._queue is None:
            import httpx

            # adapters are only asked to render here; nothing is sent, so no secret is needed
            adapters = self.settings.build_adapters(httpx.AsyncClient(), AnySecret(os.environ))
            self._queue = Queue(self.store, adapters, self.clock, timezone=self.settings.timezone, actor=self.actor)
        return self._queue


pass_app = click.make_pass_decorator(App)


def json_option(func: F) -> F:
    return click.option("--json", "as_json", is_flag=True, help="Print JSON instead of a table.")(func)


def reports_errors(func: F) -> F:
    """Print a PublisherError as one clear message (exit status 1) instead of a traceback."""

    @functools.wraps(func)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return func(*args, **kwargs)
        except PublisherError as exc:
            click.echo(f"error: {exc}", err=True)
            sys.exit(1)
        except (OperationalError, InterfaceError) as exc:  # the database is away, read-only or full
            from publisher.outage import explain

            app = next((a for a in args if isinstance(a, App)), None)
            url = make_url(app.settings.database_url) if app is not None else make_url("sqlite://")
            click.echo(f"error: {explain(exc, url)}", err=True)
            sys.exit(1)

    return wrapper  # type: ignore[return-value]


def print_table(rows: Sequence[dict[str, Any]], columns: Sequence[str]) -> None:
    if not rows:
        click.echo("(none)")
        return
    widths = {c: max(_width(c), *(_width(str(r.get(c, "") or "")) for r in rows)) for c in columns}
    click.echo("  ".join(_pad(c.upper(), widths[c]) for c in columns).rstrip())
    for row in rows:
        click.echo("  ".join(_pad(str(row.get(c, "") or ""), widths[c]) for c in columns).rstrip())


def _width(text: str) -> int:
    import unicodedata

    return sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in text)


def _pad(text: str, width: int) -> str:
    return text + " " * (width - _width(text))


def print_json(data: Any) -> None:
    click.echo(json.dumps(data, ensure_ascii=False, indent=2, default=str))


def _when(app: App, text: str | None, campaign: str | None) -> datetime | None:
    if text is None:
        return None
    return parse_time(text, app.queue.campaign_timezone(campaign))


# --- the command tree ---------------------------------------------------------------------------------------------


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.option("--config", "config", metavar="PATH", help="Config file (default: $PUBLISHER_CONFIG, ./publisher.toml).")
@click.option("--as", "actor", metavar="NAME", help="Who is acting, for the event log (default: $USER).")
@click.version_option(__version__, prog_name="publisher")
@click.pass_context
def cli(ctx: click.Context, config: str | None, actor: str | None) -> None:
    """Publicity scheduler: queue activity reports and send them to every channel on time."""
    ctx.obj = App(config, actor or os.environ.get("USER") or "cli")
    ctx.call_on_close(ctx.obj.close)


@cli.command()
@pass_app
@reports_errors
def init(app: App) -> None:
    """Create the database, or upgrade it to this version."""
    store = open_store(app.settings.database_url, source=app.settings.source)
    try:
        revision = store.upgrade()
        store.sync_channels({n: c.kind for n, c in app.settings.channels.items()}, app.clock.now())
    finally:
        store.engine.dispose()
    click.echo(f"database ready: {store.engine.url.render_as_string()} (schema {revision})")
    click.echo(f"config: {app.settings.source}; channels: {', '.join(app.settings.channels)}")


@cli.command()
@pass_app
@reports_errors
def run(app: App) -> None:
    """Run the daemon: send what is due, when it is due. Stops cleanly on SIGTERM or Ctrl-C."""
    from publisher.daemon import Daemon
    from publisher.logs import configure
    from publisher.scrub import for_settings

    settings = load_settings(app.config_path, check_secrets=True)
    configure(settings.log_level, settings.log_format, for_settings(settings))
    store = open_store(settings.database_url, source=settings.source)
    store.upgrade()
    asyncio.run(Daemon(settings, store, app.clock).run())


@cli.command()
@click.option("--once", is_flag=True, required=True, help="Do one pass and exit (for system cron).")
@pass_app
@reports_errors
def dispatch(app: App, once: bool) -> None:
    """Send everything due now, then exit."""
    from publisher.daemon import build_dispatcher
    from publisher.http import make_client
    from publisher.logs import configure
    from publisher.media import media_loader
    from publisher.scrub import for_settings

    settings = load_settings(app.config_path, check_secrets=True)
    configure(settings.log_level, settings.log_format, for_settings(settings))
    store = app.store

    async def one_pass() -> int:
        images = media_loader(store, settings)  # the media store, and https images through the outbound guard
        try:
            async with make_client(settings.daemon.http_transport) as client:
                dispatcher = build_dispatcher(settings, store, client, app.clock, images)
                Queue(
                    store, dispatcher.adapters, app.clock, timezone=settings.timezone, actor="dispatch"
                ).materialize_schedules()
                return await dispatcher.run_once()
        finally:
            await images.aclose()

    count = asyncio.run(one_pass())
    click.echo(f"{count} deliveries tried")


@cli.command()
@click.option("--folder", type=click.Path(file_okay=False), help="Where to put the demo (default: a new temp folder).")
@reports_errors
def demo(folder: str | None) -> None:
    """Queue a short sample campaign, send it to the outbox, and show what went where."""
    from publisher.demo import run_demo

    run_demo(Path(folder) if folder else None, echo=click.echo)


# --- posts --------------------------------------------------------------------------------------------------------


@cli.group()
def post() -> None:
    """Queue, list, approve and manage posts."""


def _read_post_file(path: str) -> dict[str, Any]:
    from publisher.postfile import read_post_file  # size-capped, aliases refused, types checked

    return read_post_file(path)


@post.command("add")
@click.option("--title", help="The post's title.")
@click.option("--body", help="The post's text, in Markdown.")
@click.option("--file", "file", type=click.Path(dir_okay=False), help="A Markdown file with front matter.")
@click.option("--channel", "channels", multiple=True, metavar="NAME", help="A channel to send to (repeatable).")
@click.option("--at", "at", metavar="TIME", help="When: 'YYYY-MM-DD HH:MM' in the campaign's zone, or ISO 8601.")
@click.option("--now", "now", is_flag=True, help="Send as soon as possible.")
@click.option("--campaign", metavar="NAME", help="The campaign it belongs to.")
@click.option("--link", metavar="URL", help="A link to the full article.")
@click.option(
    "--image",
    "images",
    multiple=True,
    metavar="PATH_OR_URL",
    help="An image (repeatable): a file, copied into the media store now, or an https:// address.",
)
@click.option("--tag", "tags", multiple=True, help="A tag (repeatable).")
@click.option("--author", help="Who wrote it.")
@json_option
@pass_app
@reports_errors
def post_add(app: App, /, file: str | None, as_json: bool, **given: Any) -> None:
    """Queue a post on one or more channels. Everything is checked first; a refused post writes nothing."""
    fields: dict[str, Any] = _read_post_file(file) if file else {}
    for key in ("title", "body", "at", "campaign", "link", "author"):
        if given.get(key) is not None:
            fields[key] = given[key]
    for key in ("channels", "images", "tags"):
        if given.get(key):
            fields[key] = list(given[key])
    # image files are copied into the media store now (the operator may read them; the daemon never opens a path):
    # a post file's own images relative to the file, --image ones to the working folder
    base = Path(file).parent if file and not given.get("images") else Path()
    images = _copy_images(app, fields.get("images") or [], base)
    if fields.get("body") is None:
        raise ValidationError("the post needs a text: --body TEXT, or --file PATH with the text after the front matter")
    at = _when(app, fields.get("at"), fields.get("campaign"))
    draft = PostDraft(
        title=str(fields.get("title") or ""),
        body=str(fields["body"]),
        channels=list(fields.get("channels") or []),
        at=at,
        now=bool(given.get("now")),
        campaign=fields.get("campaign"),
        link=fields.get("link"),
        images=images,
        tags=[str(t) for t in fields.get("tags") or []],
        author=fields.get("author"),
        overrides=fields.get("overrides") or {},
    )
    post_id = app.queue.add_post(draft)
    if as_json:
        print_json({"id": post_id})
    else:
        click.echo(f"queued post {post_id} on {', '.join(draft.channels)}")


def _copy_images(app: App, images: Any, base: Path) -> list[str]:
    from publisher.media import MediaStore, copy_in

    if not isinstance(images, list) or not all(isinstance(image, str) for image in images):
        raise ValidationError("`images` must be a list of file paths or https:// addresses")
    if not images:
        return []
    return copy_in(MediaStore(app.store, app.settings.media, clock=app.clock), images, base, app.actor)


def _delivery_row(app: App, post: Any, delivery: Any) -> dict[str, Any]:
    zone = post.campaign.timezone if post.campaign else app.settings.timezone
    return {
        "post": post.id,
        "title": post.title if len(post.title) <= 30 else post.title[:29] + "…",
        "channel": delivery.channel.name,
        "state": delivery.state if post.approval != "pending" else "awaiting approval",
        "due": local(delivery.due_at, zone),
        "attempts": delivery.attempts,
        "link": delivery.remote_url or "",
        "error": delivery.last_error or "",
    }


@post.command("list")
@click.option("--state", help="Only this delivery state (queued, sent, failed, uncertain, ...) or approval (pending).")
@click.option("--channel", help="Only this channel.")
@click.option("--campaign", help="Only this campaign.")
@click.option("--from", "due_from", metavar="DATE", help="Due at or after this time.")
@click.option("--to", "due_to", metavar="DATE", help="Due before this time.")
@click.option("--limit", default=200, show_default=True, type=click.IntRange(1, 100_000))
@json_option
@pass_app
@reports_errors
def post_list(
    app: App,
    state: str | None,
    channel: str | None,
    campaign: str | None,
    due_from: str | None,
    due_to: str | None,
    limit: int,
    as_json: bool,
) -> None:
    """List deliveries by due time."""
    where = PostFilter(
        state=state,
        channel=channel,
        campaign=campaign,
        due_from=_when(app, due_from, campaign),
        due_to=_when(app, due_to, campaign),
        limit=limit,
    )
    rows = [_delivery_row(app, p, d) for p, d in list_deliveries(app.store, where)]
    if as_json:
        for row, (_, delivery) in zip(rows, list_deliveries(app.store, where), strict=True):
            row["due_utc"] = delivery.due_at.isoformat()
        print_json(rows)
    else:
        print_table(rows, ["post", "title", "channel", "state", "due", "attempts", "link"])


@post.command("show")
@click.argument("post_id", type=ROW_ID)
@json_option
@pass_app
@reports_errors
def post_show(app: App, post_id: int, as_json: bool) -> None:
    """A post with every delivery and its history."""
    post_row, events = post_history(app.store, post_id)
    if post_row is None:
        raise PublisherError(f"there is no post {post_id}; see `publisher post list`")
    zone = post_row.campaign.timezone if post_row.campaign else app.settings.timezone
    data: dict[str, Any] = {
        "id": post_row.id,
        "title": post_row.title,
        "campaign": post_row.campaign.name if post_row.campaign else None,
        "state": post_row.state,
        "approval": post_row.approval,
        "body": post_row.body,
        "deliveries": [_delivery_row(app, post_row, d) for d in post_row.deliveries],
        "history": [
            {"at": local(e.at, zone), "actor": e.actor, "action": e.action, "to": e.to_state, "reason": e.reason}
            for e in events
        ],
    }
    if as_json:
        print_json(data)
        return
    click.echo(f"post {data['id']}: {data['title']}")
    click.echo(f"campaign: {data['campaign'] or '-'}   state: {data['state']}   approval: {data['approval']}")
    click.echo("")
    print_table(data["deliveries"], ["channel", "state", "due", "attempts", "link", "error"])
    click.echo("\nhistory:")
    print_table(data["history"], ["at", "actor", "action", "to", "reason"])


@post.command("preview")
@click.argument("post_id", type=ROW_ID)
@json_option
@pass_app
@reports_errors
def post_preview(app: App, post_id: int, as_json: bool) -> None:
    """Each channel's rendering of a post, with its counted length against the channel's limit."""
    rows = app.queue.preview(post_id)
    if as_json:
        print_json(rows)
        return
    for row in rows:
        if "error" in row:
            click.echo(f"== {row['channel']}: cannot render: {row['error']}\n")
            continue
        limit = f"/{row['limit']}" if row["limit"] else " (no limit)"
        click.echo(f"== {row['channel']} ({row['kind']}): {row['length']}{limit} {row['unit']}")
        click.echo(row["text"].rstrip() + "\n")


@post.command("cancel")
@click.argument("post_id", type=ROW_ID)
@click.option("--reason", help="Why, for the event log.")
@pass_app
@reports_errors
def post_cancel(app: App, post_id: int, reason: str | None) -> None:
    """Cancel every delivery of a post that has not gone out."""
    count = app.queue.cancel(post_id, reason)
    click.echo(f"cancelled post {post_id} ({count} deliveries)")


@post.command("reschedule")
@click.argument("post_id", type=ROW_ID)
@click.option("--at", "at", required=True, metavar="TIME", help="The new time.")
@click.option("--channel", help="Only this channel's delivery.")
@pass_app
@reports_errors
def post_reschedule(app: App, post_id: int, at: str, channel: str | None) -> None:
    """Move a post's waiting deliveries to another time."""
    post_row, _ = post_history(app.store, post_id)
    campaign = post_row.campaign.name if post_row and post_row.campaign else None
    when = _when(app, at, campaign)
    assert when is not None
    count = app.queue.reschedule(post_id, when, channel)
    click.echo(f"moved {count} deliveries of post {post_id} to {local(when, app.queue.campaign_timezone(campaign))}")


@post.command("resolve")
@click.argument("post_id", type=ROW_ID)
@click.option("--sent", "action", flag_value="sent", help="It did go out: mark it sent.")
@click.option("--resend", "action", flag_value="resend", help="It did not go out: send it again.")
@click.option("--channel", help="Only this channel's delivery.")
@click.option("--note", help="What you checked, for the event log.")
@pass_app
@reports_errors
def post_resolve(app: App, post_id: int, action: str | None, channel: str | None, note: str | None) -> None:
    """Settle an `uncertain` delivery: a person checked the channel."""
    count = app.queue.resolve(post_id, action or "", channel, note)
    click.echo(f"resolved {count} deliveries of post {post_id}: {action}")


@post.command("approve")
@click.argument("post_id", type=ROW_ID)
@click.option("--note", help="A comment for the author.")
@pass_app
@reports_errors
def post_approve(app: App, post_id: int, note: str | None) -> None:
    """Approve a post waiting for approval; it then goes out when due."""
    app.queue.approve(post_id, note)
    click.echo(f"approved post {post_id}")


@post.command("reject")
@click.argument("post_id", type=ROW_ID)
@click.option("--reason", required=True, help="Why (the author will see it).")
@pass_app
@reports_errors
def post_reject(app: App, post_id: int, reason: str) -> None:
    """Reject a post waiting for approval; nothing of it goes out."""
    app.queue.reject(post_id, reason)
    click.echo(f"rejected post {post_id}")


# --- campaigns, schedules, channels -------------------------------------------------------------------------------


@cli.group()
def campaign() -> None:
    """Campaigns: a series of posts with a time zone and an approval rule."""


@campaign.command("add")
@click.argument("name")
@click.option("--timezone", "--tz", "timezone", default=None, help="IANA zone, e.g. Asia/Shanghai.")
@click.option("--start", metavar="DATE", help="When the campaign starts.")
@click.option("--end", metavar="DATE", help="When it ends.")
@click.option("--requires-approval", is_flag=True, help="Posts go out only after an approver approves them.")
@click.option(
    "--two-people/--one-person",
    "two_people",
    default=None,
    help="Whether the approver must be someone other than the post's author (default: yes when approval is required).",
)
@pass_app
@reports_errors
def campaign_add(
    app: App,
    name: str,
    timezone: str | None,
    start: str | None,
    end: str | None,
    requires_approval: bool,
    two_people: bool | None,
) -> None:
    """Add a campaign."""
    zone = timezone or app.settings.timezone
    created = app.queue.add_campaign(
        name,
        timezone=zone,
        starts_at=parse_time(start, zone) if start else None,
        ends_at=parse_time(end, zone) if end else None,
        requires_approval=requires_approval,
        separate_approver=two_people,
    )
    approval = ""
    if requires_approval:
        approval = ", approval by someone other than the author" if created.separate_approver else ", approval required"
    click.echo(f"campaign {created.name} added ({zone}{approval})")


@campaign.command("list")
@json_option
@pass_app
@reports_errors
def campaign_list(app: App, as_json: bool) -> None:
    """List campaigns."""
    rows = [
        {
            "name": c.name,
            "timezone": c.timezone,
            "start": local(c.starts_at, c.timezone),
            "end": local(c.ends_at, c.timezone),
            "approval": "required" if c.requires_approval else "not required",
            "approver": ("not the author" if c.separate_approver else "anyone") if c.requires_approval else "-",
        }
        for c in list_rows(app.store, Campaign, Campaign.name)
    ]
    if as_json:
        print_json(rows)
    else:
        print_table(rows, ["name", "timezone", "start", "end", "approval", "approver"])


@cli.group()
def schedule() -> None:
    """Recurring posts from a template."""


@schedule.command("add")
@click.argument("name")
@click.option("--cron", required=True, help='Five fields: minute hour day month weekday, e.g. "0 16 * * WED".')
@click.option("--tz", "--timezone", "timezone", default=None, help="The zone the cron expression is read in.")
@click.option("--title", required=True)
@click.option("--body", required=True)
@click.option("--channel", "channels", multiple=True, required=True)
@click.option("--campaign")
@pass_app
@reports_errors
def schedule_add(
    app: App,
    name: str,
    cron: str,
    timezone: str | None,
    title: str,
    body: str,
    channels: Sequence[str],
    campaign: str | None,
) -> None:
    """Add a recurring post."""
    from publisher.scheduler import cron_trigger, occurrences

    zone = timezone or app.queue.campaign_timezone(campaign)
    created = app.queue.add_schedule(
        name, cron=cron, timezone=zone, title=title, body=body, channels=list(channels), campaign=campaign
    )
    upcoming = occurrences(cron_trigger(cron, zone), app.clock.now(), app.clock.now().replace(year=9999), limit=3)
    click.echo(f"schedule {created.name} added; next: {', '.join(local(t, zone) for t in upcoming) or 'never'}")


@schedule.command("list")
@json_option
@pass_app
@reports_errors
def schedule_list(app: App, as_json: bool) -> None:
    """List recurring schedules."""
    rows = [
        {"name": s.name, "cron": s.cron, "timezone": s.timezone, "channels": ", ".join(s.channels), "title": s.title}
        for s in list_rows(app.store, Schedule, Schedule.name)
    ]
    if as_json:
        print_json(rows)
    else:
        print_table(rows, ["name", "cron", "timezone", "channels", "title"])


@cli.group()
def channel() -> None:
    """Configured channels: health, pause, resume, test."""


@channel.command("list")
@json_option
@pass_app
@reports_errors
def channel_list(app: App, as_json: bool) -> None:
    """Configured channels with their health."""
    adapters = app.queue.adapters
    depth = queue_depth(app.store, app.clock.now())
    rows = []
    for row in list_rows(app.store, Channel, Channel.name):
        if row.name not in adapters:
            continue
        limits = adapters[row.name].limits
        counts = depth.get(row.name, {})
        rows.append(
            {
                "name": row.name,
                "kind": row.kind,
                "status": "paused" if row.paused else "active",
                "limit": f"{limits.max_length} {limits.unit}" if limits.max_length else "-",
                "waiting": counts.get("queued", 0) + counts.get("retry_wait", 0),
                "uncertain": counts.get("uncertain", 0),
                "last_success": local(row.last_success_at, app.settings.timezone),
                "last_error": row.last_error or "",
            }
        )
    columns = ["name", "kind", "status", "limit", "waiting", "uncertain", "last_success", "last_error"]
    if as_json:
        print_json(rows)
    else:
        print_table(rows, columns)


@channel.command("test")
@click.argument("name")
@pass_app
@reports_errors
def channel_test(app: App, name: str) -> None:
    """Make a harmless authenticated call to a channel and print a verdict."""
    from adapters.base import ChannelError
    from publisher.http import make_client

    settings = load_settings(app.config_path, check_secrets=True)
    if name not in settings.channels:
        raise ValidationError(f"unknown channel {name}; configured: {', '.join(settings.channels)}")

    async def check() -> str:
        async with make_client(settings.daemon.http_transport) as client:
            adapter = settings.build_adapter(name, client)  # its answers scrubbed of every configured secret
            return await adapter.check()

    try:
        verdict = asyncio.run(check())
    except ChannelError as exc:
        click.echo(f"{name}: FAILED: {exc.reason}")
        sys.exit(1)
    click.echo(f"{name}: OK: {verdict}")


def _set_paused(app: App, name: str, paused: bool) -> None:
    if name not in app.settings.channels:
        raise ValidationError(f"unknown channel {name}; configured: {', '.join(app.settings.channels)}")
    app.store.set_paused(name, paused, "paused by " + app.actor if paused else None, app.clock.now(), app.actor)


@channel.command("pause")
@click.argument("name")
@pass_app
@reports_errors
def channel_pause(app: App, name: str) -> None:
    """Stop sending to a channel; its deliveries wait."""
    _set_paused(app, name, True)
    click.echo(f"{name} paused")


@channel.command("resume")
@click.argument("name")
@pass_app
@reports_errors
def channel_resume(app: App, name: str) -> None:
    """Send to a paused channel again (after renewing its token, say)."""
    _set_paused(app, name, False)
    click.echo(f"{name} resumed")


import publisher.cli_backup  # noqa: E402  (publisher backup, publisher restore)
import publisher.cli_reports  # noqa: E402  (publisher report)
import publisher.cli_status  # noqa: E402  (publisher status)
import publisher.cli_web  # noqa: E402,F401  (publisher web, publisher user)
from publisher import cli_tracker  # noqa: E402,F401  (publisher outlet, track, coverage, campaign rules)


def main(argv: Iterable[str] | None = None) -> None:
    cli.main(args=list(argv) if argv is not None else None, prog_name="publisher")


if __name__ == "__main__":
    main()
