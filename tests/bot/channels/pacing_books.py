"""The ``books`` fixture: slot books of each kind, as separate workers would hold them."""

from __future__ import annotations

import os
from collections.abc import AsyncIterator, Awaitable, Callable

import pytest

from bot.channels.send_slots import LocalSlots, PostgresSlots, RedisSlots, SlotBook
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
        problem = await _redis_problem()
        if problem is not None:
            if IN_CI:
                pytest.fail(f"Redis at {REDIS_URL} is required in CI: {problem}")
            pytest.skip(f"Redis at {REDIS_URL} is not reachable (runs in CI): {problem}")

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
