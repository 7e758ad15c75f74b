"""Seeding rows and reading back what is stored, the same way on memory (``MemoryTables``) and
on a database: for the contracts of the query ports and of the unit of work."""

from __future__ import annotations

from typing import TypeVar

from sqlalchemy import select
from sqlmodel import SQLModel

from storage.db import Database
from storage.memory_tables import MemoryTables, clone

M = TypeVar("M", bound=SQLModel)


async def seed_rows(
    rows: tuple[SQLModel, ...], tables: MemoryTables | None, db: Database | None
) -> None:
    """Store ``rows`` in order; each gets its id, as an insert gives it."""
    if tables is not None:
        for row in rows:
            stored = tables.insert(clone(row))
            if "id" in type(row).model_fields:
                row.id = stored.id  # type: ignore[attr-defined]
        return
    assert db is not None
    async with db.session() as s:
        for row in rows:  # one flush each: ids in the order given
            s.add(row)
            await s.flush()


async def stored_rows(model: type[M], tables: MemoryTables | None, db: Database | None) -> list[M]:
    """Every stored row of ``model``, in primary key order (copies)."""
    if tables is not None:
        return [clone(r) for r in tables.rows(model)]
    assert db is not None
    table = model.__table__  # type: ignore[attr-defined]
    async with db.session() as s:
        found = await s.execute(select(model).order_by(*table.primary_key.columns))
        return list(found.scalars().all())
