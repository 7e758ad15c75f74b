"""Support cases: opened from flagged answers, claimed, resolved; every change queues a card update.

Each change and the outbox post announcing it are written in one transaction, so the desk
never misses a change and a case never exists without its card on the way.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import func, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from storage.db import Database
from storage.desk.outbox import enqueue_in
from storage.models import Answer, Case, CaseStatus, Event, OutboxMessage

log = logging.getLogger(__name__)

OPEN_CASE = (CaseStatus.OPEN, CaseStatus.CLAIMED, CaseStatus.WAITING_ON_CUSTOMER)
CLOSED_CASE = (CaseStatus.RESOLVED, CaseStatus.NOT_AN_ISSUE)
THREAD_FILE = "thread_file"
"""Outbox kind: a file a customer sent, to be fetched from their channel and shared in the
case's thread (its payload names the file)."""


@dataclass(frozen=True)
class ClaimResult:
    """The outcome of a Claim: whether this person got it, and who owns the case now."""

    claimed: bool
    owner: str | None
    status: str


class CaseQueries:
    """Queries on support cases."""

    db: Database

    async def get_case(self, case_id: int) -> Case | None:
        """One case by id."""
        async with self.db.session() as s:
            return await s.get(Case, case_id)

    async def case_for_thread(self, channel: str, thread_ts: str) -> Case | None:
        """The case whose card is the message ``thread_ts`` in ``channel``."""
        async with self.db.session() as s:
            return (
                await s.execute(
                    select(Case).where(Case.slack_channel == channel, Case.slack_ts == thread_ts)
                )
            ).scalar_one_or_none()

    async def open_case_of(self, customer_id: int) -> Case | None:
        """The customer's open case, if any."""
        async with self.db.session() as s:
            return (
                await s.execute(select(Case).where(Case.open_for_customer == customer_id))
            ).scalar_one_or_none()

    async def case_touched_by(
        self, customer_id: int, *, checkin_id: int | None = None, answer_id: int | None = None
    ) -> Case | None:
        """The customer's open case if an answer of check-in ``checkin_id`` (or the answer
        ``answer_id``) opened it or was added to it; else None."""
        async with self.db.session() as s:
            case = (
                await s.execute(select(Case).where(Case.open_for_customer == customer_id))
            ).scalar_one_or_none()
            if case is None:
                return None
            if checkin_id is not None:
                found = await s.execute(select(Answer.id).where(Answer.checkin_id == checkin_id))
                ids = set(found.scalars())
            else:
                ids = {answer_id} if answer_id is not None else set()
            if case.answer_id in ids:
                return case
            added = await s.execute(
                select(Event.id).where(
                    Event.case_id == case.id,
                    Event.kind == "case.answer_added",
                    Event.actor.in_([f"answer:{i}" for i in ids]),
                )
            )
            return case if ids and added.first() is not None else None

    async def claim_case(self, case_id: int, staff_id: str, now: datetime) -> ClaimResult:
        """Give an open, unowned case to ``staff_id``; a second claim learns who has it."""
        async with self.db.session() as s:
            won = await s.execute(
                update(Case)
                .where(Case.id == case_id, Case.owner.is_(None), Case.status == CaseStatus.OPEN)
                .values(owner=staff_id, status=CaseStatus.CLAIMED, claimed_at=now)
            )
            case = await s.get(Case, case_id)
            if case is None:
                return ClaimResult(False, None, "missing")
            if won.rowcount:  # type: ignore[attr-defined]
                s.add(case_event("case.claimed", now, case, staff_id))
                enqueue_in(s, "card_update", now, case_id=case_id)
                return ClaimResult(True, staff_id, case.status)
            return ClaimResult(False, case.owner, case.status)

    async def take_over_case(self, case_id: int, staff_id: str, now: datetime) -> ClaimResult:
        """Give an open case to ``staff_id`` whoever has it; ``owner`` is who had it before.

        ``claimed`` is False when the case is closed or already theirs.
        """
        async with self.db.session() as s:
            case = await s.get(Case, case_id, with_for_update=self.db.dialect == "postgresql")
            if case is None:
                return ClaimResult(False, None, "missing")
            if case.status not in OPEN_CASE or case.owner == staff_id:
                return ClaimResult(False, case.owner, case.status)
            previous = case.owner
            case.owner = staff_id
            if case.status == CaseStatus.OPEN:
                case.status, case.claimed_at = CaseStatus.CLAIMED, now
            s.add(case_event("case.taken_over", now, case, staff_id, {"from": previous}))
            enqueue_in(s, "card_update", now, case_id=case_id)
            return ClaimResult(True, previous, case.status)

    async def note_staff_reply(self, case_id: int, staff_id: str, now: datetime) -> Case | None:
        """A staff reply went to the customer: the case waits on them (claimed if it was not)."""
        async with self.db.session() as s:
            case = await s.get(Case, case_id)
            if case is None or case.status not in OPEN_CASE:
                return case
            if case.owner is None:
                case.owner, case.claimed_at = staff_id, now
            case.status = CaseStatus.WAITING_ON_CUSTOMER
            s.add(case_event("case.replied", now, case, staff_id))
            enqueue_in(s, "card_update", now, case_id=case_id)
            return case

    async def files_relayed_since(self, case_id: int, since: datetime) -> int:
        """How many ``thread_file`` posts were queued for the case since ``since``."""
        async with self.db.reading() as s:
            found = await s.execute(
                select(func.count())
                .select_from(OutboxMessage)
                .where(
                    OutboxMessage.case_id == case_id,
                    OutboxMessage.kind == THREAD_FILE,
                    OutboxMessage.created_at >= since,
                )
            )
            return int(found.scalar_one())

    async def note_customer_message(
        self, case_id: int, text: str, now: datetime, file: dict[str, Any] | None = None
    ) -> None:
        """The customer wrote while the case is open: relay it to the thread, back to staff.
        ``file``: the file they sent follows ``text`` as a ``thread_file`` post."""
        async with self.db.session() as s:
            case = await s.get(Case, case_id)
            if case is None:
                return
            enqueue_in(s, "thread", now, case_id=case_id, text=text)
            if file is not None:
                enqueue_in(s, THREAD_FILE, now, case_id=case_id, payload=file)
            if case.status == CaseStatus.WAITING_ON_CUSTOMER:
                case.status = CaseStatus.CLAIMED if case.owner else CaseStatus.OPEN
                enqueue_in(s, "card_update", now, case_id=case_id)


def close_in(
    s: AsyncSession,
    case: Case,
    status: CaseStatus,
    closed_by: str,
    now: datetime,
    data: dict[str, Any] | None = None,
) -> None:
    """Close ``case`` in the session's transaction: its status, who closed it and when, the
    audit event, and the card update that shows it."""
    case.status, case.closed_by, case.resolved_at = status, closed_by, now
    case.open_for_customer = None
    s.add(case_event(f"case.{status}", now, case, closed_by, data))
    enqueue_in(s, "card_update", now, case_id=case.id)


def case_event(
    kind: str, now: datetime, case: Case, actor: str | None, data: dict[str, Any] | None = None
) -> Event:
    """An audit event about ``case``."""
    return Event(
        kind=kind,
        at=now,
        actor=actor,
        customer_id=case.customer_id,
        case_id=case.id,
        data=data or {},
    )
