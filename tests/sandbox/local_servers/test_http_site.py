"""The local servers' shared aiohttp lifecycle: a free port found through aiohttp's public API."""

from __future__ import annotations

import socket

import aiohttp
import pytest
from aiohttp import web

from sandbox.local_servers.http_site import LocalSite, serve


def _app() -> web.Application:
    async def hello(request: web.Request) -> web.Response:
        return web.Response(text="hello")

    app = web.Application()
    app.router.add_get("/", hello)
    return app


async def _get(port: int) -> str:
    async with aiohttp.ClientSession() as session:
        async with session.get(f"http://127.0.0.1:{port}/") as response:
            return await response.text()


async def test_port_zero_serves_on_the_port_it_reports_until_stopped() -> None:
    site = LocalSite(shutdown_timeout=0.1)
    port = await site.start(_app())
    assert site.serving and site.port == port > 0
    assert await _get(port) == "hello"
    with pytest.raises(RuntimeError, match="serving already"):
        await site.start(_app())
    await site.stop()
    assert not site.serving and site.port == port  # the last port, to start again on
    with pytest.raises(aiohttp.ClientConnectionError):
        await _get(port)
    await site.stop()  # a second stop does nothing
    assert await site.start(_app(), port=port) == port
    assert await _get(port) == "hello"
    await site.stop()
    with pytest.raises(RuntimeError, match="never started"):
        _ = LocalSite().port


async def test_a_taken_port_is_an_error_and_leaves_the_site_stopped() -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        site = LocalSite()
        with pytest.raises(OSError):
            await site.start(_app(), port=taken.getsockname()[1])
        assert not site.serving


async def test_serve_yields_the_port_and_stops_on_exit() -> None:
    async with serve(_app()) as port:
        assert await _get(port) == "hello"
    with pytest.raises(aiohttp.ClientConnectionError):
        await _get(port)
