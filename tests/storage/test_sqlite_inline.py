"""SQLite through the inline connection: no helper threads, real transactions, real errors."""

from __future__ import annotations

import asyncio
import threading
from pathlib import Path

import pytest
from sqlalchemy import func, select, text
from sqlalchemy.exc import IntegrityError

from storage.db import Database
from storage.migrate import upgrade
from storage.models import ProcessedUpdate
from storage.repositories import Repositories


@pytest.fixture
async def sqlite_db(tmp_path: Path):  # type: ignore[no-untyped-def]
    url = f"sqlite:///{tmp_path / 'inline.db'}"
    upgrade(url)
    database = Database(url)
    yield database
    await database.dispose()


async def _count(db: Database) -> int:
    async with db.session() as s:
        return (await s.execute(select(func.count()).select_from(ProcessedUpdate))).scalar_one()


async def test_statements_run_without_a_helper_thread(sqlite_db: Database) -> None:
    before = threading.active_count()
    store = Repositories.on(sqlite_db)
    assert await store.conversations.claim_update("telegram", 1)
    assert not await store.conversations.claim_update("telegram", 1)  # the unique key still holds
    assert threading.active_count() == before
    assert await _count(sqlite_db) == 1


async def test_a_failed_transaction_leaves_nothing(sqlite_db: Database) -> None:
    with pytest.raises(IntegrityError):
        async with sqlite_db.session() as s:
            s.add(ProcessedUpdate(channel="telegram", update_id=7))
            await s.flush()
            s.add(ProcessedUpdate(channel="telegram", update_id=7))
            await s.flush()
    assert await _count(sqlite_db) == 0


async def test_many_concurrent_writers_share_the_connection(sqlite_db: Database) -> None:
    store = Repositories.on(sqlite_db)
    claimed = await asyncio.gather(
        *(store.conversations.claim_update("telegram", i % 100) for i in range(300))
    )
    assert sum(claimed) == 100
    assert await _count(sqlite_db) == 100


async def test_two_databases_on_one_file_in_one_process(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'two.db'}"
    upgrade(url)
    first, second = Database(url), Database(url)
    try:
        assert await Repositories.on(first).conversations.claim_update("telegram", 1)
        assert not await Repositories.on(second).conversations.claim_update("telegram", 1)
        assert await Repositories.on(second).conversations.claim_update("telegram", 2)
        assert await _count(first) == 2
    finally:
        await first.dispose()
        await second.dispose()


async def test_a_missing_directory_is_created_and_a_bad_file_is_an_error(tmp_path: Path) -> None:
    (tmp_path / "not-a-db.db").write_bytes(b"this is not a database" * 100)
    broken = Database(f"sqlite:///{tmp_path / 'not-a-db.db'}")
    try:
        with pytest.raises(Exception, match="not a database"):
            await _count(broken)
    finally:
        await broken.dispose()


async def test_long_reads_leave_the_event_loop_free(sqlite_db: Database) -> None:
    ticks = 0

    async def ticker() -> None:
        nonlocal ticks
        while True:
            ticks += 1
            await asyncio.sleep(0.005)

    slow_count = text(
        "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 2000000)"
        " SELECT count(*) FROM n"
    )
    task = asyncio.create_task(ticker())
    try:
        await asyncio.sleep(0.01)
        before = ticks
        async with sqlite_db.reading() as s:
            assert (await s.execute(slow_count)).scalar_one() == 2_000_000
        during_read = ticks - before
        before = ticks
        async with sqlite_db.session() as s:  # the bot's own connection: inline, holds the loop
            assert (await s.execute(slow_count)).scalar_one() == 2_000_000
        during_inline = ticks - before
    finally:
        task.cancel()
    assert during_read >= 5 and during_inline <= 1
