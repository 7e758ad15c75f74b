"""The contract's fixture: the query ports on memory, SQLite and PostgreSQL, each empty.

PostgreSQL comes from ``tests/conftest.py``'s ``pg_schema``: skipped when the server is away,
except under CI=true, where that is a failure.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from storage.db import Database
from tests.conftest import PG_URL
from tests.handlers.memory.backends import PortsBackend
from tests.migrated import migrated


@pytest.fixture(params=["memory", "sqlite", "postgresql"])
async def ports(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[PortsBackend]:
    """Each implementation of the query ports, empty."""
    if request.param == "memory":
        yield PortsBackend.memory()
        return
    if request.param == "sqlite":
        url, schema = f"sqlite:///{tmp_path / 'mentorbot.db'}", None
    else:
        url, schema = PG_URL, request.getfixturevalue("pg_schema")
    migrated(url, schema)
    db = Database(url, schema=schema)
    try:
        yield PortsBackend.sql(request.param, db)
    finally:
        await db.dispose()
