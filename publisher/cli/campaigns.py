"""``publisher campaign``: campaigns (a series of posts with a time zone and an approval rule) and their keyword
rules for the coverage tracker."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

import click

from publisher.cli.base import App, json_option, pass_app, print_json, print_rows, reports_errors
from publisher.cli.lang import t
from publisher.errors import ValidationError

__all__ = ["campaign"]


@click.group()
def campaign() -> None:
    """Campaigns: a series of posts with a time zone and an approval rule."""


@campaign.command("add")
@click.argument("name")
@click.option("--timezone", "--tz", "timezone", default=None, help="IANA zone, e.g. Asia/Shanghai.")
@click.option("--start", metavar="DATE", help="When the campaign starts.")
@click.option("--end", metavar="DATE", help="When it ends; a date alone means through that day.")
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
    from publisher.times import parse_time, parse_until

    zone = timezone or app.settings.timezone
    created = app.queue.add_campaign(
        name,
        timezone=zone,
        starts_at=parse_time(start, zone) if start else None,
        ends_at=parse_until(end, zone) if end else None,
        requires_approval=requires_approval,
        separate_approver=two_people,
    )
    approval = ""
    if requires_approval:
        approval = (
            t(", approval by someone other than the author") if created.separate_approver else t(", approval required")
        )
    click.echo(t("campaign {name} added ({zone}{approval})", name=created.name, zone=zone, approval=approval))


@campaign.command("list")
@json_option
@pass_app
@reports_errors
def campaign_list(app: App, as_json: bool) -> None:
    """List campaigns."""
    from publisher.store.listing import campaigns
    from publisher.times import local, local_end

    rows = [
        {
            "name": c.name,
            "timezone": c.timezone,
            "start": local(c.starts_at, c.timezone),
            "end": local_end(c.ends_at, c.timezone),
            "approval": "required" if c.requires_approval else "not required",
            "approver": ("not the author" if c.separate_approver else "anyone") if c.requires_approval else "-",
        }
        for c in campaigns(app.store)
    ]
    if not as_json:  # the values in the reader's language; --json keeps the ones a script matches
        for row in rows:
            row["approval"], row["approver"] = t(row["approval"]), t(row["approver"])
    print_rows(rows, ["name", "timezone", "start", "end", "approval", "approver"], as_json)


@campaign.command("edit")
@click.argument("name")
@click.option("--timezone", "--tz", "timezone", default=None, help="IANA zone, e.g. Asia/Shanghai.")
@click.option("--start", metavar="DATE", help="When the campaign starts ('none' clears it).")
@click.option("--end", metavar="DATE", help="When it ends; a date alone means through that day ('none' clears it).")
@click.option(
    "--requires-approval/--no-approval", "requires_approval", default=None, help="Whether posts need approval."
)
@click.option(
    "--two-people/--one-person", "two_people", default=None, help="Whether the approver must be another person."
)
@pass_app
@reports_errors
def campaign_edit(
    app: App,
    name: str,
    timezone: str | None,
    start: str | None,
    end: str | None,
    requires_approval: bool | None,
    two_people: bool | None,
) -> None:
    """Change a campaign: its zone, dates or approval rule. Posts already queued keep their times."""
    from publisher.queue import KEEP
    from publisher.times import parse_time, parse_until

    zone = timezone or app.queue.campaign_timezone(name)

    def date(text: str | None, parse: Any) -> Any:
        if text is None:
            return KEEP
        return None if text.strip().lower() == "none" else parse(text, zone)

    edited = app.queue.edit_campaign(
        name,
        timezone=timezone or KEEP,
        starts_at=date(start, parse_time),
        ends_at=date(end, parse_until),
        requires_approval=KEEP if requires_approval is None else requires_approval,
        separate_approver=KEEP if two_people is None else two_people,
    )
    click.echo(t("campaign {name} changed", name=edited.name))


@campaign.command("end")
@click.argument("name")
@click.option("--at", "at", metavar="TIME", help="When it ends (default: now); a date alone means through that day.")
@pass_app
@reports_errors
def campaign_end(app: App, name: str, at: str | None) -> None:
    """End a campaign: no post of it may be queued after its end."""
    from publisher.times import local_end, parse_until

    ended, late = app.queue.end_campaign(name, parse_until(at, app.queue.campaign_timezone(name)) if at else None)
    click.echo(t("campaign {name} ends {when}", name=ended.name, when=local_end(ended.ends_at, ended.timezone)))
    if late:
        click.echo(
            t(
                "{count} of its posts still wait to go out after the end: cancel them with `publisher post cancel`",
                count=late,
            )
        )


# --- keyword rules ----------------------------------------------------------------------------------------------------


def _words(given: Sequence[str], file: str | None) -> list[str]:
    words = list(given)
    if file:
        try:
            text = Path(file).read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as exc:
            reason = getattr(exc, "strerror", None) or exc  # the OS's words, without the errno and the path again
            raise ValidationError.of("cannot read {file}: {reason}", file=file, reason=reason) from None
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
    for key, label in (("any", t("any of")), ("all", t("all of")), ("none", t("none of"))):
        words = current[key]
        shown = ", ".join(words[:20]) + (t(" … ({count} in all)", count=len(words)) if len(words) > 20 else "")
        click.echo(f"{label:8} {shown or '-'}")
    if changing:
        click.echo(t("run `publisher track --rematch` to match the entries already stored against the new rules"))
