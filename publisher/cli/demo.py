"""``publisher demo``: a sample campaign in a folder of its own (it makes its own database there)."""

from __future__ import annotations

from pathlib import Path

import click

from publisher.cli.base import reports_errors

__all__ = ["demo"]


@click.command()
@click.option("--folder", type=click.Path(file_okay=False), help="Where to put the demo (default: a new temp folder).")
@reports_errors
def demo(folder: str | None) -> None:
    """Queue a short sample campaign, send it to the outbox, and show what went where."""
    from publisher.demo import run_demo

    run_demo(Path(folder) if folder else None, echo=click.echo)
