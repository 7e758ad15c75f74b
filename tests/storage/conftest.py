"""Fixtures of the storage tests: the unit of work on each backend."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from storage.db import Database
from storage.memory_tables import MemoryTables
from tests.conftest import PG_URL
from tests.migrated import migrated
from tests.storage.unit_backends import UnitBackend, memory_units, sql_units


@pytest.fixture(params=["memory", "sqlite", "postgresql"])
async def backend(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[UnitBackend]:
    """Each implementation of the unit of work, empty."""
    if request.param == "memory":
        tables = MemoryTables()
        yield UnitBackend("memory", memory_units(tables), memory=tables)
        return
    if request.param == "sqlite":
        url, schema = f"sqlite:///{tmp_path / 'mentorbot.db'}", None
    else:
        url, schema = PG_URL, request.getfixturevalue("pg_schema")
    migrated(url, schema)
    db = Database(url, schema=schema)
    try:
        yield UnitBackend(request.param, sql_units(db), db=db)
    finally:
        await db.dispose()
