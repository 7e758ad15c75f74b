"""The tests' fast migrated databases (tests/migrated.py) are what Alembic makes: the same tables,
columns, defaults, indexes, constraints, functions and revision, on SQLite and PostgreSQL."""

from __future__ import annotations

import sqlite3
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

from storage.migrate import head_revision, upgrade
from tests.conftest import PG_URL
from tests.migrated import migrated

CATALOG = {
    "columns": """SELECT table_name, column_name, data_type, is_nullable, column_default,
                         character_maximum_length, numeric_precision, numeric_scale
                  FROM information_schema.columns WHERE table_schema = %(s)s""",
    "indexes": "SELECT tablename, indexname, indexdef FROM pg_indexes WHERE schemaname = %(s)s",
    "constraints": """SELECT conrelid::regclass::text, conname, contype,
                             pg_get_constraintdef(oid)
                      FROM pg_constraint WHERE connamespace = %(s)s::regnamespace""",
    "functions": """SELECT proname, pg_get_function_arguments(oid), prosrc
                    FROM pg_proc WHERE pronamespace = %(s)s::regnamespace""",
    "sequences": """SELECT sequence_name, data_type, start_value, increment
                    FROM information_schema.sequences WHERE sequence_schema = %(s)s""",
}


@contextmanager
def _schemas(count: int) -> Iterator[list[str]]:
    import psycopg

    names = [f"t_{uuid.uuid4().hex[:12]}" for _ in range(count)]
    with psycopg.connect(PG_URL, autocommit=True) as conn:
        for name in names:
            conn.execute(f'CREATE SCHEMA "{name}"')
    try:
        yield names
    finally:
        with psycopg.connect(PG_URL, autocommit=True) as conn:
            for name in names:
                conn.execute(f'DROP SCHEMA "{name}" CASCADE')


def _pg_catalog(schema: str) -> dict[str, list[tuple[object, ...]]]:
    """The schema's catalog, its own name replaced by ``S`` so two schemas compare."""
    import psycopg

    with psycopg.connect(PG_URL) as conn:
        out = {}
        for part, query in CATALOG.items():
            rows = conn.execute(query, {"s": schema}).fetchall()
            out[part] = sorted(
                tuple(str(v).replace(schema, "S") if v is not None else None for v in row)
                for row in rows
            )
        out["revision"] = conn.execute(f'SELECT * FROM "{schema}".alembic_version').fetchall()
    return out


def test_postgresql_replay_makes_the_schema_alembic_makes(pg_available: bool) -> None:
    if not pg_available:
        pytest.skip(f"PostgreSQL at {PG_URL} is not reachable (runs in CI)")
    with _schemas(3) as (by_alembic, by_replay, older):
        upgrade(PG_URL, by_alembic)
        migrated(PG_URL, by_replay)
        upgrade(PG_URL, older, "0012")
        alembic, replay = _pg_catalog(by_alembic), _pg_catalog(by_replay)
        assert len(alembic["columns"]) > 100 and alembic["functions"]
        assert replay == alembic
        assert replay["revision"] == [(head_revision(),)]
        assert _pg_catalog(older) != alembic  # the comparison sees a migration's difference


def _sqlite_schema(path: Path) -> tuple[list[tuple[str, ...]], list[tuple[str, ...]], str]:
    with sqlite3.connect(path) as conn:
        objects = conn.execute("SELECT type, name, tbl_name, sql FROM sqlite_master").fetchall()
        revision = conn.execute("SELECT * FROM alembic_version").fetchall()
        mode = conn.execute("PRAGMA journal_mode").fetchone()[0]
    return sorted(objects, key=str), revision, mode


def test_sqlite_copy_is_the_database_alembic_makes(tmp_path: Path) -> None:
    upgrade(f"sqlite:///{tmp_path / 'alembic.db'}")
    migrated(f"sqlite:///{tmp_path / 'copy.db'}")
    migrated(f"sqlite:///{tmp_path / 'second.db'}")  # from the same template
    alembic = _sqlite_schema(tmp_path / "alembic.db")
    assert len(alembic[0]) > 50 and alembic[2] == "wal"
    assert _sqlite_schema(tmp_path / "copy.db") == alembic
    assert _sqlite_schema(tmp_path / "second.db") == alembic


def test_a_database_with_rows_is_refused(tmp_path: Path) -> None:
    migrated(f"sqlite:///{tmp_path / 'used.db'}")
    with pytest.raises(ValueError, match="not empty"):
        migrated(f"sqlite:///{tmp_path / 'used.db'}")
