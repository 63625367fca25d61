"""Pictures of kept article pages, drawn by headless Chromium, as evidence of coverage (``[tracker] screenshots``).

What is drawn is the page as the tracker kept it (``article_pages``), never the live one: the tracker fetched it
through the outbound guard, and the browser fetches nothing. A Content-Security-Policy written ahead of the page
(``default-src 'none'``, inline style allowed) forbids every request the page would make (images, style sheets,
fonts, frames, scripts, and ``file:`` addresses), so Chromium reads one temporary file, runs no script and reaches
no address. The picture is the page's first 2,000 pixels at 1,280 wide: the headline and opening, as a reader saw
them, with the outlet's layout. A page Chromium cannot draw in ``TIMEOUT`` seconds is left without a picture (its
HTML and text stay the evidence).
"""

from __future__ import annotations

import asyncio
import os
import shutil
import subprocess
import tempfile
from pathlib import Path

__all__ = ["BROWSERS", "DrawFailed", "draw", "find_browser", "offline_copy"]

BROWSERS = ("chromium", "chromium-browser", "google-chrome", "google-chrome-stable")
WIDTH, HEIGHT = 1280, 2000
TIMEOUT = 30.0  # seconds for one page
_POLICY = "default-src 'none'; style-src 'unsafe-inline'; img-src data:"
#: byte-order marks, which must stay first, and the encoding the policy is written in after each
_BOMS = ((b"\xef\xbb\xbf", "utf-8"), (b"\xff\xfe", "utf-16-le"), (b"\xfe\xff", "utf-16-be"))


class DrawFailed(Exception):
    """Chromium gave no picture (it is missing, crashed or took too long); says why."""


def find_browser(configured: str = "") -> str | None:
    """The Chromium to draw with: ``[tracker] screenshot_browser``, else the first of ``BROWSERS`` on the PATH."""
    if configured:
        return configured if os.access(configured, os.X_OK) else shutil.which(configured)
    return next((found for name in BROWSERS if (found := shutil.which(name))), None)


def offline_copy(html: bytes) -> bytes:
    """The page with the no-fetching policy first (a ``<meta>`` before ``<html>`` goes into the head, and the first
    policy seen holds), after its byte-order mark if it has one."""
    for bom, encoding in _BOMS:
        if html.startswith(bom):
            meta = f'<meta http-equiv="Content-Security-Policy" content="{_POLICY}">'.encode(encoding)
            return bom + meta + html[len(bom) :]
    return f'<meta http-equiv="Content-Security-Policy" content="{_POLICY}">'.encode() + html


async def draw(browser: str, html: bytes, timeout: float = TIMEOUT) -> bytes:
    """A PNG of ``html`` (a kept page's bytes) as Chromium draws it offline."""
    with tempfile.TemporaryDirectory(prefix="publisher-page-") as folder:
        page, picture = Path(folder) / "page.html", Path(folder) / "page.png"
        page.write_bytes(offline_copy(html))
        arguments = [
            "--headless=new",
            "--disable-gpu",
            "--disable-dev-shm-usage",
            "--disable-background-networking",
            "--disable-extensions",
            "--disable-sync",
            "--no-first-run",
            "--no-default-browser-check",
            "--hide-scrollbars",
            "--mute-audio",
            f"--user-data-dir={folder}/profile",
            f"--window-size={WIDTH},{HEIGHT}",
            f"--screenshot={picture}",
        ]
        if os.geteuid() == 0:
            arguments.append("--no-sandbox")  # Chromium will not start as root with it (a container's usual user)
        try:
            process = await asyncio.create_subprocess_exec(
                browser, *arguments, page.as_uri(), stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
            )
        except OSError as exc:
            raise DrawFailed(f"could not start {browser}: {exc.strerror or exc}") from exc
        try:
            await asyncio.wait_for(process.wait(), timeout)
        except TimeoutError:
            process.kill()
            await process.wait()
            raise DrawFailed(f"{browser} took longer than {timeout:g} s") from None
        if process.returncode or not picture.exists():
            raise DrawFailed(f"{browser} drew nothing (exit status {process.returncode})")
        return picture.read_bytes()
