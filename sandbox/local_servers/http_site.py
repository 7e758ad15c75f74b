"""Serving one aiohttp application on a local port: the lifecycle the local servers share.

Only aiohttp's public API: ``web.AppRunner`` set up, one ``web.TCPSite`` started on it, the
port read from ``AppRunner.addresses`` (so ``port=0`` picks a free port), ``cleanup`` to stop.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from aiohttp import web

__all__ = ["LocalSite", "serve"]


class LocalSite:
    """Runs an aiohttp application on ``host:port`` until :meth:`stop`.

    ``shutdown_timeout`` is how long :meth:`stop` waits for requests still being answered
    (long polls, websockets) before closing them.
    """

    def __init__(self, *, shutdown_timeout: float = 60.0) -> None:
        self.shutdown_timeout = shutdown_timeout
        self.host = "127.0.0.1"
        self._runner: web.AppRunner | None = None
        self._port: int | None = None

    async def start(self, app: web.Application, host: str = "127.0.0.1", port: int = 0) -> int:
        """Serve ``app``; ``port=0`` picks a free port. Returns the port listened on."""
        if self._runner is not None:
            raise RuntimeError("this site is serving already; stop it first")
        runner = web.AppRunner(
            app, access_log=None, handle_signals=False, shutdown_timeout=self.shutdown_timeout
        )
        await runner.setup()
        try:
            await web.TCPSite(runner, host, port).start()
            addresses = runner.addresses
            if not addresses:
                raise RuntimeError(f"aiohttp reports no socket listening on {host}:{port}")
            bound = int(addresses[0][1])  # (host, port) for IPv4, (host, port, flow, scope) v6
        except BaseException:
            await runner.cleanup()
            raise
        self._runner, self.host, self._port = runner, host, bound
        return bound

    async def stop(self) -> None:
        """Stop listening and close open connections; safe to call when not started."""
        runner, self._runner = self._runner, None
        if runner is not None:
            await runner.cleanup()

    @property
    def serving(self) -> bool:
        """Whether :meth:`start` ran and :meth:`stop` did not yet."""
        return self._runner is not None

    @property
    def port(self) -> int:
        """The TCP port listened on (after :meth:`start`; after :meth:`stop`, the last one, so
        a server can be started again on it)."""
        if self._port is None:
            raise RuntimeError("the local server was never started")
        return self._port


@asynccontextmanager
async def serve(app: web.Application, host: str = "127.0.0.1") -> AsyncIterator[int]:
    """Run ``app`` on ``host`` at a free port; yields the port, stops the app on exit."""
    site = LocalSite()
    port = await site.start(app, host)
    try:
        yield port
    finally:
        await site.stop()
