"""``publisher outlet``, ``track`` and ``coverage``: the coverage tracker's commands (``campaign rules`` is in
``publisher.cli.campaigns``). Thin, like the rest of the CLI: the rules live in ``publisher.tracker``."""

from __future__ import annotations

import asyncio
import sys
from collections.abc import Sequence
from typing import Any

import click

from publisher.cli.base import App, json_option, pass_app, print_json, print_table, reports_errors, short
from publisher.cli.lang import t
from publisher.errors import ValidationError

__all__ = ["coverage", "outlet", "track"]


def _tracker(app: App) -> Any:
    """The tracker over the app's store, with the config file's outlets synced in."""
    from publisher.tracker.service import Tracker

    settings = app.settings
    tracker = Tracker(settings.tracker, app.store, app.clock, timezone=settings.timezone, outbound=settings.outbound)
    tracker.sync(dict(settings.outlets))
    return tracker


def _iso(value: Any) -> str | None:
    return value.isoformat() if value is not None else None


TIER_HELP = "中央, 省, 市, 区/县 or 校 (or national, province, city, district, school)."


def _tier(code: str | None) -> str:
    """A tier as people say it in the user's language: 市 in Chinese, city in English; an old free text as written."""
    from publisher.cli.lang import is_chinese
    from publisher.tracker.settings import TIERS

    if not code:
        return "-"
    return TIERS.get(code, code) if is_chinese() else code


# --- outlets ------------------------------------------------------------------------------------------------------


@click.group()
def outlet() -> None:
    """Outside outlets whose coverage is counted, and their feeds."""


@outlet.command("add")
@click.argument("name")
@click.option(
    "--kind",
    default="news_site",
    show_default=True,
    type=click.Choice(["news_site", "portal", "official_account", "paper", "other"]),
)
@click.option("--tier", help=TIER_HELP)
@click.option("--region", help="e.g. 杭州市.")
@click.option("--timezone", "--tz", "timezone", help="For feed dates without an offset (default: [publisher]).")
@click.option(
    "--feed",
    "feeds",
    multiple=True,
    metavar="URL",
    help="A feed URL, or an RSSHub route such as rsshub:/weibo/user/1195230310. Repeat for several.",
)
@click.option(
    "--full-text/--no-full-text",
    default=None,
    help="Fetch the article page of an entry that has only a headline (default: on).",
)
@pass_app
@reports_errors
def outlet_add(
    app: App,
    name: str,
    kind: str,
    tier: str | None,
    region: str | None,
    timezone: str | None,
    feeds: Sequence[str],
    full_text: bool | None,
) -> None:
    """Add an outlet (a paper needs no feed), or more feeds to one added before."""
    from publisher.tracker.outlets import OutletSpec, add_outlet

    tracker = _tracker(app)
    spec = OutletSpec(
        name=name, kind=kind, tier=tier, region=region, timezone=timezone, feeds=list(feeds), full_text=full_text
    )
    add_outlet(app.store, spec, tracker.settings, app.clock.now(), app.actor)
    shown = f" with {len(feeds)} feed{'s' if len(feeds) != 1 else ''}" if feeds else " (no feed: coverage by hand)"
    click.echo(f"outlet {name} added{shown}")


@outlet.command("list")
@json_option
@pass_app
@reports_errors
def outlet_list(app: App, as_json: bool) -> None:
    """Outlets with each feed's health: last success, last error, next poll."""
    from publisher.times import local
    from publisher.tracker.outlets import outlet_health

    _tracker(app)
    zone = app.settings.timezone
    health = outlet_health(app.store)
    if as_json:
        print_json(
            [
                {
                    "outlet": h.outlet,
                    "kind": h.kind,
                    "tier": h.tier,
                    "region": h.region,
                    "origin": h.origin,
                    "feed": h.feed,
                    "status": h.status,
                    "last_success": _iso(h.last_success_at),
                    "last_error": h.last_error,
                    "last_error_at": _iso(h.last_error_at),
                    "warning": h.last_warning,
                    "next_poll": _iso(h.next_poll_at),
                    "interval_seconds": h.interval_seconds,
                    "entries": h.entries_seen,
                }
                for h in health
            ]
        )
        return
    rows = [
        {
            "outlet": h.outlet,
            "kind": h.kind,
            "tier": _tier(h.tier),
            "feed": short(h.feed or "-", 50),
            "status": h.status,
            "last_success": local(h.last_success_at, zone),
            "next_poll": local(h.next_poll_at, zone) if h.feed else "-",
            "last_error": short(f"{local(h.last_error_at, zone)}: {h.last_error}", 70) if h.last_error else "",
        }
        for h in health
    ]
    print_table(rows, ["outlet", "kind", "tier", "feed", "status", "last_success", "next_poll", "last_error"])


@outlet.command("edit")
@click.argument("name")
@click.option(
    "--kind", type=click.Choice(["news_site", "portal", "official_account", "paper", "other"]), help="A new kind."
)
@click.option("--tier", help=TIER_HELP + " 'none' clears it.")
@click.option("--region", help="e.g. 杭州市 ('none' clears it).")
@click.option("--timezone", "--tz", "timezone", help="For feed dates without an offset ('none' clears it).")
@click.option(
    "--full-text/--no-full-text", default=None, help="Fetch the article pages of its headline-only entries, or not."
)
@pass_app
@reports_errors
def outlet_edit(
    app: App,
    name: str,
    kind: str | None,
    tier: str | None,
    region: str | None,
    timezone: str | None,
    full_text: bool | None,
) -> None:
    """Change an outlet's kind, tier, region, time zone or full-text fetching (its feeds: `outlet add`, `outlet
    remove`)."""
    from publisher.tracker.outlets import KEEP, edit_outlet

    def given(value: str | None) -> Any:
        if value is None:
            return KEEP
        return None if value.strip().lower() == "none" else value

    if kind is None and tier is None and region is None and timezone is None and full_text is None:
        raise ValidationError.of("say what to change", cli=": --kind, --tier, --region, --timezone or --no-full-text")
    _tracker(app)
    changes = edit_outlet(
        app.store,
        name,
        app.clock.now(),
        app.actor,
        kind=kind if kind is not None else KEEP,
        tier=given(tier),
        region=given(region),
        timezone=given(timezone),
        full_text=full_text,
    )
    if changes:
        click.echo(t("outlet {name} changed: {changes}", name=name, changes="; ".join(changes)))
    else:
        click.echo(t("outlet {name} is already like that: nothing changed", name=name))


@outlet.command("import")
@click.argument("file", type=click.Path(dir_okay=False, allow_dash=True))
@click.option("--format", "fmt", type=click.Choice(["csv", "opml"]), help="Default: by the file's extension.")
@click.option("--dry-run", is_flag=True, help="Check every row and say what would change; write nothing.")
@pass_app
@reports_errors
def outlet_import(app: App, file: str, fmt: str | None, dry_run: bool) -> None:
    """Add or update outlets from a CSV or OPML file. Every row is checked first: unless all pass, nothing is written.

    CSV columns: name, kind, tier, region, timezone, feeds (feeds separated by spaces). A row sets its outlet's
    kind, tier, region and time zone as written and adds its feeds; feeds already there are kept."""
    from publisher.cli.lang import t_error
    from publisher.tracker.outlet_files import MAX_BYTES, format_of, read_outlets
    from publisher.tracker.outlets import ImportRefused, import_outlets

    data = _read_limited(file, MAX_BYTES)
    chosen = format_of(file, fmt, data[:64])
    rows, problems = read_outlets(data, chosen)
    tracker = _tracker(app)
    try:
        done = import_outlets(app.store, rows, problems, tracker.settings, app.clock.now(), app.actor, dry_run=dry_run)
    except ImportRefused as refused:
        shown = refused.problems[:MAX_SHOWN]
        for problem in shown:
            number = problem.number
            where = t("row {number}", number=number) if problem.place == "row" else t("line {number}", number=number)
            if problem.column:
                where += t(", column {column}", column=problem.column)
            click.echo(t("{where}: {problem}", where=where, problem=t_error(problem.error)), err=True)
        if len(refused.problems) > len(shown):
            click.echo(t("... and {count} more", count=len(refused.problems) - len(shown)), err=True)
        click.echo(t("error: {message}", message=t_error(refused)), err=True)
        sys.exit(1)
    added = sum(1 for d in done if d.changes[:1] == ["added"])
    changed = sum(1 for d in done if d.changes and d.changes[:1] != ["added"])
    for d in done:
        if d.changes:
            click.echo(f"  {d.name}: {'; '.join(d.changes)}")
    counts = {"added": added, "changed": changed, "same": len(done) - added - changed}
    if dry_run:
        click.echo(t("dry run, nothing written: {added} to add, {changed} to change, {same} unchanged", **counts))
    else:
        click.echo(t("imported: {added} added, {changed} changed, {same} unchanged", **counts))


MAX_SHOWN = 50  # refused rows printed; the rest are counted


def _read_limited(file: str, most: int) -> bytes:
    """The file's bytes (``-``: standard input), or a refusal once it is over ``most`` (never read whole)."""
    try:
        if file == "-":
            data = sys.stdin.buffer.read(most + 1)
        else:
            with open(file, "rb") as handle:
                data = handle.read(most + 1)
    except OSError as exc:
        raise ValidationError.of("cannot read {path}: {reason}", path=file, reason=exc.strerror or str(exc)) from None
    if len(data) > most:
        raise ValidationError.of("{path} is over the limit of {most} bytes", path=file, most=most)
    return data


@outlet.command("export")
@click.argument("file", required=False, type=click.Path(dir_okay=False, writable=True, allow_dash=True))
@click.option("--format", "fmt", type=click.Choice(["csv", "opml"]), help="Default: by the file's extension, else CSV.")
@pass_app
@reports_errors
def outlet_export(app: App, file: str | None, fmt: str | None) -> None:
    """Write every outlet and its feeds as CSV or OPML, to FILE or the screen; `outlet import` reads it back."""
    from publisher.tracker.outlet_files import format_of, write_csv, write_opml
    from publisher.tracker.outlets import outlet_specs

    _tracker(app)
    specs = [(s.name, s.kind, s.tier, s.region, s.timezone, s.feeds) for s in outlet_specs(app.store)]
    chosen = format_of(file or "", fmt or ("csv" if not file or file == "-" else None))
    to_file = bool(file) and file != "-"
    bom = "utf-8-sig" if to_file else "utf-8"  # a byte-order mark in a file: Excel and WPS then read Chinese right
    data = write_opml(specs) if chosen == "opml" else write_csv(specs).encode(bom)
    if not to_file:
        sys.stdout.buffer.write(data)
        sys.stdout.flush()
        return
    try:
        with open(str(file), "wb") as handle:
            handle.write(data)
    except OSError as exc:
        raise ValidationError.of("cannot write {path}: {reason}", path=file, reason=exc.strerror or str(exc)) from None
    click.echo(t("{count} outlets written to {path}", count=len(specs), path=file), err=True)


@outlet.command("test")
@click.argument("name")
@pass_app
@reports_errors
def outlet_test(app: App, name: str) -> None:
    """Fetch and read each of an outlet's feeds now, and print a verdict. Changes nothing."""
    from publisher.tracker.outlets import outlet_health

    tracker = _tracker(app)
    if not outlet_health(app.store, name):
        raise ValidationError.of("there is no outlet {name}", cli="; see `publisher outlet list`", name=name)
    verdicts = asyncio.run(tracker.test(name))
    if not verdicts:
        click.echo(t("{name}: no feed to test (coverage is added by hand: publisher coverage add)", name=name))
        return
    for verdict in verdicts:
        click.echo(f"{name}: {'OK' if verdict.ok else 'FAILED'}: {verdict.text}")
    if not all(v.ok for v in verdicts):
        sys.exit(1)


@outlet.command("remove")
@click.argument("name")
@click.option("--reason", help="Why, for the event log.")
@pass_app
@reports_errors
def outlet_remove(app: App, name: str, reason: str | None) -> None:
    """Stop polling an outlet. Its coverage is kept."""
    from publisher.tracker.outlets import remove_outlet

    _tracker(app)
    remove_outlet(app.store, name, app.clock.now(), app.actor, reason)
    click.echo(t("outlet {name} removed (its coverage is kept)", name=name))


# --- polling --------------------------------------------------------------------------------------------------------


@click.command()
@click.option("--once", is_flag=True, help="Poll every due feed once and exit (for system cron).")
@click.option("--all", "force", is_flag=True, help="With --once: poll every feed now, due or not.")
@click.option("--outlet", "outlet_name", metavar="NAME", help="With --once: only this outlet's feeds.")
@click.option("--rematch", is_flag=True, help="Match every stored entry again (after changing keyword rules).")
@click.option("--campaign", metavar="NAME", help="With --rematch: only this campaign.")
@pass_app
@reports_errors
def track(app: App, once: bool, force: bool, outlet_name: str | None, rematch: bool, campaign: str | None) -> None:
    """Poll the outlets' feeds and record coverage (`publisher run` does this by itself when feeds are due)."""
    from publisher.logs import configure
    from publisher.scrub import for_settings

    if not once and not rematch:
        raise ValidationError("say what to do: --once (poll due feeds) or --rematch (match stored entries again)")
    settings = app.settings
    configure(settings.log_level, settings.log_format, for_settings(settings))
    tracker = _tracker(app)
    if once:
        report = asyncio.run(tracker.run_once(force=force, outlet=outlet_name))
        click.echo(report.summary())
        if report.sources == 0 and report.next_due is not None:
            from publisher.times import local

            when = local(report.next_due, settings.timezone)
            click.echo(
                t(
                    "no feed is due; the next poll is due {when}; `publisher track --once --all` polls every feed now",
                    when=when,
                )
            )
        for outlet_, feed, error in report.errors:
            click.echo(f"  {outlet_}: {feed}: {error}")
    if rematch:
        added = tracker.rematch(campaign)
        click.echo(t("rematched the stored entries: {count} new coverage items", count=added))


# --- coverage -------------------------------------------------------------------------------------------------------


@click.group()
def coverage() -> None:
    """Coverage items: what outlets carried about a campaign."""


@coverage.command("add")
@click.option("--campaign", help="The campaign (default: the only one).")
@click.option("--outlet", "outlet_name", required=True, help="The outlet (add it first with `outlet add`).")
@click.option("--title", required=True)
@click.option("--date", "date", required=True, metavar="DATE", help="When it appeared, in the campaign's zone.")
@click.option("--url", help="Where it can be read, if online.")
@click.option("--note", help="e.g. page 3, print edition.")
@click.option("--force", is_flag=True, help="Record it even though it is dated outside the campaign's dates.")
@json_option
@pass_app
@reports_errors
def coverage_add(
    app: App,
    campaign: str | None,
    outlet_name: str,
    title: str,
    date: str,
    url: str | None,
    note: str | None,
    force: bool,
    as_json: bool,
) -> None:
    """Record coverage found by hand: print, a notice board, a broadcast (the same item twice is refused)."""
    from publisher.times import parse_time
    from publisher.tracker.coverage import add_manual

    _tracker(app)
    when = parse_time(date, app.queue.campaign_timezone(campaign))
    item = add_manual(
        app.store,
        campaign=campaign,
        outlet=outlet_name,
        title=title,
        published_at=when,
        url=url,
        note=note,
        now=app.clock.now(),
        actor=app.actor,
        force=force,
    )
    if as_json:
        print_json({"id": item})
    else:
        click.echo(t("coverage item {id} added", id=item))


@coverage.command("list")
@click.option("--campaign", help="Only this campaign.")
@click.option("--outlet", "outlet_name", help="Only this outlet.")
@click.option("--from", "date_from", metavar="DATE", help="Published at or after this time.")
@click.option("--to", "date_to", metavar="DATE", help="Published before this time; a date alone includes that day.")
@click.option("--limit", default=1000, show_default=True)
@json_option
@pass_app
@reports_errors
def coverage_list(
    app: App,
    campaign: str | None,
    outlet_name: str | None,
    date_from: str | None,
    date_to: str | None,
    limit: int,
    as_json: bool,
) -> None:
    """Coverage items by publication time, with why each matched."""
    from publisher.times import local, parse_time, parse_until
    from publisher.tracker.coverage import CoverageFilter, list_coverage

    zone = app.queue.campaign_timezone(campaign)
    where = CoverageFilter(
        campaign=campaign,
        outlet=outlet_name,
        published_from=parse_time(date_from, zone) if date_from else None,
        published_to=parse_until(date_to, zone) if date_to else None,
        limit=limit,
    )
    items = list_coverage(app.store, where)
    if as_json:
        print_json(
            [
                {
                    "id": i.id,
                    "campaign": i.campaign,
                    "outlet": i.outlet,
                    "tier": i.tier,
                    "kind": i.kind,
                    "title": i.title,
                    "url": i.url,
                    "published": _iso(i.published_at),
                    "matched_by": i.matched_by,
                    "why": i.matched_terms,
                    "score": i.score,
                    "post": i.post_id,
                    "reprint_group": i.reprint_group,
                    "origin": i.origin,
                    "note": i.note,
                }
                for i in items
            ]
        )
        return
    rows = [
        {
            "id": i.id,
            "published": local(i.published_at, i.timezone),
            "outlet": i.outlet,
            "tier": i.tier or "-",
            "title": short(i.title, 30),
            "matched_by": i.matched_by,
            "score": f"{i.score:.2f}",
            "group": i.reprint_group if i.reprint_group != i.id else "",
            "url": i.url or "",
        }
        for i in items
    ]
    print_table(rows, ["id", "published", "outlet", "tier", "title", "matched_by", "score", "group", "url"])
    if items:
        outlets = {i.outlet for i in items}
        click.echo("\n" + t("{count} items from {outlets} outlets", count=len(items), outlets=len(outlets)))


@coverage.command("show")
@click.argument("item_id", type=click.IntRange(1, 2**63 - 1))
@click.option(
    "--page",
    "page_file",
    type=click.Path(dir_okay=False, writable=True),
    help="Also write the kept article page, as fetched, to this file.",
)
@click.option(
    "--screenshot",
    "picture_file",
    type=click.Path(dir_okay=False, writable=True),
    help="Also write the picture of the kept page ([tracker] screenshots), a PNG, to this file.",
)
@pass_app
@reports_errors
def coverage_show(app: App, item_id: int, page_file: str | None, picture_file: str | None) -> None:
    """The article page kept as evidence of a coverage item: where and when it was fetched, its SHA-256, its text."""
    from publisher.times import local
    from publisher.tracker.evidence import evidence_for

    _tracker(app)
    kept = evidence_for(app.store, item_id)
    page = kept.page
    click.echo(t("coverage item {id}: {title}", id=item_id, title=kept.title))
    click.echo(t("kept page: {url}", url=page.url))
    click.echo(t("fetched: {when} (HTTP {status})", when=local(page.fetched_at, kept.timezone), status=page.status))
    click.echo(f"SHA-256: {page.sha256}")
    if page.error:
        click.echo(t("last check: {when}: {error}", when=local(page.checked_at, kept.timezone), error=page.error))
    if page.screenshot_png and page.screenshot_at:
        click.echo(t("picture: drawn {when}", when=local(page.screenshot_at, kept.timezone)))
    if page_file:
        with open(page_file, "wb") as out:  # a path the person typed, on their own machine
            out.write(page.html)
        click.echo(t("page written to {path}", path=page_file))
    if picture_file:
        if not page.screenshot_png:
            raise click.UsageError(t("coverage item {id} has no picture: turn on [tracker] screenshots", id=item_id))
        with open(picture_file, "wb") as out:
            out.write(page.screenshot_png)
        click.echo(t("picture written to {path}", path=picture_file))
    click.echo("\n" + page.text)


@coverage.command("remove")
@click.argument("item_id", type=click.IntRange(1, 2**63 - 1))  # 64-bit ids
@click.option("--reason", help="Why (not coverage, a duplicate, ...), for the event log.")
@pass_app
@reports_errors
def coverage_remove(app: App, item_id: int, reason: str | None) -> None:
    """Remove a coverage item (a false match); later passes do not add it back."""
    from publisher.tracker.coverage import remove_coverage

    _tracker(app)
    item = remove_coverage(app.store, item_id, app.clock.now(), app.actor, reason)
    click.echo(t("coverage item {id} removed: {title}", id=item_id, title=item.title))
