"""The query ports on each backend (memory, SQLite, PostgreSQL), with what a contract scenario
needs beside them: seeding rows and reading back what is stored."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, TypeVar

from sqlmodel import SQLModel

from storage.db import Database
from storage.memory_tables import MemoryTables, key_of
from storage.repositories import Repositories
from tests.handlers.memory.repositories import MemoryRepositories
from tests.stored_rows import seed_rows, stored_rows

M = TypeVar("M", bound=SQLModel)


@dataclass
class PortsBackend:
    """One backend under contract: its ports (``repos.answers``, ``repos.cases``...) and its
    rows. ``repos`` is :class:`Repositories` on a database or :class:`MemoryRepositories`."""

    name: str
    repos: Any
    db: Database | None = None
    tables: MemoryTables | None = None

    @classmethod
    def memory(cls) -> PortsBackend:
        """Empty in-memory tables."""
        repos = MemoryRepositories.on()
        return cls("memory", repos, tables=repos.tables)

    @classmethod
    def sql(cls, name: str, db: Database) -> PortsBackend:
        """A migrated, empty database."""
        return cls(name, Repositories.on(db), db=db)

    async def seed(self, *rows: SQLModel) -> None:
        """Store ``rows`` in one go (in order); each gets its id, as an insert gives it."""
        await seed_rows(rows, self.tables, self.db)

    async def one(self, row: M) -> M:
        """Seed one row and return it (with its id)."""
        await self.seed(row)
        return row

    async def rows(self, model: type[M]) -> list[M]:
        """Every stored row of ``model``, in primary key order (copies)."""
        return await stored_rows(model, self.tables, self.db)

    async def get(self, model: type[M], key: Any) -> M | None:
        """The stored row of ``model`` with primary key ``key``, if any."""
        for row in await self.rows(model):
            if key_of(row) == key:
                return row
        return None
