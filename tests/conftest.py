"""Shared fixtures: a migrated database per test, on SQLite and on PostgreSQL."""

from __future__ import annotations

import os
import uuid
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import pytest

from storage.db import Database
from storage.repositories import Repositories
from tests.migrated import migrated

PG_URL = os.environ.get("MENTORBOT_TEST_PG_URL", "postgresql://postgres@127.0.0.1:5432/test")
IN_CI = os.environ.get("CI", "").lower() == "true"


def _pg_reachable() -> str | None:
    import psycopg

    try:
        with psycopg.connect(
            PG_URL.replace("postgresql://", "postgresql://", 1), connect_timeout=3
        ):
            return None
    except Exception as exc:  # any failure means: no usable server
        return str(exc).strip().splitlines()[0]


@pytest.fixture(scope="session")
def pg_available() -> bool:
    """Whether PostgreSQL answers; in CI its absence is a failure, not a skip."""
    problem = _pg_reachable()
    if problem is None:
        return True
    if IN_CI:
        pytest.fail(f"PostgreSQL at {PG_URL} is required in CI and is not reachable: {problem}")
    return False


@pytest.fixture
def pg_schema(pg_available: bool) -> Iterator[str]:
    """A fresh PostgreSQL schema for one test, dropped afterwards."""
    if not pg_available:
        pytest.skip(f"PostgreSQL at {PG_URL} is not reachable (runs in CI)")
    import psycopg

    schema = f"t_{uuid.uuid4().hex[:12]}"
    with psycopg.connect(PG_URL, autocommit=True) as conn:
        conn.execute(f'CREATE SCHEMA "{schema}"')
    yield schema
    with psycopg.connect(PG_URL, autocommit=True) as conn:
        conn.execute(f'DROP SCHEMA "{schema}" CASCADE')


@pytest.fixture(params=["sqlite", "postgresql"])
def db_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[tuple[str, str | None]]:
    """(url, schema) of an empty database of each backend at the head revision (a copy of one
    Alembic made at the start of the test process: tests/migrated.py)."""
    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path / 'mentorbot.db'}"
        migrated(url)
        yield url, None
    else:
        schema = request.getfixturevalue("pg_schema")
        migrated(PG_URL, schema)
        yield PG_URL, schema


@pytest.fixture
async def db(db_url: tuple[str, str | None]) -> AsyncIterator[Database]:
    """A migrated :class:`Database` on each backend."""
    url, schema = db_url
    database = Database(url, schema=schema)
    yield database
    await database.dispose()


@pytest.fixture
def store(db: Database) -> Repositories:
    """The repository over the per-test database."""
    return Repositories.on(db)


API_KEY = "test-api-key-0123456789"


@pytest.fixture
def make_config(db_url: tuple[str, str | None], tmp_path: Path):  # type: ignore[no-untyped-def]
    """Build a Config on the per-test database, with overrides."""
    from bot.config import Config

    def build(**overrides: object) -> Config:
        raw: dict[str, object] = {
            "data_dir": str(tmp_path),
            "database": {"url": db_url[0]},
            "api": {"keys": [API_KEY]},
        }
        raw.update(overrides)
        return Config.model_validate(raw)

    return build


@pytest.fixture
async def mentorbot(make_config, db_url: tuple[str, str | None]):  # type: ignore[no-untyped-def]
    """A Mentorbot composed on the per-test database (already migrated)."""
    from bot.app import Mentorbot

    bot = Mentorbot(make_config(), db_schema=db_url[1])
    yield bot
    await bot.close()
