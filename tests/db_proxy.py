"""A TCP proxy in front of PostgreSQL that a test can cut: the database goes away for the bot
(every connection dropped, new ones refused) and comes back, while other tests keep using the
shared server directly."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator


class DatabaseProxy:
    """Forwards 127.0.0.1:<port> to PostgreSQL; :meth:`cut` and :meth:`restore` it."""

    def __init__(self, upstream_port: int = 5432) -> None:
        self.upstream_port = upstream_port
        self.port = 0
        self.away = False
        self._server: asyncio.Server | None = None
        self._writers: set[asyncio.StreamWriter] = set()
        self._tasks: set[asyncio.Task[None]] = set()

    async def start(self) -> DatabaseProxy:
        """Listen on a free port."""
        self._server = await asyncio.start_server(self._serve, "127.0.0.1", 0)
        self.port = self._server.sockets[0].getsockname()[1]
        return self

    def url(self, database: str = "test") -> str:
        """The PostgreSQL URL through the proxy."""
        return f"postgresql://postgres@127.0.0.1:{self.port}/{database}"

    def cut(self) -> None:
        """The database goes away: open connections drop, new ones are closed at once."""
        self.away = True
        for writer in list(self._writers):
            writer.transport.abort()
        self._writers.clear()

    def restore(self) -> None:
        """The database is back."""
        self.away = False

    async def stop(self) -> None:
        """Stop listening and drop everything."""
        self.cut()
        if self._server is not None:
            self._server.close()
            await self._server.wait_closed()
        for task in list(self._tasks):
            task.cancel()

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        if self.away:
            writer.transport.abort()
            return
        try:
            up_reader, up_writer = await asyncio.open_connection("127.0.0.1", self.upstream_port)
        except OSError:
            writer.transport.abort()
            return
        self._writers.update((writer, up_writer))

        async def pipe(src: asyncio.StreamReader, dst: asyncio.StreamWriter) -> None:
            with contextlib.suppress(Exception):
                while data := await src.read(65536):
                    dst.write(data)
                    await dst.drain()
            dst.transport.abort()

        tasks = [
            asyncio.create_task(pipe(reader, up_writer)),
            asyncio.create_task(pipe(up_reader, writer)),
        ]
        self._tasks.update(tasks)
        await asyncio.gather(*tasks, return_exceptions=True)
        self._tasks.difference_update(tasks)
        self._writers.difference_update((writer, up_writer))


@contextlib.asynccontextmanager
async def database_proxy() -> AsyncIterator[DatabaseProxy]:
    """A started proxy, stopped afterwards."""
    proxy = await DatabaseProxy().start()
    try:
        yield proxy
    finally:
        await proxy.stop()
