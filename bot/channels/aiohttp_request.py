"""python-telegram-bot's HTTP transport on aiohttp instead of httpx.

PTB lets the HTTP layer be swapped (:class:`telegram.request.BaseRequest`). Measured here
against the local Bot API server in its own process, PTB's stock ``HTTPXRequest`` spends about
1.0-1.2 ms of CPU per Bot API call, this one about 0.3-0.45 ms: every answer costs two or three
calls, so the transport is most of what handling an answer costs. aiohttp is already a
dependency (the local servers run on it).

Timeouts keep PTB's meaning: ``read_timeout`` bounds each socket read (getUpdates adds its
long-poll time to it), ``connect_timeout`` the TCP connect, ``pool_timeout`` the wait for a
free connection plus the connect. aiohttp has no write timeout; uploads get ``media_timeout``
for the whole request instead.
"""

from __future__ import annotations

import logging
import time
from urllib.parse import urlencode

import aiohttp
from telegram.error import NetworkError, TimedOut
from telegram.request import BaseRequest, RequestData

log = logging.getLogger(__name__)

__all__ = ["AiohttpRequest"]


def _seconds(value: object, default: float | None) -> float | None:
    """A PTB timeout argument: DEFAULT_NONE means "the default", None means "no limit"."""
    if value is BaseRequest.DEFAULT_NONE:
        return default
    return value if value is None else float(value)  # type: ignore[arg-type]


class AiohttpRequest(BaseRequest):
    """A :class:`~telegram.request.BaseRequest` over one ``aiohttp.ClientSession``.

    The session (and its pool of ``connection_pool_size`` keep-alive connections) is made in
    :meth:`initialize`, inside the running event loop, and closed in :meth:`shutdown`; PTB calls
    both when the bot starts and stops, and they may be called again after a stop.
    """

    __slots__ = (
        "_connect_timeout",
        "_media_timeout",
        "_pool_size",
        "_pool_timeout",
        "_read_timeout",
        "_session",
    )

    def __init__(
        self,
        connection_pool_size: int = 8,
        read_timeout: float | None = 5.0,
        connect_timeout: float | None = 5.0,
        pool_timeout: float | None = 1.0,
        media_timeout: float | None = 60.0,
    ) -> None:
        self._pool_size = connection_pool_size
        self._read_timeout = read_timeout
        self._connect_timeout = connect_timeout
        self._pool_timeout = pool_timeout
        self._media_timeout = media_timeout
        self._session: aiohttp.ClientSession | None = None

    @property
    def read_timeout(self) -> float | None:
        """The default time allowed for each read from the server (see BaseRequest)."""
        return self._read_timeout

    async def initialize(self) -> None:
        """Open the session and its connection pool (again, after a shutdown)."""
        if self._session is None or self._session.closed:
            self._session = aiohttp.ClientSession(
                connector=aiohttp.TCPConnector(limit=self._pool_size),
                # Telegram's answers are JSON that PTB parses itself; no cookies to keep.
                cookie_jar=aiohttp.DummyCookieJar(),
                auto_decompress=True,
            )

    async def shutdown(self) -> None:
        """Close the session and its connections; safe to call twice."""
        if self._session is not None and not self._session.closed:
            await self._session.close()
        self._session = None

    async def do_request(
        self,
        url: str,
        method: str,
        request_data: RequestData | None = None,
        read_timeout: object = BaseRequest.DEFAULT_NONE,
        write_timeout: object = BaseRequest.DEFAULT_NONE,
        connect_timeout: object = BaseRequest.DEFAULT_NONE,
        pool_timeout: object = BaseRequest.DEFAULT_NONE,
    ) -> tuple[int, bytes]:
        """Send one request; returns (HTTP status, body). Failures become PTB's errors."""
        session = self._session
        if session is None or session.closed:
            raise RuntimeError("This AiohttpRequest is not initialized")
        uploads = bool(request_data and request_data.contains_files)
        connect = _seconds(connect_timeout, self._connect_timeout)
        pool = _seconds(pool_timeout, self._pool_timeout)
        timeout = aiohttp.ClientTimeout(
            total=self._media_timeout if uploads else None,
            connect=None if pool is None or connect is None else pool + connect,
            sock_connect=connect,
            sock_read=_seconds(read_timeout, self._read_timeout),
        )
        try:
            body, content_type = _body(request_data)
            headers = {"User-Agent": self.USER_AGENT}
            if content_type:
                headers["Content-Type"] = content_type
            if request_data is not None and log.isEnabledFor(logging.DEBUG):
                # when a request leaves for the wire (the chaos test compares it with the pacer's
                # slot and the server's arrival stamp)
                chat = request_data.json_parameters.get("chat_id")
                log.debug("request %s chat %s at %.6f", url.rsplit("/", 1)[-1], chat, time.time())
            async with session.request(
                method, url, data=body, headers=headers, timeout=timeout
            ) as response:
                return response.status, await response.read()
        except TimeoutError as exc:  # aiohttp's timeouts are TimeoutErrors
            raise TimedOut(f"aiohttp: {type(exc).__name__}") from exc
        except aiohttp.ClientError as exc:
            raise NetworkError(f"aiohttp.{type(exc).__name__}: {exc}") from exc


def _body(request_data: RequestData | None) -> tuple[aiohttp.FormData | bytes | None, str | None]:
    """(body, its content type): form fields as PTB encodes them, multipart with the files when
    there are uploads. Plain forms are encoded here: aiohttp's ``FormData`` builds a multipart
    writer and payload lookups for them too, a tenth of a Bot API call's CPU."""
    if request_data is None:
        return None, None
    fields = request_data.json_parameters
    if not request_data.contains_files:
        if not fields:
            return None, None
        return urlencode(fields).encode(), "application/x-www-form-urlencoded"
    form = aiohttp.FormData()
    for name, value in fields.items():
        form.add_field(name, value)
    for name, (filename, content, mime_type) in request_data.multipart_data.items():
        form.add_field(name, content, filename=filename, content_type=mime_type)
    return form, None
