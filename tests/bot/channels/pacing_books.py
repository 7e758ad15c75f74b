"""The ``books`` fixture: slot books of each kind, as separate workers would hold them; the
local Bot API server with Telegram's limits in a process of its own."""

from __future__ import annotations

import asyncio
import contextlib
import gc
import os
import re
import sys
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator

import pytest

from bot.channels.send_slots import LocalSlots, PostgresSlots, RedisSlots, SlotBook
from sandbox.local_servers.bot_api_control import RemoteControl
from storage.db import Database
from storage.migrate import upgrade
from tests.conftest import IN_CI, PG_URL

REDIS_URL = os.environ.get("MENTORBOT_TEST_REDIS_URL", "redis://127.0.0.1:6379/0")
BookFactory = Callable[[str, int, float, float], Awaitable[SlotBook]]


async def _redis_problem() -> str | None:
    try:
        import redis.asyncio as aioredis
    except ImportError as exc:
        return str(exc)
    client = aioredis.from_url(REDIS_URL, socket_connect_timeout=2)
    try:
        await client.ping()
        return None
    except Exception as exc:  # any failure means: no usable server
        return str(exc)
    finally:
        await client.aclose()


def require_redis(problem: str | None) -> None:
    """Go on when Redis answered (``problem`` is None); in CI fail, elsewhere skip, naming why."""
    if problem is not None:
        if IN_CI:
            pytest.fail(f"Redis at {REDIS_URL} is required in CI: {problem}")
        pytest.skip(f"Redis at {REDIS_URL} is not reachable (runs in CI): {problem}")


@pytest.fixture(name="books", params=["local", "postgresql", "redis"])
async def books_fixture(request: pytest.FixtureRequest) -> AsyncIterator[BookFactory]:
    """``await books(bot, limit, window, gap)``: a new book on the shared store, like another
    worker's (on ``local``: the one book of this process)."""
    opened: list[SlotBook] = []
    databases: list[Database] = []
    local: dict[str, LocalSlots] = {}
    schema = None
    if request.param == "postgresql":
        schema = request.getfixturevalue("pg_schema")
        upgrade(PG_URL, schema)
    elif request.param == "redis":
        require_redis(await _redis_problem())

    async def make(bot: str, limit: int, window: float, gap: float) -> SlotBook:
        book: SlotBook
        if request.param == "local":
            return local.setdefault(bot, LocalSlots(limit, window, gap))
        if request.param == "postgresql":
            database = Database(PG_URL, schema=schema)
            databases.append(database)
            book = PostgresSlots(database.engine, bot, limit, window, gap)
        else:
            book = RedisSlots(REDIS_URL, bot, limit, window, gap)
        opened.append(book)
        return book

    yield make
    for book in opened:
        await book.close()
    for database in databases:
        await database.dispose()


@contextlib.contextmanager
def without_collector_pauses() -> Iterator[None]:
    """Run a timed burst with Python's cyclic garbage collector off (after one full pass).

    With the whole bot imported, a full collector pass stops this process for 240-590 ms. In
    the middle of a burst that can hold a send which has already passed the pacer's check, so
    it reaches the server late beside the next window's sends: 31 in one rolling second, and a
    429 the pacer then retries. That pause is the test process's, not the pacer's rhythm; the
    product narrows it with ``gc.freeze()`` after start-up (bot/serving.py).
    """
    was_enabled = gc.isenabled()
    gc.collect()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()


@contextlib.asynccontextmanager
async def limited_server_process() -> AsyncIterator[tuple[str, RemoteControl]]:
    """The local Bot API server enforcing Telegram's limits in its own process, as Telegram is
    on another machine (in-process, the server would stamp a request's arrival only when the
    clients' busy event loop lets it run). Yields (base_url, its remote control)."""
    proc = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "sandbox.local_servers.bot_api", "--port", "0", "--quiet",
        "--enforce-limits", "--control", "--history", "0",
        stderr=asyncio.subprocess.PIPE,
    )  # fmt: skip
    try:
        assert proc.stderr is not None
        line = (await asyncio.wait_for(proc.stderr.readline(), 30)).decode()
        match = re.search(r"Bot API on (\S+)", line)
        assert match, line
        base_url = match.group(1)
        async with RemoteControl(base_url.removesuffix("/bot")) as control:
            yield base_url, control
    finally:
        proc.terminate()
        await proc.wait()
