"""``publisher outlet``, ``track``, ``coverage`` and ``campaign rules``: the coverage tracker's commands.

Attached to the main command group (``publisher.cli`` imports this module at its end). Thin, like the rest of the
CLI: the rules live in ``publisher.tracker``.
"""

from __future__ import annotations

import asyncio
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import click

from publisher.cli import App, campaign, cli, json_option, pass_app, print_json, print_table, reports_errors
from publisher.errors import ValidationError
from publisher.times import local, parse_time

__all__: list[str] = []


def _tracker(app: App) -> Any:
    """The tracker over the app's store, with the config file's outlets synced in."""
    from publisher.tracker.service import Tracker

    settings = app.settings
    tracker = Tracker(settings.tracker, app.store, app.clock, timezone=settings.timezone, outbound=settings.outbound)
    tracker.sync(dict(settings.outlets))
    return tracker


def _iso(value: Any) -> str | None:
    return value.isoformat() if value is not None else None


# --- outlets ------------------------------------------------------------------------------------------------------


@cli.group()
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
@click.option("--tier", help="e.g. city, province, national.")
@click.option("--region", help="e.g. 杭州市.")
@click.option("--timezone", "--tz", "timezone", help="For feed dates without an offset (default: [publisher]).")
@click.option(
    "--feed",
    "feeds",
    multiple=True,
    metavar="URL",
    help="A feed URL, or an RSSHub route such as rsshub:/weibo/user/1195230310. Repeat for several.",
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
) -> None:
    """Add an outlet (a paper needs no feed), or more feeds to one added before."""
    from publisher.tracker.outlets import OutletSpec, add_outlet

    tracker = _tracker(app)
    spec = OutletSpec(name=name, kind=kind, tier=tier, region=region, timezone=timezone, feeds=list(feeds))
    add_outlet(app.store, spec, tracker.settings, app.clock.now(), app.actor)
    shown = f" with {len(feeds)} feed{'s' if len(feeds) != 1 else ''}" if feeds else " (no feed: coverage by hand)"
    click.echo(f"outlet {name} added{shown}")


@outlet.command("list")
@json_option
@pass_app
@reports_errors
def outlet_list(app: App, as_json: bool) -> None:
    """Outlets with each feed's health: last success, last error, next poll."""
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
            "tier": h.tier or "-",
            "feed": _short(h.feed or "-", 50),
            "status": h.status,
            "last_success": local(h.last_success_at, zone),
            "next_poll": local(h.next_poll_at, zone) if h.feed else "-",
            "last_error": _short(f"{local(h.last_error_at, zone)}: {h.last_error}", 70) if h.last_error else "",
        }
        for h in health
    ]
    print_table(rows, ["outlet", "kind", "tier", "feed", "status", "last_success", "next_poll", "last_error"])


def _short(text: str, width: int) -> str:
    return text if len(text) <= width else text[: width - 1] + "…"


@outlet.command("test")
@click.argument("name")
@pass_app
@reports_errors
def outlet_test(app: App, name: str) -> None:
    """Fetch and read each of an outlet's feeds now, and print a verdict. Changes nothing."""
    from publisher.tracker.outlets import outlet_health

    tracker = _tracker(app)
    if not outlet_health(app.store, name):
        raise ValidationError(f"there is no outlet {name}; see `publisher outlet list`")
    verdicts = asyncio.run(tracker.test(name))
    if not verdicts:
        click.echo(f"{name}: no feed to test (coverage is added by hand: publisher coverage add)")
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
    click.echo(f"outlet {name} removed (its coverage is kept)")


# --- polling --------------------------------------------------------------------------------------------------------


@cli.command()
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
        for outlet_, feed, error in report.errors:
            click.echo(f"  {outlet_}: {feed}: {error}")
    if rematch:
        added = tracker.rematch(campaign)
        click.echo(f"rematched the stored entries: {added} new coverage items")


# --- coverage -------------------------------------------------------------------------------------------------------


@cli.group()
def coverage() -> None:
    """Coverage items: what outlets carried about a campaign."""


@coverage.command("add")
@click.option("--campaign", help="The campaign (default: the only one).")
@click.option("--outlet", "outlet_name", required=True, help="The outlet (add it first with `outlet add`).")
@click.option("--title", required=True)
@click.option("--date", "date", required=True, metavar="DATE", help="When it appeared, in the campaign's zone.")
@click.option("--url", help="Where it can be read, if online.")
@click.option("--note", help="e.g. page 3, print edition.")
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
    as_json: bool,
) -> None:
    """Record coverage found by hand: print, a notice board, a broadcast."""
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
    )
    if as_json:
        print_json({"id": item})
    else:
        click.echo(f"coverage item {item} added")


@coverage.command("list")
@click.option("--campaign", help="Only this campaign.")
@click.option("--outlet", "outlet_name", help="Only this outlet.")
@click.option("--from", "date_from", metavar="DATE", help="Published at or after this time.")
@click.option("--to", "date_to", metavar="DATE", help="Published before this time.")
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
    from publisher.tracker.coverage import CoverageFilter, list_coverage

    zone = app.queue.campaign_timezone(campaign)
    where = CoverageFilter(
        campaign=campaign,
        outlet=outlet_name,
        published_from=parse_time(date_from, zone) if date_from else None,
        published_to=parse_time(date_to, zone) if date_to else None,
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
            "title": _short(i.title, 30),
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
        click.echo(f"\n{len(items)} items from {len(outlets)} outlets")


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
    click.echo(f"coverage item {item_id} removed: {item.title}")


# --- keyword rules ----------------------------------------------------------------------------------------------------


def _words(given: Sequence[str], file: str | None) -> list[str]:
    words = list(given)
    if file:
        try:
            text = Path(file).read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as exc:
            raise ValidationError(f"cannot read {file}: {exc}") from None
        words.extend(line.strip() for line in text.splitlines() if line.strip() and not line.startswith("#"))
    return words


@campaign.command("rules")
@click.argument("name")
@click.option("--any", "any_of", multiple=True, metavar="WORD", help="Matches if any of these is found. Repeatable.")
@click.option("--all", "all_of", multiple=True, metavar="WORD", help="All of these must be found. Repeatable.")
@click.option("--none", "none_of", multiple=True, metavar="WORD", help="None of these may be found. Repeatable.")
@click.option("--any-file", type=click.Path(dir_okay=False), help="More any-of keywords, one a line.")
@click.option("--clear", is_flag=True, help="Remove every rule (matching by similarity to our posts goes on).")
@json_option
@pass_app
@reports_errors
def campaign_rules(
    app: App,
    name: str,
    any_of: Sequence[str],
    all_of: Sequence[str],
    none_of: Sequence[str],
    any_file: str | None,
    clear: bool,
    as_json: bool,
) -> None:
    """Show or set a campaign's keyword rules for the coverage tracker (given lists replace the old ones)."""
    from publisher.tracker.coverage import get_rules, set_rules

    current = get_rules(app.store, name)
    changing = clear or any_of or all_of or none_of or any_file
    if changing:
        current = set_rules(
            app.store,
            name,
            any_of=[] if clear else _words(any_of, any_file) or current["any"],
            all_of=[] if clear else list(all_of) or current["all"],
            none_of=[] if clear else list(none_of) or current["none"],
            now=app.clock.now(),
            actor=app.actor,
        )
    if as_json:
        print_json(current)
        return
    for key, label in (("any", "any of"), ("all", "all of"), ("none", "none of")):
        words = current[key]
        shown = ", ".join(words[:20]) + (f" … ({len(words)} in all)" if len(words) > 20 else "")
        click.echo(f"{label:8} {shown or '-'}")
    if changing:
        click.echo("run `publisher track --rematch` to match the entries already stored against the new rules")
