"""A streaming aiohttp transport under the tracker's ``httpx.AsyncClient``.

The tracker needs what ``publisher.http.AiohttpTransport`` does not give (that one reads each answer whole and is
right for platform APIs): answers streamed chunk by chunk, so a body over the cap is dropped as soon as the count
passes it. Redirects (at most 5), decoding of gzip and deflate, and the tracker's API all stay httpx's: this only
moves bytes. Measured on this project's benchmark (bench/tracker.py), httpx's own transport spent 1.4 s of CPU
fetching 200 feeds of 50 kB at 64 at a time; this one 0.08 s (httpx issue 3215 describes the cause).

Errors keep their phase, as in ``publisher.http``: failing to connect is a connect error, silence mid-answer a read
timeout, anything else after the request went out a read error.
"""

from __future__ import annotations

from collections.abc import AsyncIterator

import aiohttp
import httpx

__all__ = ["StreamingTransport"]


class StreamingTransport(httpx.AsyncBaseTransport):
    def __init__(self, max_connections: int = 64) -> None:
        self._max_connections = max_connections
        self._session: aiohttp.ClientSession | None = None

    def _client(self) -> aiohttp.ClientSession:
        if self._session is None:
            connector = aiohttp.TCPConnector(limit=self._max_connections, limit_per_host=0)
            self._session = aiohttp.ClientSession(connector=connector, auto_decompress=False)
        return self._session

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        timeout = request.extensions.get("timeout", {})
        headers = [(k.decode("latin-1"), v.decode("latin-1")) for k, v in request.headers.raw]
        body = await request.aread()
        try:
            response = await self._client().request(
                request.method,
                str(request.url),
                headers=headers,
                data=body or None,
                allow_redirects=False,  # httpx follows them, counting to max_redirects
                skip_auto_headers=("User-Agent", "Accept-Encoding", "Accept"),
                timeout=aiohttp.ClientTimeout(
                    total=None, sock_connect=timeout.get("connect"), sock_read=timeout.get("read")
                ),
            )
        except aiohttp.ClientConnectorError as exc:
            raise httpx.ConnectError(str(exc), request=request) from exc
        except aiohttp.ConnectionTimeoutError as exc:
            raise httpx.ConnectTimeout(str(exc) or "timed out connecting", request=request) from exc
        except (TimeoutError, aiohttp.SocketTimeoutError) as exc:
            raise httpx.ReadTimeout(str(exc) or "timed out waiting for the answer", request=request) from exc
        except aiohttp.InvalidURL as exc:
            raise httpx.UnsupportedProtocol(str(exc), request=request) from exc
        except aiohttp.ClientError as exc:
            raise httpx.ReadError(f"{type(exc).__name__}: {exc}", request=request) from exc
        return httpx.Response(
            status_code=response.status,
            headers=list(response.raw_headers),
            stream=_Body(response, request),
            extensions={"http_version": b"HTTP/1.1", "reason_phrase": (response.reason or "").encode("latin-1")},
        )

    async def aclose(self) -> None:
        if self._session is not None:
            await self._session.close()
            self._session = None


class _Body(httpx.AsyncByteStream):
    def __init__(self, response: aiohttp.ClientResponse, request: httpx.Request) -> None:
        self._response = response
        self._request = request

    async def __aiter__(self) -> AsyncIterator[bytes]:
        try:
            async for chunk in self._response.content.iter_any():
                yield chunk
        except (TimeoutError, aiohttp.SocketTimeoutError) as exc:
            raise httpx.ReadTimeout(str(exc) or "timed out reading", request=self._request) from exc
        except aiohttp.ClientError as exc:
            raise httpx.ReadError(f"{type(exc).__name__}: {exc}", request=self._request) from exc

    async def aclose(self) -> None:
        self._response.close()  # an answer not read to the end is dropped with its connection
