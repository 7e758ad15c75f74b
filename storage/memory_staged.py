"""A unit of work's changes to :class:`~storage.memory_tables.MemoryTables`, kept apart until
it commits.

A unit reads what is committed with its own changes laid over it (read committed, as on
PostgreSQL: what another unit commits meanwhile is seen by the next read). New rows get their
ids at once from the table's sequence, never given back. At commit the unique rules are
checked again against what is committed then, and only the columns the unit changed are
written (as the ORM's UPDATE writes only the changed columns), so a row another writer changed
meanwhile keeps that writer's other columns.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TypeVar

from sqlmodel import SQLModel

from storage.errors import ConcurrentWrite
from storage.memory_tables import Key, MemoryTables, as_stored, clash, clone, key_of

M = TypeVar("M", bound=SQLModel)
_GONE = None


class StagedRows:
    """One unit's inserted, changed and deleted rows over the committed ``tables``."""

    def __init__(self, tables: MemoryTables) -> None:
        self.tables = tables
        self._staged: dict[type[SQLModel], dict[Key, SQLModel | None]] = {}
        """Per table, the unit's version of each row it touched (None: deleted)."""
        self._base: dict[tuple[type[SQLModel], Key], SQLModel] = {}
        """The committed version of each row the unit changed, as it read it."""

    def rows(self, model: type[M], where: Callable[[M], bool] | None = None) -> list[M]:
        """The rows of ``model`` this unit sees, in primary key order (not to be changed:
        :meth:`edit` gives a row to change)."""
        merged: dict[Key, SQLModel | None] = {
            **self.tables.table(model),
            **self._staged.get(model, {}),
        }
        found = [merged[k] for k in sorted(merged)]
        return [r for r in found if r is not None and (where is None or where(r))]  # type: ignore[misc]

    def get(self, model: type[M], key: Key) -> M | None:
        """The row of ``model`` with primary key ``key`` this unit sees, if any."""
        staged = self._staged.get(model, {})
        if key in staged:
            return staged[key]  # type: ignore[return-value]
        return self.tables.get(model, key)

    def insert(self, row: M) -> M:
        """Stage a new row (a copy, with its id drawn now); ConcurrentWrite when a unique rule
        refuses it beside what this unit sees. Returns the staged row."""
        model = type(row)
        staged = as_stored(clone(row))
        if "id" in model.model_fields and getattr(staged, "id", None) is None:
            staged.id = self.tables.draw_id(model)  # type: ignore[attr-defined]
        self._refuse_clash(staged)
        self._staged.setdefault(model, {})[key_of(staged)] = staged
        if "id" in model.model_fields:
            row.id = staged.id  # type: ignore[attr-defined]
        return staged

    def edit(self, model: type[M], key: Key) -> M | None:
        """This unit's own copy of a row to change in place (None when it does not see one);
        changes are staged as made, and checked by :meth:`checked` or at commit."""
        staged = self._staged.setdefault(model, {})
        if key in staged:
            return staged[key]  # type: ignore[return-value]
        committed = self.tables.get(model, key)
        if committed is None:
            return None
        self._base[(model, key)] = clone(committed)
        staged[key] = clone(committed)
        return staged[key]  # type: ignore[return-value]

    def replace(self, row: M) -> None:
        """Stage ``row``'s columns as this unit's version of the stored row it was read from;
        KeyError when the unit does not see that row."""
        model = type(row)
        mine = self.edit(model, key_of(row))
        if mine is None:
            raise KeyError(f"{model.__name__} {key_of(row)!r} is not stored")
        for name in model.model_fields:
            setattr(mine, name, getattr(row, name))
        self.checked(mine)

    def checked(self, row: SQLModel) -> None:
        """ConcurrentWrite when a unique rule refuses ``row`` beside what this unit sees."""
        self._refuse_clash(row)

    def delete(self, model: type[M], where: Callable[[M], bool]) -> int:
        """Stage the deletion of the rows of ``model`` matching ``where``; how many."""
        gone = [key_of(r) for r in self.rows(model, where)]
        for key in gone:
            self._staged.setdefault(model, {})[key] = _GONE
        return len(gone)

    def commit(self) -> None:
        """Write the unit's changes; ConcurrentWrite (and nothing written) when a unique rule
        refuses one of its rows beside what is committed now."""
        for model, rows in self._staged.items():
            committed = dict(self.tables.table(model))
            for key in rows:
                committed.pop(key, None)
            for row in rows.values():
                if row is not None and (why := clash(row, committed.values())):
                    raise ConcurrentWrite(why)
                if row is not None:
                    committed[key_of(row)] = row
        for model, rows in self._staged.items():
            for key, row in rows.items():
                self._write(model, key, row)
        self._staged.clear()

    def _write(self, model: type[SQLModel], key: Key, row: SQLModel | None) -> None:
        stored = self.tables.get(model, key)
        if row is None:
            self.tables.table(model).pop(key, None)
        elif (model, key) not in self._base:
            self.tables.insert(row)
        elif stored is not None:  # gone meanwhile: the UPDATE finds no row
            base = self._base[(model, key)]
            for name in model.model_fields:
                if getattr(row, name) != getattr(base, name):
                    setattr(stored, name, getattr(row, name))

    def _refuse_clash(self, row: SQLModel) -> None:
        if why := clash(row, self.rows(type(row))):
            raise ConcurrentWrite(why)
