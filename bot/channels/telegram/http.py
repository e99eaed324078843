"""The HTTP client the bot talks to Telegram with.

``AiohttpRequest`` is a ``telegram.request.BaseRequest`` on aiohttp: PTB's own HTTPXRequest spends
most of the bot's CPU in httpx/httpcore's connection-pool bookkeeping (measured in bench/); aiohttp's
pool does the same job for a fraction of it. PTB's error mapping is kept: a timeout is ``TimedOut``,
a refused or dropped connection ``NetworkError``, and the status codes Telegram answers with
(400, 403, 429 with retry_after…) become BadRequest, Forbidden, RetryAfter… in BaseRequest itself.
``HTTP_CLIENT=httpx`` selects PTB's HTTPXRequest instead.

``Observed`` wraps either: a hook sees every request before it leaves (the broadcast pace) and every
answer (the heartbeat), whichever client is underneath.
"""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable
from typing import Any

import aiohttp
from telegram._utils.defaultvalue import DefaultValue
from telegram.error import NetworkError, TimedOut
from telegram.request import BaseRequest, HTTPXRequest, RequestData

CLIENTS = ("aiohttp", "httpx")


class AiohttpRequest(BaseRequest):
    __slots__ = ("_limit", "_media_write", "_proxy", "_session", "_timeouts")

    def __init__(
        self,
        connection_pool_size: int = 1,
        read_timeout: float | None = 5.0,
        write_timeout: float | None = 5.0,
        connect_timeout: float | None = 5.0,
        pool_timeout: float | None = 1.0,
        media_write_timeout: float | None = 20.0,
        proxy: str | None = None,
    ) -> None:
        self._limit = connection_pool_size
        self._timeouts = {
            "read": read_timeout,
            "write": write_timeout,
            "connect": connect_timeout,
            "pool": pool_timeout,
        }
        self._media_write = media_write_timeout
        self._proxy = proxy
        self._session: aiohttp.ClientSession | None = None

    @property
    def read_timeout(self) -> float | None:
        return self._timeouts["read"]

    async def initialize(self) -> None:
        if self._session is None or self._session.closed:
            connector = aiohttp.TCPConnector(limit=self._limit, ttl_dns_cache=300, keepalive_timeout=30)
            self._session = aiohttp.ClientSession(connector=connector, headers={"User-Agent": self.USER_AGENT})

    async def shutdown(self) -> None:
        if self._session is not None and not self._session.closed:
            await self._session.close()

    async def do_request(
        self,
        url: str,
        method: str,
        request_data: RequestData | None = None,
        read_timeout: Any = BaseRequest.DEFAULT_NONE,
        write_timeout: Any = BaseRequest.DEFAULT_NONE,
        connect_timeout: Any = BaseRequest.DEFAULT_NONE,
        pool_timeout: Any = BaseRequest.DEFAULT_NONE,
    ) -> tuple[int, bytes]:
        if self._session is None or self._session.closed:
            raise RuntimeError("This AiohttpRequest is not initialized!")
        files = request_data.multipart_data if request_data and request_data.contains_files else None
        pick = lambda given, name: self._timeouts[name] if isinstance(given, DefaultValue) else given
        read, connect, pool = pick(read_timeout, "read"), pick(connect_timeout, "connect"), pick(pool_timeout, "pool")
        write = (
            pick(write_timeout, "write")
            if not files or not isinstance(write_timeout, DefaultValue)
            else self._media_write
        )
        # aiohttp has no write timeout of its own: the read timeout starts once the body is sent, so
        # the body's time counts against ``sock_read`` + the write allowance in ``total``
        total = None if read is None or write is None else read + write + (connect or 0) + (pool or 0)
        timeout = aiohttp.ClientTimeout(
            total=total, connect=None if pool is None or connect is None else pool + connect,
            sock_connect=connect, sock_read=read,
        )  # fmt: skip
        data: Any = None
        headers = None
        if request_data is not None:
            if files:
                form = aiohttp.FormData(quote_fields=False)
                for name, value in request_data.json_parameters.items():
                    form.add_field(name, value)
                for name, (filename, content, mimetype) in files.items():
                    form.add_field(name, content, filename=filename, content_type=mimetype)
                data = form
            else:  # JSON, as the Bot API takes it: ~8x cheaper than URL-encoding Vietnamese text (and
                # aiohttp's own form handling of a dict costs more than the rest of a request)
                data = json.dumps(request_data.parameters, ensure_ascii=False).encode()
                headers = _JSON
        try:
            async with self._session.request(
                method, url, data=data, headers=headers, timeout=timeout, proxy=self._proxy
            ) as response:
                return response.status, await response.read()
        except TimeoutError as err:
            raise TimedOut from err
        except aiohttp.ClientError as err:
            raise NetworkError(f"aiohttp.{err.__class__.__name__}: {err}") from err


_JSON = {"Content-Type": "application/json"}


class Observed(BaseRequest):
    """``inner`` with a hook before each request (``before(url)``) and after each answer (``after(status)``)."""

    __slots__ = ("after", "before", "inner")

    def __init__(
        self,
        inner: BaseRequest,
        before: Callable[[str], Awaitable[None]] | None = None,
        after: Callable[[int], None] | None = None,
    ) -> None:
        self.inner, self.before, self.after = inner, before, after

    @property
    def read_timeout(self) -> float | None:
        return self.inner.read_timeout

    async def initialize(self) -> None:
        await self.inner.initialize()

    async def shutdown(self) -> None:
        await self.inner.shutdown()

    async def do_request(self, url: str, *args: Any, **kwargs: Any) -> tuple[int, bytes]:
        if self.before is not None:
            await self.before(url)
        status, payload = await self.inner.do_request(url, *args, **kwargs)
        if self.after is not None:
            self.after(status)
        return status, payload


def make(client: str, connection_pool_size: int, **timeouts: float | None) -> BaseRequest:
    """A request of the chosen client (HTTP_CLIENT): aiohttp (default) or PTB's httpx."""
    if client == "httpx":
        return HTTPXRequest(connection_pool_size=connection_pool_size, **timeouts)  # type: ignore[arg-type]
    return AiohttpRequest(connection_pool_size=connection_pool_size, **timeouts)  # type: ignore[arg-type]
