"""The contract :mod:`storage.sqlite_inline` stands on, pinned so an upgrade that breaks it fails.

SQLAlchemy takes the connection through its public ``create_async_engine(async_creator=...)``,
but its aiosqlite adapter then reads three of aiosqlite's private members (``_connection``,
``_conn``, ``_tx``) from whatever it was given. ``InlineConnection`` provides them; these tests
record which members SQLAlchemy reads while it runs every path it has (connect, transactions,
an error, AUTOCOMMIT and back, regexp, invalidation, disposal), check that aiosqlite's own
connection still has them with the same meaning, and that pyproject.toml bounds both libraries
to the releases checked here.
"""

from __future__ import annotations

import inspect
import re
import sqlite3
import tomllib
from pathlib import Path
from typing import Any

import aiosqlite
import pytest
import sqlalchemy
from sqlalchemy import text
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import create_async_engine

from storage.sqlite_inline import InlineConnection

ROOT = Path(__file__).resolve().parents[2]
PRIVATE_MEMBERS_SQLALCHEMY_READS = {"_connection", "_conn", "_tx"}


class RecordingConnection(InlineConnection):
    """An InlineConnection that notes each member SQLAlchemy's own code reads from it."""

    def __init__(self, conn: sqlite3.Connection, seen: set[str]) -> None:
        super().__init__(conn)
        self.seen = seen

    def __getattribute__(self, name: str) -> Any:
        frame = inspect.currentframe()
        caller = frame.f_back if frame is not None else None
        if caller is not None and str(caller.f_globals.get("__name__", "")).startswith(
            "sqlalchemy."
        ):
            object.__getattribute__(self, "seen").add(name)
        return object.__getattribute__(self, name)


async def test_sqlalchemy_reads_exactly_the_private_members_inline_connection_provides(
    tmp_path: Path,
) -> None:
    seen: set[str] = set()
    path = str(tmp_path / "contract.db")

    async def connect() -> RecordingConnection:
        return RecordingConnection(sqlite3.connect(path, check_same_thread=False), seen)

    engine = create_async_engine(
        "sqlite+aiosqlite:///" + path, async_creator=connect, pool_size=1, max_overflow=0
    )
    try:
        async with engine.begin() as conn:
            await conn.execute(text("CREATE TABLE t (k INTEGER PRIMARY KEY, v TEXT)"))
            await conn.execute(text("INSERT INTO t VALUES (1, 'een'), (2, 'twee')"))
        with pytest.raises(IntegrityError):
            async with engine.begin() as conn:
                await conn.execute(text("INSERT INTO t VALUES (3, 'drie')"))
                await conn.execute(text("INSERT INTO t VALUES (3, 'again')"))
        async with engine.connect() as conn:
            rows = (await conn.execute(text("SELECT v FROM t WHERE v REGEXP '^e'"))).all()
            assert [r.v for r in rows] == ["een"]
            assert (await conn.execute(text("SELECT count(*) FROM t"))).scalar_one() == 2
            await conn.commit()
            auto = await conn.execution_options(isolation_level="AUTOCOMMIT")
            await auto.execute(text("INSERT INTO t VALUES (4, 'vier')"))
        async with engine.connect() as conn:  # back in a transaction after AUTOCOMMIT
            await conn.execute(text("INSERT INTO t VALUES (5, 'vijf')"))
            await conn.rollback()
            assert (await conn.execute(text("SELECT count(*) FROM t"))).scalar_one() == 3
            await conn.invalidate()
        async with engine.connect() as conn:  # a new connection after the invalidation
            assert (await conn.execute(text("SELECT max(k) FROM t"))).scalar_one() == 4
    finally:
        await engine.dispose()
    private = {name for name in seen if name.startswith("_") and not name.startswith("__")}
    assert private == PRIVATE_MEMBERS_SQLALCHEMY_READS, (
        f"SQLAlchemy {sqlalchemy.__version__} reads {sorted(private)} from the connection; "
        "storage/sqlite_inline.py provides "
        f"{sorted(PRIVATE_MEMBERS_SQLALCHEMY_READS)}: check the new adapter before widening "
        "the version bound in pyproject.toml"
    )
    assert {"cursor", "commit", "rollback", "create_function", "close"} <= seen, sorted(seen)


async def test_aiosqlite_connections_still_have_the_members_inline_connection_copies() -> None:
    conn = await aiosqlite.connect(":memory:")
    try:
        assert isinstance(conn._connection, sqlite3.Connection)  # "open" marker
        assert isinstance(conn._conn, sqlite3.Connection)  # the sqlite3 connection
        assert callable(conn._tx.put_nowait)  # a queue of (future, function)
        assert callable(conn.stop)  # terminate
    finally:
        await conn.close()
    assert conn._connection is None  # closed


def _upper_bound(requirement: str) -> str | None:
    match = re.search(r"<\s*([0-9][0-9.]*)", requirement)
    return match.group(1) if match else None


def _version(text_version: str) -> tuple[int, ...]:
    return tuple(int(part) for part in re.findall(r"\d+", text_version)[:3])


def test_pyproject_bounds_both_libraries_below_a_release_not_checked_here() -> None:
    dependencies = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["dependencies"]
    for name, installed in (("sqlalchemy", sqlalchemy.__version__), ("aiosqlite", None)):
        (requirement,) = [d for d in dependencies if d.lower().startswith(name)]
        bound = _upper_bound(requirement)
        assert bound is not None, f"{requirement!r} needs an upper bound (see this module)"
        if installed is not None:
            assert _version(installed) < _version(bound)
