"""The unit of work on each backend (memory, SQLite, PostgreSQL), with what a test needs beside
it: seeding rows and reading what was committed."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TypeVar

from sqlalchemy import select
from sqlmodel import SQLModel

from handlers.unit_of_work import UnitOfWork, UnitOfWorkFactory
from storage.db import Database
from storage.memory import MemoryUnitOfWork
from storage.memory_tables import MemoryTables
from storage.models import Answer, Customer, Event, OutboxMessage
from storage.records import AnswerFacts
from storage.unit_of_work import SqlUnitOfWork
from tests.stored_rows import seed_rows, stored_rows

M = TypeVar("M", bound=SQLModel)


@dataclass
class UnitBackend:
    """A backend under test: its units, ways to seed rows, and what it committed."""

    name: str
    units: UnitOfWorkFactory
    memory: MemoryTables | None = None
    db: Database | None = None

    async def answer(
        self,
        customer_id: int | None = None,
        checkin_id: int | None = None,
        segment: str | None = None,
    ) -> AnswerFacts:
        """A stored answer (and its customer when ``customer_id`` is None)."""
        if self.memory is not None:
            if customer_id is None:
                customer_id = self.memory.insert(Customer(name="Kim")).id or 0
            row = self.memory.insert(
                Answer(
                    customer_id=customer_id,
                    checkin_id=checkin_id,
                    segment=segment,
                    score=2,
                    question_type="nps",
                )
            )
            return AnswerFacts(row.id or 0, customer_id, checkin_id, segment)
        assert self.db is not None
        async with self.db.session() as s:
            if customer_id is None:
                customer = Customer(name="Kim")
                s.add(customer)
                await s.flush()
                customer_id = customer.id or 0
            row = Answer(
                customer_id=customer_id,
                checkin_id=checkin_id,
                segment=segment,
                score=2,
                question_type="nps",
            )
            s.add(row)
            await s.flush()
            return AnswerFacts(row.id or 0, customer_id, checkin_id, segment)

    async def seed(self, *rows: SQLModel) -> None:
        """Store ``rows`` in order; each gets its id, as an insert gives it."""
        await seed_rows(rows, self.memory, self.db)

    async def rows(self, model: type[M]) -> list[M]:
        """Every committed row of ``model``, in primary key order (copies)."""
        return await stored_rows(model, self.memory, self.db)

    async def posts(self) -> list[tuple[str, int | None]]:
        """The desk posts committed, as (kind, case id), oldest first."""
        if self.memory is not None:
            return [(p.kind, p.case_id) for p in self.memory.rows(OutboxMessage)]
        assert self.db is not None
        async with self.db.session() as s:
            rows = await s.execute(
                select(OutboxMessage.kind, OutboxMessage.case_id).order_by(OutboxMessage.id)
            )
            return [(kind, case_id) for kind, case_id in rows]

    async def event_kinds(self) -> list[str]:
        """The audit events committed, oldest first."""
        if self.memory is not None:
            return [e.kind for e in self.memory.rows(Event)]
        assert self.db is not None
        async with self.db.session() as s:
            return list((await s.execute(select(Event.kind).order_by(Event.id))).scalars())


def memory_units(tables: MemoryTables) -> UnitOfWorkFactory:
    def begin() -> UnitOfWork:
        return MemoryUnitOfWork(tables)

    return begin


def sql_units(db: Database) -> UnitOfWorkFactory:
    def begin() -> UnitOfWork:
        return SqlUnitOfWork(db)

    return begin
