"""``publisher report``: a campaign's coverage report in CSV, XLSX, JSON, Markdown or HTML, and the scheduled ones.

Thin, like the rest of the CLI: the work is in ``publisher.reports``.
"""

from __future__ import annotations

import re
import sys
from collections.abc import Sequence
from datetime import date, datetime, timedelta
from pathlib import Path

import click

from publisher.cli.base import App, pass_app, reports_errors
from publisher.cli.lang import t
from publisher.errors import ValidationError
from publisher.reports.labels import LANGUAGES

__all__ = ["FORMATS", "report"]

#: ``publisher.reports.build.FORMATS``, named here so that `publisher --help` does not import the report builder
#: (a test checks that the two agree)
FORMATS = ("csv", "xlsx", "json", "md", "html")

_DATE_ONLY = re.compile(r"^\d{4}-\d{2}-\d{2}$")


def _campaign(app: App, name: str | None) -> tuple[str, str]:
    """The campaign's name and time zone (``name`` None: the only campaign there is)."""
    from publisher.tracker.coverage import find_campaign

    with app.store.sessions() as session:
        found = find_campaign(session, name)
        return found.name, found.timezone


def _until(text: str, zone: str) -> datetime:
    """``--to``: a date alone means the end of that day (the next midnight), a time is taken as it is."""
    from publisher.times import parse_time

    if _DATE_ONLY.match(text.strip()):
        try:
            following = date.fromisoformat(text.strip()) + timedelta(days=1)
        except ValueError:
            raise ValidationError.of("cannot read the date {text!r}: write it as YYYY-MM-DD", text=text) from None
        return parse_time(following.isoformat(), zone)
    return parse_time(text, zone)


@click.command("report")
@click.option("--campaign", metavar="NAME", help="The campaign (default: the only one).")
@click.option(
    "--from", "date_from", metavar="DATE", help="From this day or time, in the campaign's zone (default: its start)."
)
@click.option(
    "--to", "date_to", metavar="DATE", help="Up to this time; a date alone includes that whole day (default: now)."
)
@click.option(
    "--format",
    "formats",
    multiple=True,
    type=click.Choice(FORMATS),
    help="csv (one file per table, zipped unless --out names a folder), xlsx, json, md or html. Repeatable.",
)
@click.option(
    "--lang",
    type=click.Choice(LANGUAGES),
    help="The report's words and paragraph: zh (Simplified Chinese), zh-Hant or en (default: [reports] language).",
)
@click.option("--out", metavar="PATH", help="The file to write (for csv: a .zip, or a folder); - for standard output.")
@click.option("--folder", type=click.Path(file_okay=False), help="Where the files go (default: the working folder).")
@click.option(
    "--scheduled", is_flag=True, help="Instead: write the [reports.NAME] reports now due, and exit (for cron)."
)
@pass_app
@reports_errors
def report(
    app: App,
    campaign: str | None,
    date_from: str | None,
    date_to: str | None,
    formats: Sequence[str],
    lang: str | None,
    out: str | None,
    folder: str | None,
    scheduled: bool,
) -> None:
    """Write a campaign's coverage report: outlets, timeline, every item, our posts, and the summary paragraph."""
    if scheduled:
        _scheduled(app)
        return
    from publisher.reports.build import write_reports
    from publisher.times import parse_time

    if not formats:
        raise ValidationError.of("choose a format: --format csv|xlsx|json|md|html (repeat it for several)")
    name, zone = _campaign(app, campaign)
    settings = app.settings.reports
    to_stdout = out == "-"
    written = write_reports(
        app.store,
        name,
        formats,
        now=app.clock.now(),
        lang=lang or settings.language,
        templates=settings.templates,
        start=parse_time(date_from, zone) if date_from else None,
        end=_until(date_to, zone) if date_to else None,
        folder=Path(folder) if folder else None,
        out=Path(out) if out and not to_stdout else None,
        stream=sys.stdout if to_stdout else None,
        public_url=app.settings.public_url,  # the kept pages link to the console's evidence
    )
    if to_stdout:
        return
    for path in written.paths:
        click.echo(t("wrote {path}", path=path))
    summary = written.summary
    click.echo(
        "\n"
        + t(
            "{coverage} coverage items from {outlets} outlets; {posts} posts sent {sent} times",
            coverage=summary.coverage,
            outlets=len(summary.outlets),
            posts=summary.posts,
            sent=summary.sent,
        )
        + "\n"
    )
    click.echo(written.narrative)


def _scheduled(app: App) -> None:
    from publisher.reports.schedule import ReportScheduler

    settings = app.settings
    if not settings.reports.scheduled:
        click.echo(t("no scheduled reports: add a [reports.NAME] table to the config file (see docs/reports.md)"))
        return
    scheduler = ReportScheduler(settings, app.store, app.clock, app.queue.adapters)
    results = scheduler.run_due()
    if not results:
        click.echo(t("no scheduled report is due"))
    for result in results:
        shown = ", ".join(str(p) for p in result.files) or "-"
        line = f"{result.name} ({result.occurrence.isoformat()}): {t(result.state)}: {shown}"
        if result.post_id:
            line += t("; announced as post {id}", id=result.post_id)
        if result.error:
            line += f"; {result.error}"
        click.echo(line)
    if any(r.state == "failed" for r in results):
        sys.exit(1)
