"""The unit of work on SQLite and PostgreSQL: one session, one transaction, the repositories on it.

See :mod:`handlers.unit_of_work` for the ports. The database's unique indexes are what refuse
a second writer (one case per answer, one open case per customer); an integrity error becomes
:class:`~storage.errors.ConcurrentWrite`, and a lost database
:class:`~storage.db.StorageUnavailable` (from :meth:`Database.session`).
"""

from __future__ import annotations

from contextlib import AsyncExitStack
from datetime import datetime
from typing import Self

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from storage.customers.profiles import erase_customer
from storage.db import Database
from storage.desk.outbox import enqueue_in
from storage.errors import ConcurrentWrite
from storage.intake.writes import SqlPurchases
from storage.models import Answer, Case, Event
from storage.records import AnswerFacts, DeskPost


class SqlCases:
    """:class:`handlers.unit_of_work.CaseRepository` on a session."""

    def __init__(self, session: AsyncSession) -> None:
        self._s = session

    async def get(self, case_id: int) -> Case | None:
        """One case by id."""
        return await self._s.get(Case, case_id)

    async def open_case_of(self, customer_id: int) -> Case | None:
        """The customer's open case, if any."""
        found = await self._s.execute(select(Case).where(Case.open_for_customer == customer_id))
        return found.scalar_one_or_none()

    async def opened_by(self, answer_id: int) -> int | None:
        """The id of the case this answer opened."""
        found = await self._s.execute(select(Case.id).where(Case.answer_id == answer_id))
        return found.scalar_one_or_none()

    async def joined_by(self, customer_id: int, answer_id: int) -> int | None:
        """The id of the case this answer was added to."""
        found = await self._s.execute(
            select(Event.case_id).where(
                Event.kind == "case.answer_added",
                Event.customer_id == customer_id,
                Event.actor == f"answer:{answer_id}",
            )
        )
        return found.scalars().first()

    async def add(self, case: Case) -> int:
        """Store a new case; ConcurrentWrite when a unique index refuses it."""
        await self._write(case)
        return case.id or 0

    async def save(self, case: Case) -> None:
        """Changes to a case read through this session are tracked; flush them now."""
        await self._write(case)

    async def _write(self, case: Case) -> None:
        # Flushing now, not at commit, lets the unique indexes refuse a second writer here.
        self._s.add(case)
        try:
            await self._s.flush()
        except IntegrityError as exc:
            raise ConcurrentWrite(str(exc.orig)) from exc


class SqlCustomers:
    """:class:`handlers.unit_of_work.CustomerRepository` on a session."""

    def __init__(self, session: AsyncSession) -> None:
        self._s = session

    async def erase(self, customer_id: int, now: datetime) -> None:
        """Erase the customer's personal data in this transaction."""
        await erase_customer(self._s, customer_id, now)


class SqlAnswerFacts:
    """:class:`handlers.unit_of_work.AnswerFactsReader` on a session."""

    def __init__(self, session: AsyncSession) -> None:
        self._s = session

    async def facts(self, answer_id: int) -> AnswerFacts | None:
        """Who gave the answer, in which check-in and segment."""
        row = (
            await self._s.execute(
                select(Answer.customer_id, Answer.checkin_id, Answer.segment).where(
                    Answer.id == answer_id
                )
            )
        ).first()
        if row is None:
            return None
        return AnswerFacts(answer_id, row.customer_id, row.checkin_id, row.segment)


class SqlAudit:
    """:class:`handlers.unit_of_work.AuditLog` on a session."""

    def __init__(self, session: AsyncSession) -> None:
        self._s = session

    async def record(self, event: Event) -> None:
        """Add one event to the transaction."""
        self._s.add(event)


class SqlDeskPosts:
    """:class:`handlers.unit_of_work.DeskPosts` on a session: rows of the desk's outbox."""

    def __init__(self, session: AsyncSession) -> None:
        self._s = session

    async def queue(self, post: DeskPost) -> None:
        """Add the post to the outbox in this transaction."""
        enqueue_in(
            self._s,
            post.kind,
            post.at,
            case_id=post.case_id,
            channel=post.channel,
            text=post.text,
            payload=dict(post.payload),
        )


class SqlUnitOfWork:
    """A unit of work on one database session; build one per decision."""

    cases: SqlCases
    customers: SqlCustomers
    purchases: SqlPurchases
    answers: SqlAnswerFacts
    audit: SqlAudit
    desk_posts: SqlDeskPosts

    def __init__(self, db: Database) -> None:
        self._db = db
        self._stack = AsyncExitStack()

    async def __aenter__(self) -> Self:
        """Open the session and begin its transaction."""
        session = await self._stack.enter_async_context(self._db.session())
        self.cases = SqlCases(session)
        self.customers = SqlCustomers(session)
        self.purchases = SqlPurchases(session)
        self.answers = SqlAnswerFacts(session)
        self.audit = SqlAudit(session)
        self.desk_posts = SqlDeskPosts(session)
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        """Commit (or roll back when the block raised); a refused commit is ConcurrentWrite."""
        try:
            await self._stack.__aexit__(*exc_info)  # type: ignore[arg-type]
        except IntegrityError as exc:
            raise ConcurrentWrite(str(exc.orig)) from exc
