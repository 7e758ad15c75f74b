"""Engines and sessions for SQLite (the embedded default) and PostgreSQL."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

from sqlalchemy import event
from sqlalchemy.engine import URL, make_url
from sqlalchemy.exc import DBAPIError, InterfaceError, OperationalError
from sqlalchemy.ext.asyncio import (
    AsyncConnection,
    AsyncEngine,
    AsyncSession,
    async_sessionmaker,
    create_async_engine,
)

from storage.sqlite_inline import connect_inline

log = logging.getLogger(__name__)


class StorageUnavailable(ConnectionError):
    """The database cannot be reached right now; the caller may retry later."""


def _with_driver(url: str, sqlite_driver: str) -> URL:
    parsed = make_url(url)
    backend = parsed.get_backend_name()
    if backend == "sqlite":
        return parsed.set(drivername=sqlite_driver)
    if backend == "postgresql":
        return parsed.set(drivername="postgresql+psycopg")
    raise ValueError(f"unsupported database {backend!r}: use sqlite:/// or postgresql://")


def async_url(url: str) -> URL:
    """The async-driver form of a database URL (aiosqlite for SQLite, psycopg for PostgreSQL)."""
    return _with_driver(url, "sqlite+aiosqlite")


def sync_url(url: str) -> URL:
    """The blocking-driver form of a database URL (for migrations and bulk baselines)."""
    return _with_driver(url, "sqlite")


def _ensure_sqlite_dir(url: URL) -> None:
    if url.get_backend_name() == "sqlite" and url.database and url.database != ":memory:":
        Path(url.database).expanduser().parent.mkdir(parents=True, exist_ok=True)


def _sqlite_pragmas(dbapi_conn: Any, _record: Any) -> None:
    cursor = dbapi_conn.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA busy_timeout=10000")
    cursor.close()


def engine_options(url: URL, schema: str | None) -> dict[str, Any]:
    """Driver options: a search_path for a PostgreSQL schema, a short connect timeout."""
    if url.get_backend_name() == "postgresql":
        # prepare_threshold=None: psycopg would otherwise prepare statements after five runs,
        # and PostgreSQL may then keep a generic plan made while the tables were still empty
        # (a sequential scan for "email IN (...)" that costs seconds once they are not).
        options: dict[str, Any] = {"connect_timeout": 5, "prepare_threshold": None}
        if schema:
            options["options"] = f"-csearch_path={schema}"
        return {"connect_args": options, "pool_pre_ping": True}
    return {"connect_args": {"timeout": 10}}


def configure_engine(engine: Any, url: URL) -> None:
    """Per-connection settings that the URL cannot carry (SQLite WAL mode and friends)."""
    if url.get_backend_name() == "sqlite":
        target = engine.sync_engine if isinstance(engine, AsyncEngine) else engine
        event.listen(target, "connect", _sqlite_pragmas)


class Database:
    """One database: the async engine, a session factory, and what kind of database it is."""

    def __init__(self, url: str, *, schema: str | None = None, echo: bool = False) -> None:
        self.url = url
        self.schema = schema
        self._async_url = async_url(url)
        _ensure_sqlite_dir(self._async_url)
        options = engine_options(self._async_url, schema)
        if self.dialect == "sqlite":
            # Statements run on the loop's thread through one connection: see sqlite_inline.
            path = self._async_url.database or ":memory:"
            options = {
                "async_creator": lambda: connect_inline(path),
                "pool_size": 1,
                "max_overflow": 0,
            }
        self.engine: AsyncEngine = create_async_engine(self._async_url, echo=echo, **options)
        configure_engine(self.engine, self._async_url)
        self.sessions = async_sessionmaker(self.engine, expire_on_commit=False)
        self._read_engine: AsyncEngine | None = None
        self._readers: async_sessionmaker[AsyncSession] | None = None

    @property
    def dialect(self) -> str:
        """``sqlite`` or ``postgresql``."""
        return self._async_url.get_backend_name()

    @asynccontextmanager
    async def session(self) -> AsyncIterator[AsyncSession]:
        """A session in a transaction, committed on success.

        A lost database becomes :class:`StorageUnavailable`.
        """
        async with _unavailable_as_error(), self.sessions() as session, session.begin():
            yield session

    @asynccontextmanager
    async def statements(self) -> AsyncIterator[AsyncConnection]:
        """A bare connection for prebuilt Core statements, without an ORM session's cost.

        On PostgreSQL it is in autocommit: a statement commits itself in its one round trip
        (no BEGIN and COMMIT round trips around it), so several writes that must be atomic go
        in one statement. On SQLite the block is one transaction. A lost database becomes
        :class:`StorageUnavailable`.
        """
        async with _unavailable_as_error():
            if self.dialect == "postgresql":
                async with self.engine.connect() as conn:
                    yield await conn.execution_options(isolation_level="AUTOCOMMIT")
            else:
                async with self.engine.begin() as conn:
                    yield conn

    @asynccontextmanager
    async def reading(self) -> AsyncIterator[AsyncSession]:
        """A session for long reads (managers' insights, exports); writes belong in ``session``.

        On SQLite these run on their own aiosqlite connections, in threads, so a query over a
        year of answers does not hold up the event loop (see :mod:`storage.sqlite_inline`);
        WAL mode lets them read while the bot writes. Elsewhere this is ``session``.
        """
        if self.dialect != "sqlite":
            async with self.session() as session:
                yield session
            return
        if self._readers is None:
            engine = create_async_engine(
                self._async_url, **engine_options(self._async_url, self.schema)
            )
            configure_engine(engine, self._async_url)
            self._read_engine = engine
            self._readers = async_sessionmaker(engine, expire_on_commit=False)
        async with _unavailable_as_error(), self._readers() as session, session.begin():
            yield session

    async def dispose(self) -> None:
        """Close every pooled connection."""
        await self.engine.dispose()
        if self._read_engine is not None:
            await self._read_engine.dispose()


@asynccontextmanager
async def _unavailable_as_error() -> AsyncIterator[None]:
    """A lost database inside the block becomes :class:`StorageUnavailable`."""
    try:
        yield
    except (OperationalError, InterfaceError) as exc:
        if _is_connection_problem(exc):
            log.warning("database unavailable: %s", exc.orig or exc)
            raise StorageUnavailable("the database is not reachable") from exc
        raise
    except OSError as exc:
        log.warning("database unavailable: %s", exc)
        raise StorageUnavailable("the database is not reachable") from exc


def _is_connection_problem(exc: DBAPIError) -> bool:
    if exc.connection_invalidated or isinstance(exc, InterfaceError):
        return True
    text = str(exc.orig or exc).lower()
    markers = ("connection", "could not connect", "server closed", "terminating", "unable to open")
    return any(m in text for m in markers)
