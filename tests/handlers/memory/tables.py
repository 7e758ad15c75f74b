"""The rows the in-memory ports share: one dict per table, keyed by primary key.

The ports read and change the stored rows and hand callers copies, as a session hands out
detached rows: a caller changing what it was given changes nothing stored.
"""

from __future__ import annotations

import copy
from collections.abc import Callable
from decimal import Decimal
from typing import Any, TypeVar

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


class MemoryTables:
    """Every table the ports touch, as rows in memory; ids drawn like a sequence's (from 1)."""

    def __init__(self) -> None:
        self._tables: dict[type[SQLModel], dict[Key, SQLModel]] = {}
        self._next_id: dict[type[SQLModel], int] = {}

    def table(self, model: type[M]) -> dict[Key, M]:
        """The stored rows of ``model`` by primary key (the live dict)."""
        return self._tables.setdefault(model, {})  # type: ignore[return-value]

    def insert(self, row: M) -> M:
        """Store ``row`` itself (give it an id first when its table draws ids); returns it."""
        model = type(row)
        if "id" in model.model_fields and getattr(row, "id", None) is None:
            row.id = self._next_id.get(model, 1)  # type: ignore[attr-defined]
        if isinstance(row, Purchase) and row.amount is not None:
            row.amount = Decimal(row.amount).quantize(Decimal("0.01"))  # NUMERIC(12, 2)
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
