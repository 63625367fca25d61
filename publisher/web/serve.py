"""Serving the console with uvicorn: alone (``publisher web``) or inside the daemon's event loop (``publisher run``).

Inside the daemon, uvicorn must leave signals alone (the daemon stops on SIGTERM and then stops the console), and a
port already in use must not stop the sending: the console logs why it is not there and the daemon goes on.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import socket
from collections.abc import Iterator, Mapping

import uvicorn
from starlette.applications import Starlette

from adapters.base import Adapter
from publisher.clock import Clock
from publisher.config import Settings, WebSettings
from publisher.errors import ValidationError
from publisher.logs import log_event
from publisher.store import Store
from publisher.web.app import create_app
from publisher.web.console import Console

__all__ = ["EmbeddedConsole", "listen", "serve_forever", "start_console"]


def _config(app: Starlette, host: str, port: int) -> uvicorn.Config:
    return uvicorn.Config(
        app,
        host=host,
        port=port,
        log_config=None,
        access_log=False,
        lifespan="off",
        server_header=False,
        # uvicorn would believe X-Forwarded-For from 127.0.0.1; the console decides itself ([web] trusted_proxies)
        proxy_headers=False,
    )


def listen(host: str, port: int) -> socket.socket:
    """A socket bound to ``host:port`` for uvicorn, or a ``ValidationError`` naming the address: bound before the
    console is announced, so a port in use is said instead of "web console on ..." (as uvicorn's own bind does)."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        sock.bind((host, port))
    except OSError as exc:
        sock.close()
        reason = exc.strerror or str(exc)
        raise ValidationError.of(
            "cannot listen on {host}:{port} ({reason}): is another program (or another console) using that port?",
            cli=" choose another with --port or [web] port",
            host=host,
            port=port,
            reason=reason,
        ) from None
    sock.set_inheritable(True)
    return sock


class _QuietServer(uvicorn.Server):
    @contextlib.contextmanager
    def capture_signals(self) -> Iterator[None]:
        yield  # the embedding process owns SIGTERM and SIGINT


class EmbeddedConsole:
    """The console served on the current event loop until ``stop``."""

    def __init__(self, app: Starlette, web: WebSettings, sock: socket.socket | None = None) -> None:
        self.web = web
        self.sock = sock
        self.url = f"http://{web.host}:{web.port}/"  # said in the daemon's one start line
        self.server = _QuietServer(_config(app, web.host, web.port))
        self.task: asyncio.Task[None] | None = None

    def start(self) -> None:
        self.task = asyncio.create_task(self._serve(), name="web-console")

    async def _serve(self) -> None:
        try:
            await self.server.serve(sockets=[self.sock] if self.sock is not None else None)
        except SystemExit:  # uvicorn exits when it cannot listen (the port is taken)
            log_event(
                "web.unavailable",
                logging.WARNING,
                reason=f"could not listen on {self.web.host}:{self.web.port}; the daemon goes on without the console",
            )

    async def stop(self) -> None:
        self.server.should_exit = True
        if self.task is not None:
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self.task, 10)


async def start_console(
    settings: Settings, store: Store, clock: Clock, adapters: Mapping[str, Adapter]
) -> EmbeddedConsole | None:
    """Start the console beside the daemon, if ``[web] enabled``; raises ``ConfigError`` for a missing key."""
    if settings.web is None or not settings.web.enabled:
        return None
    try:
        sock = listen(settings.web.host, settings.web.port)  # first: a taken port is said, not announced
    except ValidationError as exc:
        log_event("web.unavailable", logging.WARNING, reason=f"{exc}; the daemon goes on without the console")
        return None
    console = Console.build(settings, store, clock, adapters=adapters)
    embedded = EmbeddedConsole(create_app(console), settings.web, sock)
    embedded.start()  # announced by the daemon's one start line (``daemon.start console=...``)
    return embedded


def serve_forever(app: Starlette, host: str, port: int, sock: socket.socket | None = None) -> None:
    """Serve until SIGTERM or Ctrl-C (uvicorn's own signal handling), on ``sock`` if given (see ``listen``)."""
    uvicorn.Server(_config(app, host, port)).run(sockets=[sock] if sock is not None else None)
