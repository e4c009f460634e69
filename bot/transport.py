"""The bot's HTTP client for the Bot API: python-telegram-bot's ``BaseRequest`` over aiohttp.

PTB's own ``HTTPXRequest`` (httpx over anyio and h11, all in Python) costs about 2 ms of CPU per
call on this kind of machine; aiohttp (its HTTP parser in C, already the bot's web server) about
0.5 ms. A progress reply is one ``sendMessage``, so the client was half of a reply's CPU
(``bench/bench_transport.py`` prints the two side by side).

PTB keeps everything above ``do_request``: encoding the parameters, reading Telegram's answer and
turning its error codes into ``RetryAfter``, ``BadRequest`` and so on. Here only the transport:

* a text request goes as one JSON body (``application/json``, which the Bot API takes like a
  form); a request with files as ``multipart/form-data``, each parameter a JSON-encoded field as
  PTB's own client sends it;
* timeouts as ``HTTPXRequest`` has them: ``connect`` (the TCP connection), ``read`` (each wait for
  the answer's bytes), ``pool`` (waiting for a free connection of the pool) and ``write``. aiohttp
  has no timeout of its own for writing the body: a request with files gets a total of
  write + read (``media_write_timeout`` for the write unless the call names one), others are
  small and bounded by the read timeout;
* any timeout is ``TimedOut``, any other failure of the connection ``NetworkError``: the sender
  treats both as "may have arrived" and looks before sending again (``bot/sender.py``).

A proxy is read from the environment (``HTTPS_PROXY``, ``HTTP_PROXY``, ``NO_PROXY``) once per host,
as httpx did; aiohttp's own ``trust_env`` reads the whole environment and ``~/.netrc`` at every
request (a fifth of a reply's CPU).
"""

from __future__ import annotations

import asyncio
import json
import urllib.request
from typing import Any
from urllib.parse import urlsplit

import aiohttp
from telegram.error import NetworkError, TimedOut
from telegram.request import BaseRequest, RequestData

_JSON = {"Content-Type": "application/json"}


class AiohttpRequest(BaseRequest):
    """``BaseRequest`` over one ``aiohttp.ClientSession`` with a pool of ``connection_pool_size``."""

    __slots__ = ("_session", "_pool_size", "_connect", "_read", "_write", "_pool", "_media_write", "_proxies",
                 "_proxy_of")

    def __init__(self, *, connection_pool_size: int = 1, connect_timeout: float | None = 5.0,
                 read_timeout: float | None = 5.0, write_timeout: float | None = 5.0,
                 pool_timeout: float | None = 1.0, media_write_timeout: float | None = 20.0) -> None:
        if connection_pool_size < 1:
            raise ValueError("connection_pool_size must be at least 1")
        self._session: aiohttp.ClientSession | None = None
        self._pool_size = connection_pool_size
        self._connect, self._read, self._write = connect_timeout, read_timeout, write_timeout
        self._pool, self._media_write = pool_timeout, media_write_timeout
        self._proxies: dict[str, str] = {}
        self._proxy_of: dict[tuple[str, str], str | None] = {}  # (scheme, host) -> proxy URL

    @property
    def read_timeout(self) -> float | None:
        return self._read

    async def initialize(self) -> None:
        if self._session is None or self._session.closed:
            self._session = aiohttp.ClientSession(
                connector=aiohttp.TCPConnector(limit=self._pool_size, limit_per_host=0),
                headers={"User-Agent": self.USER_AGENT}, timeout=aiohttp.ClientTimeout(total=None))
            self._proxies = urllib.request.getproxies_environment()
            self._proxy_of.clear()

    async def shutdown(self) -> None:
        if self._session is not None and not self._session.closed:
            await self._session.close()

    def _proxy(self, url: str) -> str | None:
        parts = urlsplit(url)
        key = (parts.scheme, parts.hostname or "")
        if key not in self._proxy_of:
            proxy = self._proxies.get(parts.scheme) or self._proxies.get("all")
            if proxy and urllib.request.proxy_bypass_environment(key[1], self._proxies):
                proxy = None
            self._proxy_of[key] = proxy or None
        return self._proxy_of[key]

    def _timeouts(self, files: bool, read: Any, write: Any, connect: Any, pool: Any) -> aiohttp.ClientTimeout:
        default = BaseRequest.DEFAULT_NONE
        read = self._read if read is default else read
        connect = self._connect if connect is default else connect
        pool = self._pool if pool is default else pool
        if write is default:
            write = self._media_write if files else self._write
        total = None
        if files and write is not None and read is not None:
            total = write + read
        # aiohttp's ``connect`` is the wait for a connection of the pool, a new one's set-up included
        waiting = None if pool is None or connect is None else pool + connect
        return aiohttp.ClientTimeout(total=total, connect=waiting, sock_connect=connect, sock_read=read)

    async def do_request(self, url: str, method: str, request_data: RequestData | None = None,
                         read_timeout: Any = BaseRequest.DEFAULT_NONE, write_timeout: Any = BaseRequest.DEFAULT_NONE,
                         connect_timeout: Any = BaseRequest.DEFAULT_NONE,
                         pool_timeout: Any = BaseRequest.DEFAULT_NONE) -> tuple[int, bytes]:
        if self._session is None or self._session.closed:
            raise RuntimeError("AiohttpRequest is not initialized")
        files = bool(request_data is not None and request_data.contains_files)
        body: Any = None
        headers = None
        if files:
            assert request_data is not None
            body = aiohttp.FormData(quote_fields=False)
            for name, value in request_data.json_parameters.items():
                body.add_field(name, value)
            for name, part in request_data.multipart_data.items():
                filename, content = part[0], part[1]
                kind = part[2] if len(part) > 2 else None
                body.add_field(name, content, filename=filename, content_type=kind)
        elif request_data is not None and request_data.parameters:
            body, headers = json.dumps(request_data.parameters).encode(), _JSON
        timeout = self._timeouts(files, read_timeout, write_timeout, connect_timeout, pool_timeout)
        try:
            async with self._session.request(method, url, data=body, headers=headers, timeout=timeout,
                                             proxy=self._proxy(url)) as response:
                return response.status, await response.read()
        except aiohttp.ConnectionTimeoutError as exc:
            raise TimedOut("Pool timeout: no connection free or made in time; the request was not sent") from exc
        except asyncio.TimeoutError as exc:  # aiohttp's read timeout and the total are TimeoutErrors too
            raise TimedOut(f"Timed out: {exc.__class__.__name__}") from exc
        except (aiohttp.ClientError, OSError) as exc:
            raise NetworkError(f"aiohttp.{exc.__class__.__name__}: {exc}") from exc
