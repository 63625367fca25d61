"""The one shared HTTP client, and the aiohttp-based transport under it.

Adapters see only ``httpx.AsyncClient``. Under it we put aiohttp: on this project's benchmark httpx's own async
transport spent several times more CPU per request under concurrency (httpx issue 3215; README, "HTTP transport").
The transport is ours rather than the ``httpx-aiohttp`` package's because that package maps a connection dropped
*after* the request went out to ``httpx.ConnectTimeout``, which reads as "nothing was sent" and would let the
dispatcher resend a post that may have landed. Here errors keep their phase: failing to connect is a connect error,
anything after the request was written is a read error or read timeout.
"""

from __future__ import annotations

import aiohttp
import httpx

from publisher import __version__

__all__ = ["AiohttpTransport", "make_client"]

USER_AGENT = f"publisher/{__version__} (+https://github.com/publisher-scheduler)"


class AiohttpTransport(httpx.AsyncBaseTransport):
    """An httpx transport that sends with aiohttp and reads each answer whole (platform answers are small)."""

    def __init__(self, max_connections: int = 256) -> None:
        self._max_connections = max_connections
        self._session: aiohttp.ClientSession | None = None

    def _client(self) -> aiohttp.ClientSession:
        if self._session is None:
            connector = aiohttp.TCPConnector(limit=self._max_connections, limit_per_host=0)
            # httpx keeps the cookies (one jar, its own); a second jar down here would only cost time
            self._session = aiohttp.ClientSession(
                connector=connector, auto_decompress=False, cookie_jar=aiohttp.DummyCookieJar()
            )
        return self._session

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        timeout = request.extensions.get("timeout", {})
        body = await request.aread()
        # raw items keep the header names' case, which some platform gateways are picky about
        headers = [
            (k.decode("latin-1"), v.decode("latin-1"))
            for k, v in request.headers.raw
            if k.lower() != b"transfer-encoding"
        ]
        try:
            async with self._client().request(
                request.method,
                str(request.url),
                headers=headers,
                data=body or None,
                allow_redirects=False,
                skip_auto_headers=("User-Agent", "Content-Type", "Accept-Encoding"),
                timeout=aiohttp.ClientTimeout(
                    connect=timeout.get("pool"), sock_connect=timeout.get("connect"), sock_read=timeout.get("read")
                ),
            ) as response:
                content = await response.read()
                return httpx.Response(
                    status_code=response.status,
                    headers=list(response.raw_headers),
                    stream=httpx.ByteStream(content),
                    request=request,
                    extensions={"http_version": b"HTTP/1.1"},
                )
        except aiohttp.ClientConnectorError as exc:  # before anything was sent
            raise httpx.ConnectError(str(exc), request=request) from exc
        except aiohttp.ConnectionTimeoutError as exc:
            raise httpx.ConnectTimeout(str(exc), request=request) from exc
        except (TimeoutError, aiohttp.SocketTimeoutError) as exc:  # the request went out, no answer came
            raise httpx.ReadTimeout(str(exc) or "timed out waiting for the answer", request=request) from exc
        except aiohttp.InvalidURL as exc:
            raise httpx.UnsupportedProtocol(str(exc), request=request) from exc
        except aiohttp.ClientError as exc:  # disconnected, reset, malformed answer: the request may have landed
            raise httpx.ReadError(f"{type(exc).__name__}: {exc}", request=request) from exc

    async def aclose(self) -> None:
        if self._session is not None:
            await self._session.close()
            self._session = None


def make_client(transport: str = "aiohttp", timeout: float = 10.0) -> httpx.AsyncClient:
    """The process's shared client. ``transport`` is "aiohttp" (default) or "httpx" (httpx's own)."""
    kwargs: dict[str, object] = {
        "timeout": httpx.Timeout(timeout, connect=5.0),
        "headers": {"User-Agent": USER_AGENT},
        "follow_redirects": False,
    }
    if transport == "aiohttp":
        return httpx.AsyncClient(transport=AiohttpTransport(), **kwargs)  # type: ignore[arg-type]
    return httpx.AsyncClient(limits=httpx.Limits(max_connections=256), **kwargs)  # type: ignore[arg-type]
