"""Migrations create every table on both backends and are idempotent."""

from __future__ import annotations

from sqlalchemy import inspect

from storage.db import Database
from storage.migrate import head_revision, upgrade


async def test_upgrade_creates_all_tables(db: Database, db_url: tuple[str, str | None]) -> None:
    async with db.engine.connect() as conn:
        tables = await conn.run_sync(lambda c: set(inspect(c).get_table_names()))
    assert {
        "customers",
        "purchases",
        "channel_links",
        "checkins",
        "answers",
        "conversation_states",
        "processed_updates",
        "cases",
        "events",
        "alembic_version",
    } <= tables
    # a second upgrade is a no-op that reports the same head
    assert upgrade(*db_url) == head_revision()


async def test_sqlite_uses_wal(tmp_path) -> None:
    url = f"sqlite:///{tmp_path / 'wal.db'}"
    upgrade(url)
    database = Database(url)
    async with database.engine.connect() as conn:
        mode = (await conn.exec_driver_sql("PRAGMA journal_mode")).scalar()
    await database.dispose()
    assert mode == "wal"
