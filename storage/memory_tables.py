"""Rows in memory, one dict per table keyed by primary key: the store the in-memory ports share.

The query ports in memory (``tests/handlers/memory``) read and change the stored rows directly,
each call on its own, as a statement in its own transaction; the unit of work in memory
(:mod:`storage.memory`) stages its changes and applies them here when it commits. Callers are
handed copies, as a session hands out detached rows: changing what was given changes nothing
stored.

The tables' unique rules (unique columns, unique indexes and constraints) are read from the
SQLModel tables themselves, so memory refuses what the databases refuse; as in SQL, a NULL
never collides.
"""

from __future__ import annotations

import copy
from collections.abc import Callable, Iterable
from decimal import Decimal
from functools import cache
from typing import Any, TypeVar

from sqlalchemy import Index, UniqueConstraint
from sqlmodel import SQLModel

from storage.models import Purchase

M = TypeVar("M", bound=SQLModel)
Key = Any


def clone(row: M) -> M:
    """A detached copy of ``row`` (JSON columns copied too)."""
    return type(row)(**copy.deepcopy(row.model_dump()))


def key_of(row: SQLModel) -> Key:
    """The row's primary key: its value, or a tuple of values for a composite key."""
    columns = [c.name for c in type(row).__table__.primary_key.columns]  # type: ignore[attr-defined]
    values = tuple(getattr(row, name) for name in columns)
    return values[0] if len(values) == 1 else values


@cache
def unique_rules(model: type[SQLModel]) -> tuple[tuple[str, ...], ...]:
    """The column sets the table keeps unique (besides its primary key)."""
    table = model.__table__  # type: ignore[attr-defined]
    rules = {(c.name,) for c in table.columns if c.unique}
    for item in [*table.indexes, *table.constraints]:
        if isinstance(item, UniqueConstraint | Index) and getattr(item, "unique", True):
            names = tuple(c.name for c in item.columns)
            if names and names != tuple(c.name for c in table.primary_key.columns):
                rules.add(names)
    return tuple(sorted(rules))


def clash(row: SQLModel, others: Iterable[SQLModel]) -> str | None:
    """Why a unique rule refuses ``row`` beside ``others`` (rows of its table, other than
    itself); None when none does. NULLs never collide, as in SQL."""
    model = type(row)
    rules = unique_rules(model)
    if not rules:
        return None
    mine = key_of(row)
    for other in others:
        if key_of(other) == mine:
            continue
        for columns in rules:
            values = tuple(getattr(row, c) for c in columns)
            if None not in values and values == tuple(getattr(other, c) for c in columns):
                shown = ", ".join(f"{c}={v!r}" for c, v in zip(columns, values, strict=True))
                return f"{model.__name__} {shown} is already stored (row {key_of(other)!r})"
    return None


def as_stored(row: M) -> M:
    """``row`` as its columns store it (a purchase's amount is NUMERIC(12, 2))."""
    if isinstance(row, Purchase) and row.amount is not None:
        row.amount = Decimal(row.amount).quantize(Decimal("0.01"))
    return row


class MemoryTables:
    """Every table the ports touch, as rows in memory; ids drawn like a sequence's (from 1)."""

    def __init__(self) -> None:
        self._tables: dict[type[SQLModel], dict[Key, SQLModel]] = {}
        self._next_id: dict[type[SQLModel], int] = {}

    def table(self, model: type[M]) -> dict[Key, M]:
        """The stored rows of ``model`` by primary key (the live dict)."""
        return self._tables.setdefault(model, {})  # type: ignore[return-value]

    def draw_id(self, model: type[SQLModel]) -> int:
        """A fresh id of ``model``'s sequence, never given back (even if never stored)."""
        drawn = self._next_id.get(model, 1)
        self._next_id[model] = drawn + 1
        return drawn

    def insert(self, row: M) -> M:
        """Store ``row`` itself (give it an id first when its table draws ids); returns it."""
        model = type(row)
        if "id" in model.model_fields and getattr(row, "id", None) is None:
            row.id = self.draw_id(model)  # type: ignore[attr-defined]
        as_stored(row)
        if "id" in model.model_fields:
            drawn = int(row.id)  # type: ignore[attr-defined]
            self._next_id[model] = max(self._next_id.get(model, 1), drawn + 1)
        key = key_of(row)
        rows = self.table(model)
        if key in rows:
            raise KeyError(f"{model.__name__} {key!r} is already stored")
        rows[key] = row
        return row

    def get(self, model: type[M], key: Key) -> M | None:
        """The stored row with primary key ``key``, if any."""
        return self.table(model).get(key)

    def rows(self, model: type[M], where: Callable[[M], bool] | None = None) -> list[M]:
        """The stored rows of ``model`` matching ``where``, in primary key order."""
        rows = self.table(model)
        return [rows[k] for k in sorted(rows) if where is None or where(rows[k])]

    def delete(self, model: type[M], where: Callable[[M], bool]) -> int:
        """Drop the rows of ``model`` matching ``where``; how many."""
        rows = self.table(model)
        gone = [k for k, row in rows.items() if where(row)]
        for k in gone:
            del rows[k]
        return len(gone)
