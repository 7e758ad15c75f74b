"""Migrations create every table on both backends and are idempotent."""

from __future__ import annotations

from pathlib import Path

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import inspect
from sqlmodel import SQLModel

import storage.models  # noqa: F401  (the tables the models declare)
from storage.db import Database
from storage.migrate import head_revision, upgrade
from tests.conftest import PG_URL


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


# SQLite cannot reflect an index on an expression (upper(order id)); test_query_plans shows
# that one is used.
@pytest.mark.filterwarnings("ignore:autogenerate skipping metadata-specified expression-based")
@pytest.mark.filterwarnings("ignore:Skipped unsupported reflection of expression-based index")
async def test_migrations_build_what_the_models_declare(db: Database) -> None:
    """Every table, column and index in the models comes from a migration (a new index that
    only the models had would never reach an upgraded database)."""
    async with db.engine.connect() as conn:
        diffs = await conn.run_sync(
            lambda c: compare_metadata(MigrationContext.configure(c), SQLModel.metadata)
        )
    assert diffs == []


async def test_sqlite_uses_wal(tmp_path) -> None:
    url = f"sqlite:///{tmp_path / 'wal.db'}"
    upgrade(url)
    database = Database(url)
    async with database.engine.connect() as conn:
        mode = (await conn.exec_driver_sql("PRAGMA journal_mode")).scalar()
    await database.dispose()
    assert mode == "wal"


@pytest.mark.parametrize("backend", ["sqlite", "postgresql"])
def test_answers_get_the_channel_they_came_in_on(
    backend: str, tmp_path: Path, request: pytest.FixtureRequest
) -> None:
    """Migration 0013: an answer whose update is in the inbox as a WhatsApp one is WhatsApp's,
    the others Telegram's (the column's default: no row rewritten)."""
    from sqlalchemy import create_engine, insert, text

    from storage.db import engine_options, sync_url
    from storage.models import Customer

    if backend == "sqlite":
        url, schema = f"sqlite:///{tmp_path / 'm.db'}", None
    else:
        url, schema = PG_URL, request.getfixturevalue("pg_schema")
    upgrade(url, schema, "0012")
    target = sync_url(url)
    engine = create_engine(target, **engine_options(target, schema))
    now = "2026-12-01 10:00:00"
    with engine.begin() as conn:
        conn.execute(insert(Customer.__table__), {"id": 1, "name": "Ann"})  # model defaults
        conn.execute(text("INSERT INTO inbox_updates (channel, update_id, chat_id, payload,"
                          " received_at, attempts) VALUES ('whatsapp', 111, 5, '{}', :t, 0)"),
                     {"t": now})  # fmt: skip
        for raw in (111, 222, None):
            conn.execute(text("INSERT INTO answers (customer_id, raw_update_id, scoring_status,"
                              " created_at) VALUES (1, :raw, 'scored', :t)"),
                         {"raw": raw, "t": now})  # fmt: skip
    upgrade(url, schema)
    with engine.connect() as conn:
        rows = conn.execute(text("SELECT raw_update_id, channel FROM answers ORDER BY id")).all()
    engine.dispose()
    assert [tuple(r) for r in rows] == [(111, "whatsapp"), (222, "telegram"), (None, "telegram")]
