"""``publisher web`` and ``publisher user``: serving the web console, and the people who sign in to it.

Both need a database made by `publisher init` (neither creates nor migrates one).
"""

from __future__ import annotations

import sys
from typing import TYPE_CHECKING, Any

import click

from publisher.cli.base import ROW_ID, App, json_option, pass_app, print_rows, reports_errors
from publisher.cli.lang import is_chinese, t
from publisher.errors import ValidationError

if TYPE_CHECKING:
    from publisher.web.accounts import Accounts

__all__ = ["LANGUAGES", "ROLES", "user", "web"]

#: ``publisher.web.models.Role`` and ``publisher.web.accounts.LANGUAGES``, named here so that `--help` imports no
#: database code (a test checks that they agree)
ROLES = ("editor", "approver", "admin")
LANGUAGES = ("zh", "en")


@click.command("web")
@click.option("--host", help="Address to listen on (default: [web] host, 127.0.0.1).")
@click.option("--port", type=int, help="Port (default: [web] port, 8000).")
@pass_app
@reports_errors
def web(app: App, host: str | None, port: int | None) -> None:
    """Serve the web console alone (`publisher run` also serves it, beside the daemon)."""
    from publisher.config import WebSettings
    from publisher.logs import configure
    from publisher.scrub import for_settings
    from publisher.web.accounts import Accounts
    from publisher.web.app import create_app
    from publisher.web.console import Console
    from publisher.web.serve import listen, serve_forever

    settings = app.settings
    web_settings = settings.web or WebSettings()
    configure(settings.log_level, settings.log_format, for_settings(settings))  # the console logs secrets never
    console = Console.build(settings, app.store, app.clock)
    application = create_app(console)
    host, port = host or web_settings.host, port or web_settings.port
    sock = listen(host, port)  # a port in use is an error here, before the console is announced
    if not Accounts(app.store, app.clock).has_admin():
        click.echo(t("no admin yet: create one with `publisher user add NAME --role admin`"), err=True)
    click.echo(t("web console on {url} (Ctrl-C to stop)", url=f"http://{host}:{port}/"), err=True)
    serve_forever(application, host, port, sock)


@click.group()
def user() -> None:
    """People who sign in to the web console, and their API tokens."""


def _accounts(app: App) -> Accounts:
    from publisher.web.accounts import Accounts

    return Accounts(app.store, app.clock)


def _password(from_stdin: bool) -> str:
    if from_stdin:
        line = sys.stdin.readline()
        if not line:
            raise ValidationError.of("no password on standard input")
        return line.rstrip("\r\n")
    # asked twice by hand: click's own confirmation words are English
    suffix = "：" if is_chinese() else ": "  # a full-width colon after Chinese
    while True:
        value: str = click.prompt(t("Password"), hide_input=True, prompt_suffix=suffix)
        if click.prompt(t("Repeat for confirmation"), hide_input=True, prompt_suffix=suffix) == value:
            return value
        click.echo(t("Error: The two entered values do not match."), err=True)


@user.command("add")
@click.argument("name")
@click.option("--role", type=click.Choice(ROLES), default="editor", show_default=True)
@click.option("--language", type=click.Choice(LANGUAGES), help="Their console language (default: [web] language).")
@click.option("--password-stdin", is_flag=True, help="Read the password from the first line of standard input.")
@pass_app
@reports_errors
def user_add(app: App, name: str, role: str, language: str | None, password_stdin: bool) -> None:
    """Add a person who can sign in (the first should be an admin)."""
    accounts = _accounts(app)
    created = accounts.add_user(name, _password(password_stdin), role, language=language, actor=app.actor)
    click.echo(t("user {name} added ({role})", name=created.name, role=t(created.role.value)))


@user.command("list")
@json_option
@pass_app
@reports_errors
def user_list(app: App, as_json: bool) -> None:
    """People who can sign in, with their roles."""
    from publisher.times import local

    zone = app.settings.timezone
    rows: list[dict[str, Any]] = [
        {
            "name": u.name,
            "role": u.role.value,
            "language": u.language or "",
            "active": u.active,
            "last_login": local(u.last_login_at, zone),
        }
        for u in _accounts(app).users()
    ]
    if not as_json:  # the values in the reader's language; --json keeps the ones a script matches
        for row in rows:
            row["role"], row["active"] = t(str(row["role"])), t("yes") if row["active"] else t("no")
    print_rows(rows, ["name", "role", "language", "active", "last_login"], as_json)


@user.command("password")
@click.argument("name")
@click.option("--password-stdin", is_flag=True, help="Read the password from the first line of standard input.")
@pass_app
@reports_errors
def user_password(app: App, name: str, password_stdin: bool) -> None:
    """Set a person's password (their sessions end)."""
    accounts = _accounts(app)
    user_id = accounts.user_id(name)
    accounts.set_password(user_id, _password(password_stdin), actor=app.actor)
    click.echo(t("password of {name} changed", name=name))


@user.group("token")
def token() -> None:
    """API tokens: other tools act as a person through the JSON API with one."""


@token.command("create")
@click.argument("name")
@click.option("--label", required=True, help="What the token is for (e.g. wechat-bot).")
@pass_app
@reports_errors
def token_create(app: App, name: str, label: str) -> None:
    """Make a token for NAME and print it once (only its hash is stored)."""
    accounts = _accounts(app)
    created, plain = accounts.create_token(accounts.user_id(name), label, actor=app.actor)
    click.echo(plain)
    click.echo(
        t(
            "token {id} ({label}) for {name}: keep it secret; it is not shown again",
            id=created.id,
            label=created.label,
            name=name,
        ),
        err=True,
    )


@token.command("list")
@click.argument("name", required=False)
@json_option
@pass_app
@reports_errors
def token_list(app: App, name: str | None, as_json: bool) -> None:
    """Tokens (of NAME, or everyone's), without their secret part."""
    from publisher.times import local

    accounts = _accounts(app)
    zone = app.settings.timezone
    rows = [
        {
            "id": token.id,
            "user": token.user,
            "label": token.label,
            "token": token.prefix + "…",
            "created": local(token.created_at, zone),
            "last_used": local(token.last_used_at, zone),
            "revoked": local(token.revoked_at, zone) if token.revoked_at else "",
        }
        for token in accounts.tokens(accounts.user_id(name) if name else None)
    ]
    print_rows(rows, ["id", "user", "label", "token", "created", "last_used", "revoked"], as_json)


@token.command("revoke")
@click.argument("token_id", type=ROW_ID)
@pass_app
@reports_errors
def token_revoke(app: App, token_id: int) -> None:
    """Revoke a token by its id (see `user token list`): it stops working at once."""
    _accounts(app).revoke_token(token_id, actor=app.actor)
    click.echo(t("token {id} revoked", id=token_id))
