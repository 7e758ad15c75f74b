"""SQLite statements run on the event loop's own thread, behind SQLAlchemy's asyncio API.

aiosqlite runs each connection in a thread and hands every call across (cursor, execute, fetch,
close, commit: each a round trip through the event loop). Measured here, a statement costs
about 0.15 ms of CPU that way and about 0.001 ms in ``sqlite3`` itself; a customer's answer
takes eight statements, and under load each round trip also waits for a turn of a busy loop
while the connection is held. A local SQLite statement in WAL mode with ``synchronous=NORMAL``
is shorter than that round trip, so here it simply runs where it is called.

SQLAlchemy's aiosqlite dialect accepts any aiosqlite-shaped connection through its public
``create_async_engine(async_creator=...)``; :func:`connect_inline` makes one, and
:class:`storage.db.Database` keeps one pooled connection, so the process never waits for itself.
SQLAlchemy has no public hook for what its adapter then reads: besides the DB-API calls it reads
three of aiosqlite's private members from the connection (``_connection``: open or closed;
``_conn``: the ``sqlite3`` connection; ``_tx``: the queue it sets the isolation level through).
:class:`InlineConnection` provides those, so pyproject.toml bounds SQLAlchemy and aiosqlite to
the releases tests/storage/test_sqlite_inline_contract.py checked; that test records what
SQLAlchemy reads and fails when an upgrade reads anything else.
What this costs: while a statement runs, nothing else in the process does. For the short
statements of the bot's work that is less than a thread round trip. Long reads (managers'
insights, exports) therefore go through :meth:`storage.db.Database.reading`, on aiosqlite
connections in threads. A statement that waits for another process's write lock (a
``mentorbot import`` running beside the bot; at most ``busy_timeout``, 10 s) still holds the bot
up for as long; shops where that matters run PostgreSQL.
"""

from __future__ import annotations

import sqlite3
from collections.abc import AsyncIterator, Callable, Iterable, Sequence
from typing import Any

__all__ = ["InlineConnection", "connect_inline"]


class _InlineCursor:
    """An aiosqlite-shaped cursor over a ``sqlite3`` cursor; every call completes at once."""

    def __init__(self, cursor: sqlite3.Cursor) -> None:
        self._cursor = cursor

    async def __aenter__(self) -> _InlineCursor:
        return self

    async def __aexit__(self, *exc: object) -> None:
        self._cursor.close()

    def __aiter__(self) -> AsyncIterator[Any]:
        return self._rows()

    async def _rows(self) -> AsyncIterator[Any]:
        for row in self._cursor:
            yield row

    @property
    def description(self) -> Any:
        """Column descriptions of the last query (DB-API)."""
        return self._cursor.description

    @property
    def rowcount(self) -> int:
        """Rows changed by the last statement (DB-API)."""
        return self._cursor.rowcount

    @property
    def lastrowid(self) -> int | None:
        """Row id of the last inserted row (DB-API)."""
        return self._cursor.lastrowid

    @property
    def arraysize(self) -> int:
        """Default fetchmany size (DB-API)."""
        return self._cursor.arraysize

    @arraysize.setter
    def arraysize(self, value: int) -> None:
        self._cursor.arraysize = value

    async def execute(self, sql: str, parameters: Sequence[Any] | None = None) -> _InlineCursor:
        """Run one statement."""
        self._cursor.execute(sql, () if parameters is None else parameters)
        return self

    async def executemany(self, sql: str, rows: Iterable[Sequence[Any]]) -> _InlineCursor:
        """Run one statement for each parameter row."""
        self._cursor.executemany(sql, rows)
        return self

    async def fetchone(self) -> Any:
        """The next row, or None."""
        return self._cursor.fetchone()

    async def fetchmany(self, size: int | None = None) -> list[Any]:
        """Up to ``size`` rows."""
        return self._cursor.fetchmany(self._cursor.arraysize if size is None else size)

    async def fetchall(self) -> list[Any]:
        """The remaining rows."""
        return self._cursor.fetchall()

    async def close(self) -> None:
        """Close the cursor."""
        self._cursor.close()

    async def setinputsizes(self, *sizes: Any) -> None:
        """Nothing to do for SQLite (DB-API)."""

    async def nextset(self) -> None:
        """SQLite has one result set per statement (DB-API)."""
        return None


class _RunNow:
    """Stands in for aiosqlite's request queue, which SQLAlchemy uses to set the isolation
    level: the call runs at once and the future gets its outcome."""

    def put_nowait(self, item: tuple[Any, Callable[[], Any]]) -> None:
        future, function = item
        try:
            future.set_result(function())
        except Exception as exc:
            future.set_exception(exc)


class InlineConnection:
    """An aiosqlite-shaped connection over a ``sqlite3`` connection used on the loop's thread."""

    def __init__(self, conn: sqlite3.Connection) -> None:
        self._conn = conn
        self._connection: sqlite3.Connection | None = conn  # aiosqlite's "still open" marker
        self._tx = _RunNow()

    @property
    def isolation_level(self) -> str | None:
        """The ``sqlite3`` isolation level (None: autocommit)."""
        return self._conn.isolation_level

    def cursor(self) -> _InlineCursor:
        """A new cursor (SQLAlchemy enters it with ``async with``)."""
        return _InlineCursor(self._conn.cursor())

    async def execute(self, sql: str, parameters: Sequence[Any] | None = None) -> _InlineCursor:
        """Run one statement on a new cursor."""
        return await self.cursor().execute(sql, parameters)

    async def commit(self) -> None:
        """Commit the transaction."""
        self._conn.commit()

    async def rollback(self) -> None:
        """Roll the transaction back."""
        self._conn.rollback()

    async def create_function(self, *args: Any, **kwargs: Any) -> None:
        """Register a Python function with SQLite (SQLAlchemy adds regexp)."""
        self._conn.create_function(*args, **kwargs)

    async def close(self) -> None:
        """Close the connection; a second close does nothing."""
        if self._connection is not None:
            self._connection = None
            self._conn.close()

    def stop(self) -> None:
        """Close at once (SQLAlchemy's terminate)."""
        if self._connection is not None:
            self._connection = None
            self._conn.close()


async def connect_inline(path: str, busy_timeout: float = 10.0) -> InlineConnection:
    """Open ``path`` (a file name or ``:memory:``) for use on the event loop's thread."""
    # check_same_thread=False: the pool may close a connection from the garbage collector.
    return InlineConnection(sqlite3.connect(path, timeout=busy_timeout, check_same_thread=False))
