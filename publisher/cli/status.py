"""``publisher status``: the daemons that are alive, their leases, and each channel's queue depth and lateness.

The picture comes from ``publisher.heartbeat.status``; this module only prints it.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import click

from publisher.cli.base import App, pass_app, print_json, print_table, reports_errors
from publisher.cli.lang import t

if TYPE_CHECKING:
    from publisher.heartbeat import Status

__all__ = ["status_command"]


@click.command("status")
@click.option("--json", "as_json", is_flag=True, help="Print JSON instead of tables.")
@pass_app
@reports_errors
def status_command(app: App, as_json: bool) -> None:
    """Show the daemons that are alive (heartbeats), their leases, and the queue's depth and lateness per channel."""
    from publisher.heartbeat import status

    now = app.clock.now()
    picture = status(app.store, now)
    if as_json:
        print_json(picture.as_json())
        return
    _print(picture, app.settings.timezone)


def _seconds(value: float) -> str:
    if value < 90:
        return t("{count} s", count=f"{value:.0f}")
    if value < 5400:
        return t("{count} min", count=f"{value / 60:.0f}")
    return t("{count} h", count=f"{value / 3600:.1f}")


def _print(picture: Status, zone: str) -> None:
    from publisher.heartbeat import ALIVE_SECONDS
    from publisher.times import local

    alive = [d for d in picture.daemons if d.alive]
    silent = [d for d in picture.daemons if not d.alive]
    click.echo(
        t("daemons: {count} alive", count=len(alive))
        + (
            t(", {count} silent (no heartbeat for {seconds} s)", count=len(silent), seconds=f"{ALIVE_SECONDS:.0f}")
            if silent
            else ""
        )
    )
    rows = [
        {
            "daemon": d.name,
            "state": t("alive") if d.alive else t("silent"),
            "started": local(d.started_at, zone),
            "last_seen": t("{time} ago", time=_seconds((picture.now - d.last_seen).total_seconds())),
            "in_flight": d.in_flight,
            "leases": d.leases,
            "sent": d.sent,
        }
        for d in picture.daemons
    ]
    print_table(rows, ["daemon", "state", "started", "last_seen", "in_flight", "leases", "sent"])
    orphans = [lease for lease in picture.leases if lease.owner not in {d.name for d in picture.daemons}]
    if orphans or any(lease.expired for lease in picture.leases):
        click.echo("")
        click.echo(t("leases:"))
        print_table(
            [
                {
                    "owner": lease.owner,
                    "deliveries": lease.deliveries,
                    "until": local(lease.until, zone),
                    "expired": lease.expired,
                }
                for lease in picture.leases
            ],
            ["owner", "deliveries", "until", "expired"],
        )
    click.echo("")
    click.echo(t("queue:"))
    rows = []
    for channel in picture.channels:
        states = channel.states
        rows.append(
            {
                "channel": channel.channel,
                "status": t("paused ({who})", who=channel.paused_by)
                if channel.paused and channel.paused_by
                else (t("paused") if channel.paused else t("active")),
                "due_now": channel.due_now,
                "late_by": _seconds(channel.lateness_seconds) if channel.due_now else "-",
                "waiting": states.get("queued", 0) + states.get("retry_wait", 0),
                "sending": states.get("claimed", 0),
                "uncertain": states.get("uncertain", 0),
                "failed": states.get("failed", 0),
                "sent": states.get("sent", 0),
            }
        )
    print_table(rows, ["channel", "status", "due_now", "late_by", "waiting", "sending", "uncertain", "failed", "sent"])
