"""``publisher post``: queue, list, show, preview, approve and manage posts."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from typing import Any

import click

from publisher.cli.base import ROW_ID, App, json_option, pass_app, print_json, print_table, reports_errors, when
from publisher.cli.lang import t
from publisher.errors import NotFoundError, ValidationError

__all__ = ["post"]


@click.group()
def post() -> None:
    """Queue, list, approve and manage posts."""


@post.command("add")
@click.option("--title", help="The post's title.")
@click.option("--body", help="The post's text, in Markdown.")
@click.option("--file", "file", type=click.Path(dir_okay=False), help="A Markdown file with front matter.")
@click.option("--channel", "channels", multiple=True, metavar="NAME", help="A channel to send to (repeatable).")
@click.option("--at", "at", metavar="TIME", help="When: 'YYYY-MM-DD HH:MM' in the campaign's zone, or ISO 8601.")
@click.option("--now", "now", is_flag=True, help="Send as soon as possible.")
@click.option(
    "--ignore-quiet-hours",
    is_flag=True,
    help="Send at that time even in a channel's quiet hours or outside its posting windows (recorded in the history).",
)
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
@click.option(
    "--event-at",
    "event_at",
    metavar="TIME",
    help="When the event itself happens ('YYYY-MM-DD' or 'YYYY-MM-DD HH:MM', campaign's zone): SMS templates' "
    "event_date and event_time.",
)
@json_option
@pass_app
@reports_errors
def post_add(app: App, /, file: str | None, as_json: bool, **given: Any) -> None:
    """Queue a post on one or more channels. Everything is checked first; a refused post writes nothing."""
    from publisher.postfile import read_post_file  # size-capped, aliases refused, types checked
    from publisher.queue import PostDraft

    fields: dict[str, Any] = read_post_file(file) if file else {}
    for key in ("title", "body", "at", "campaign", "link", "author", "event_at"):
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
        raise ValidationError.of(
            "the post needs a text: --body TEXT, or --file PATH with the text after the front matter"
        )
    at = when(app, fields.get("at"), fields.get("campaign"))
    draft = PostDraft(
        title=str(fields.get("title") or ""),
        body=str(fields["body"]),
        channels=list(fields.get("channels") or []),
        at=at,
        now=bool(given.get("now")),
        campaign=fields.get("campaign"),
        link=fields.get("link"),
        images=images,
        tags=[str(tag) for tag in fields.get("tags") or []],
        author=fields.get("author"),
        event_at=when(app, fields.get("event_at"), fields.get("campaign")),
        overrides=fields.get("overrides") or {},
        ignore_quiet_hours=bool(given.get("ignore_quiet_hours")),
    )
    post_id = app.queue.add_post(draft)
    zone = app.queue.campaign_timezone(draft.campaign)
    if as_json:
        held = [{"channel": h.channel, "until": h.until.isoformat(), "why": h.why} for h in app.queue.last_holds]
        print_json({"id": post_id, "held": held})
    else:
        click.echo(t("queued post {id} on {channels}", id=post_id, channels=", ".join(draft.channels)))
        for hold in app.queue.last_holds:
            from publisher.times import local

            why = t("in quiet hours {spans}" if hold.kind == "quiet" else "outside the posting windows {spans}")
            waits = t(
                "{channel}: {when} is {why}; waits until {until}",
                channel=hold.channel,
                when=local(hold.when, zone),
                why=why.format(spans=hold.spans),
                until=local(hold.until, zone),
            )
            click.echo("  " + t("{held} (--ignore-quiet-hours sends it then anyway)", held=waits))


def _copy_images(app: App, images: Any, base: Path) -> list[str]:
    if not isinstance(images, list) or not all(isinstance(image, str) for image in images):
        raise ValidationError.of("`images` must be a list of file paths or https:// addresses")
    if not images:
        return []
    from publisher.media import MediaStore, copy_in

    return copy_in(MediaStore(app.store, app.settings.media, clock=app.clock), images, base, app.actor)


@post.command("import")
@click.argument("file", type=click.Path(dir_okay=False, exists=True))
@click.option("--dry-run", is_flag=True, help="Check every row and say what is wrong; queue nothing.")
@click.option("--skip-bad", is_flag=True, help="Queue the rows that pass and list the ones left out.")
@json_option
@pass_app
@reports_errors
def post_import(app: App, file: str, dry_run: bool, skip_bad: bool, as_json: bool) -> None:
    """Queue a campaign plan: a CSV or XLSX file with one post a row. Every row is checked first; nothing is
    queued unless all pass (or --skip-bad)."""
    from publisher.cli.lang import t_error
    from publisher.planfile import plan_format, read_plan
    from publisher.services.plans import import_plan

    kind = plan_format(file)
    base = Path(file).parent  # a row's image and body files are relative to the plan
    with open(file, "rb") as source:
        check = import_plan(
            app.queue,
            read_plan(source, kind),
            dry_run=dry_run,
            skip_bad=skip_bad,
            read_body=lambda name: _read_body(base, name),
            resolve_images=lambda images: _copy_images(app, images, base),
        )
    if as_json:
        print_json(
            {
                "rows": check.rows,
                "queued": check.queued,
                "held": len(app.queue.last_holds),
                "skipped": check.skipped,
                "problems": [{"row": p.row, "column": p.column, "error": str(p.error)} for p in check.problems],
            }
        )
    else:
        for problem in check.problems:
            click.echo(t_error(problem.as_error()), err=True)
        if check.written:
            click.echo(t("queued {count} posts from {rows} rows", count=len(check.queued), rows=check.rows))
            if app.queue.last_holds:  # as `post add` says it, in one line for the whole plan
                held = len(app.queue.last_holds)
                click.echo("  " + t("{count} deliveries wait for their channel's posting hours", count=held))
        elif dry_run and not check.problems:
            click.echo(t("all {rows} rows can be queued; nothing was queued (--dry-run)", rows=check.rows))
        if check.skipped:
            rows = ", ".join(str(row) for row in check.skipped)
            click.echo(t("left out the rows with errors: {rows}", rows=rows))
    if check.problems and not (skip_bad and not dry_run):
        if not dry_run:
            click.echo(t("nothing was queued: fix the rows above, or use --skip-bad"), err=True)
        raise SystemExit(1)


def _read_body(base: Path, name: str) -> str:
    from publisher.queue import MAX_BODY

    try:
        with (base / Path(name).expanduser()).open("rb") as file:
            data = file.read(MAX_BODY * 4 + 1)  # UTF-8: at most 4 bytes a character
        return data.decode("utf-8")
    except UnicodeDecodeError:
        raise ValidationError.of("the body file {name} is not UTF-8 text", name=name) from None
    except OSError as exc:
        raise ValidationError.of(
            "cannot read the body file {name}: {reason}", name=name, reason=exc.strerror or exc
        ) from None


@post.command("export")
@click.argument("file", type=click.Path(dir_okay=False))
@click.option("--campaign", metavar="NAME", help="Only this campaign's posts.")
@click.option("--from", "due_from", metavar="DATE", help="Due at or after this time.")
@click.option("--to", "due_to", metavar="DATE", help="Due before this time (a date alone: through that day).")
@pass_app
@reports_errors
def post_export(app: App, file: str, campaign: str | None, due_from: str | None, due_to: str | None) -> None:
    """Write the queued posts as a plan that `post import` reads back: CSV or XLSX, by the file's name."""
    from publisher.planfile import plan_format, write_plan
    from publisher.services.plans import export_plan
    from publisher.times import parse_until

    kind = plan_format(file)
    zone = app.queue.campaign_timezone(campaign)
    columns, rows = export_plan(
        app.queue,
        campaign=campaign,
        due_from=when(app, due_from, campaign),
        due_to=parse_until(due_to, zone) if due_to else None,
    )
    count = 0

    def counted() -> Any:
        nonlocal count
        for row in rows:
            count += 1
            yield row

    with open(file, "wb") as target:
        write_plan(target, kind, columns, counted())
    click.echo(t("wrote {count} posts to {file}", count=count, file=file))


def _row(
    post_id: int,
    title: str,
    approval: str,
    channel: str,
    state: str,
    due_at: datetime,
    attempts: int,
    link: str | None,
    error: str | None,
    zone: str,
) -> dict[str, Any]:
    from publisher.times import local

    return {
        "post": post_id,
        "title": title if len(title) <= 30 else title[:29] + "…",
        "channel": channel,
        "state": state if approval != "pending" else "awaiting approval",
        "due": local(due_at, zone),
        "attempts": attempts,
        "link": link or "",
        "error": error or "",
    }


@post.command("list")
@click.option("--state", help="Only this delivery state (queued, sent, failed, uncertain, ...) or approval (pending).")
@click.option("--channel", help="Only this channel.")
@click.option("--campaign", help="Only this campaign.")
@click.option("--from", "due_from", metavar="DATE", help="Due at or after this time.")
@click.option("--to", "due_to", metavar="DATE", help="Due before this time.")
@click.option("--limit", default=200, show_default=True, type=click.IntRange(1, 100_000), help="At most this many.")
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
    from publisher.store import PostFilter
    from publisher.store.listing import delivery_lines

    where = PostFilter(
        state=state,
        channel=channel,
        campaign=campaign,
        due_from=when(app, due_from, campaign),
        due_to=when(app, due_to, campaign),
        limit=limit,
    )
    zone = app.settings.timezone
    lines = delivery_lines(app.store, where)
    rows = [
        _row(
            d.post,
            d.title,
            d.approval,
            d.channel,
            d.state,
            d.due_at,
            d.attempts,
            d.remote_url,
            d.last_error,
            d.timezone or zone,
        )
        for d in lines
    ]
    if as_json:
        for row, line in zip(rows, lines, strict=True):
            row["due_utc"] = line.due_at.isoformat()
        print_json(rows)
    else:
        for row in rows:  # the states in the reader's language; --json keeps the values a script matches
            row["state"] = t(row["state"])
        print_table(rows, ["post", "title", "channel", "state", "due", "attempts", "link"])


@post.command("show")
@click.argument("post_id", type=ROW_ID)
@json_option
@pass_app
@reports_errors
def post_show(app: App, post_id: int, as_json: bool) -> None:
    """A post with every delivery and its history."""
    from publisher.store import post_history
    from publisher.times import local

    post_row, events = post_history(app.store, post_id)
    if post_row is None:
        raise NotFoundError.of("there is no post {id}", cli="; see `publisher post list`", id=post_id)
    zone = post_row.campaign.timezone if post_row.campaign else app.settings.timezone
    channel_of = {d.id: d.channel.name for d in post_row.deliveries}
    data: dict[str, Any] = {
        "id": post_row.id,
        "title": post_row.title,
        "campaign": post_row.campaign.name if post_row.campaign else None,
        "state": post_row.state,
        "approval": post_row.approval,
        "event": local(post_row.event_at, zone) if post_row.event_at else None,  # the campaign's zone, as "due"
        "body": post_row.body,
        "deliveries": [
            _row(
                post_row.id,
                post_row.title,
                post_row.approval,
                d.channel.name,
                d.state,
                d.due_at,
                d.attempts,
                d.remote_url,
                d.last_error,
                zone,
            )
            for d in post_row.deliveries
        ],
        "history": [
            {
                "at": local(e.at, zone),
                "actor": e.actor,
                "channel": channel_of.get(e.delivery_id or 0, ""),  # a delivery's event names its channel
                "action": e.action,
                "to": e.to_state,
                "reason": e.reason,
            }
            for e in events
        ],
    }
    if as_json:
        print_json(data)
        return
    click.echo(t("post {id}: {title}", id=data["id"], title=data["title"]))
    click.echo(
        t(
            "campaign: {campaign}   state: {state}   approval: {approval}",
            campaign=data["campaign"] or "-",
            state=t(data["state"]),
            approval=t(data["approval"]),
        )
    )
    if data["event"]:
        click.echo(t("event: {when}", when=data["event"]))
    click.echo("")
    from publisher.web.i18n import event_note

    # the states, actions and the core's own notes in the reader's language, as the console shows them
    deliveries = [{**d, "state": t(d["state"])} for d in data["deliveries"]]
    print_table(deliveries, ["channel", "state", "due", "attempts", "link", "error"])
    click.echo("\n" + t("history:"))
    history = [
        {**e, "action": t(e["action"]), "to": t(e["to"]) if e["to"] else "", "reason": event_note(t, e["reason"] or "")}
        for e in data["history"]
    ]
    print_table(history, ["at", "actor", "channel", "action", "to", "reason"])


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
            click.echo(
                "== " + t("{channel}: cannot render: {error}", channel=row["channel"], error=row["error"]) + "\n"
            )
            continue
        limit = f"/{row['limit']}" if row["limit"] else " " + t("(no limit)")
        click.echo(f"== {row['channel']} ({row['kind']}): {row['length']}{limit} {t(row['unit'])}")
        click.echo(row["text"].rstrip() + "\n")


@post.command("cancel")
@click.argument("post_id", type=ROW_ID)
@click.option("--reason", help="Why, for the event log.")
@pass_app
@reports_errors
def post_cancel(app: App, post_id: int, reason: str | None) -> None:
    """Cancel every delivery of a post that has not gone out."""
    count = app.queue.cancel(post_id, reason)
    click.echo(t("cancelled post {id} ({count} deliveries)", id=post_id, count=count))


@post.command("reschedule")
@click.argument("post_id", type=ROW_ID)
@click.option("--at", "at", required=True, metavar="TIME", help="The new time.")
@click.option("--channel", help="Only this channel's delivery.")
@pass_app
@reports_errors
def post_reschedule(app: App, post_id: int, at: str, channel: str | None) -> None:
    """Move a post's waiting deliveries to another time."""
    from publisher.store import post_history
    from publisher.times import local

    post_row, _ = post_history(app.store, post_id)
    campaign = post_row.campaign.name if post_row and post_row.campaign else None
    moved_to = when(app, at, campaign)
    assert moved_to is not None
    count = app.queue.reschedule(post_id, moved_to, channel)
    shown = local(moved_to, app.queue.campaign_timezone(campaign))
    click.echo(t("moved {count} deliveries of post {id} to {when}", count=count, id=post_id, when=shown))


@post.command("resolve")
@click.argument("post_id", type=ROW_ID)
@click.option("--sent", is_flag=True, help="It did go out: mark it sent.")
@click.option("--resend", is_flag=True, help="It did not go out: send it again.")
@click.option("--channel", help="Only this channel's delivery.")
@click.option("--note", help="What you checked, for the event log.")
@pass_app
@reports_errors
def post_resolve(app: App, post_id: int, sent: bool, resend: bool, channel: str | None, note: str | None) -> None:
    """Settle an `uncertain` delivery: a person checked the channel."""
    if sent and resend:
        # they contradict: click would quietly keep the last one given
        raise ValidationError.of("--sent and --resend contradict each other: give one (it went out, or it did not)")
    action = "sent" if sent else "resend" if resend else ""
    count = app.queue.resolve(post_id, action, channel, note)
    click.echo(t("resolved {count} deliveries of post {id}: {action}", count=count, id=post_id, action=action))


@post.command("retry")
@click.argument("post_id", type=ROW_ID)
@click.option("--channel", help="Only this channel's delivery.")
@click.option("--note", help="What was fixed, for the event log.")
@pass_app
@reports_errors
def post_retry(app: App, post_id: int, channel: str | None, note: str | None) -> None:
    """Send a post's failed deliveries again, now, once the cause is fixed (a token renewed, a group id corrected)."""
    count = app.queue.retry(post_id, channel, note)
    click.echo(t("queued {count} failed deliveries of post {id} to be sent again now", count=count, id=post_id))


@post.command("approve")
@click.argument("post_id", type=ROW_ID)
@click.option("--note", help="A comment for the author.")
@pass_app
@reports_errors
def post_approve(app: App, post_id: int, note: str | None) -> None:
    """Approve a post waiting for approval; it then goes out when due."""
    app.queue.approve(post_id, note)
    click.echo(t("approved post {id}", id=post_id))


@post.command("reject")
@click.argument("post_id", type=ROW_ID)
@click.option("--reason", required=True, help="Why (the author will see it).")
@pass_app
@reports_errors
def post_reject(app: App, post_id: int, reason: str) -> None:
    """Reject a post waiting for approval; nothing of it goes out."""
    app.queue.reject(post_id, reason)
    click.echo(t("rejected post {id}", id=post_id))
