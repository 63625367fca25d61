"""``publisher media``: the media store from the command line: copy photos in, list what is there."""

from __future__ import annotations

from pathlib import Path

import click

from publisher.cli.base import App, json_option, pass_app, print_rows, reports_errors
from publisher.cli.lang import t

__all__ = ["media"]


@click.group()
def media() -> None:
    """The media store: photos a post can name as media:<sha256>."""


@media.command("add")
@click.argument("files", nargs=-1, required=True, type=click.Path(dir_okay=False))
@click.option("--alt", help="What the photos show, for readers who cannot see them (sent where a platform takes it).")
@pass_app
@reports_errors
def media_add(app: App, files: tuple[str, ...], alt: str | None) -> None:
    """Copy photos into the media store (without their EXIF or GPS position); print each one's reference."""
    from publisher.media import MediaStore, copy_in

    store = MediaStore(app.store, app.settings.media, clock=app.clock)
    for name, ref in zip(files, copy_in(store, files, Path.cwd(), app.actor), strict=True):
        if alt:
            store.set_alt(ref, alt)
        click.echo(f"{ref}  {name}")
    click.echo(t("a post names them with --image REF"))


@media.command("alt")
@click.argument("ref")
@click.argument("text")
@pass_app
@reports_errors
def media_alt(app: App, ref: str, text: str) -> None:
    """Say what a stored photo shows (its alt text; "" removes it)."""
    from publisher.media import MediaStore

    MediaStore(app.store, app.settings.media, clock=app.clock).set_alt(ref, text)
    click.echo(t("alt text of {ref} saved", ref=ref))


@media.command("list")
@click.option("--limit", type=click.IntRange(1, 10_000), default=50, show_default=True, help="How many, newest first.")
@json_option
@pass_app
@reports_errors
def media_list(app: App, limit: int, as_json: bool) -> None:
    """The newest photos in the media store: reference, name, size, pixels, when and by whom."""
    from publisher.times import local

    rows = [
        {
            "ref": f"media:{row.sha256}",
            "name": row.name,
            "type": row.mime,
            "bytes": row.size,
            "pixels": f"{row.width}x{row.height}",
            "added": row.created_at.isoformat() if as_json else local(row.created_at, app.settings.timezone),
            "by": row.created_by,
            "alt": row.alt or ("" if not as_json else None),
        }
        for row in app.store.list_media(limit)
    ]
    print_rows(rows, ["ref", "name", "type", "bytes", "pixels", "added", "by", "alt"], as_json)
