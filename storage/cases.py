"""Support cases: opened from flagged answers, claimed, resolved; every change queues a card update.

Each change and the outbox post announcing it are written in one transaction, so the desk
never misses a change and a case never exists without its card on the way.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from storage.db import Database
from storage.models import Answer, Case, CaseStatus, Event
from storage.outbox import enqueue_in

log = logging.getLogger(__name__)

OPEN_CASE = (CaseStatus.OPEN, CaseStatus.CLAIMED, CaseStatus.WAITING_ON_CUSTOMER)
CLOSED_CASE = (CaseStatus.RESOLVED, CaseStatus.NOT_AN_ISSUE)


@dataclass(frozen=True)
class CaseOpening:
    """What became of a flagged answer: a new case, joined to an open one, or already handled."""

    case_id: int
    outcome: str  # "opened", "joined" or "duplicate"


@dataclass(frozen=True)
class ClaimResult:
    """The outcome of a Claim: whether this person got it, and who owns the case now."""

    claimed: bool
    owner: str | None
    status: str


class CaseQueries:
    """Queries on support cases."""

    db: Database

    async def open_case(
        self,
        *,
        answer_id: int,
        customer_id: int,
        priority: str,
        reasons: list[str],
        now: datetime,
        respond_by: datetime | None,
        channel: str | None,
        checkin_id: int | None = None,
    ) -> CaseOpening:
        """Open a case for a flagged answer, or add the answer to the customer's open case.

        A case is never opened twice for one answer, and a customer never has two open cases:
        the database refuses both (unique ``answer_id`` and ``open_for_customer``), so two
        workers racing on the same customer end with one case and one thread post.
        """
        for _ in range(3):
            try:
                return await self._open_case_once(
                    answer_id, customer_id, priority, reasons, now, respond_by, channel, checkin_id
                )
            except IntegrityError:
                log.info("case for answer %s raced with another writer; looking again", answer_id)
        raise RuntimeError(f"could not open a case for answer {answer_id}")

    async def _open_case_once(
        self,
        answer_id: int,
        customer_id: int,
        priority: str,
        reasons: list[str],
        now: datetime,
        respond_by: datetime | None,
        channel: str | None,
        checkin_id: int | None,
    ) -> CaseOpening:
        async with self.db.session() as s:
            done = (
                await s.execute(select(Case.id).where(Case.answer_id == answer_id))
            ).scalar_one_or_none()
            joined = (
                await s.execute(
                    select(Event.case_id).where(
                        Event.kind == "case.answer_added",
                        Event.customer_id == customer_id,
                        Event.actor == f"answer:{answer_id}",
                    )
                )
            ).first()
            if done is not None or joined is not None:
                return CaseOpening(done or (joined[0] if joined else 0), "duplicate")
            open_case = (
                await s.execute(select(Case).where(Case.open_for_customer == customer_id))
            ).scalar_one_or_none()
            if open_case is not None:
                s.add(
                    Event(
                        kind="case.answer_added",
                        at=now,
                        actor=f"answer:{answer_id}",
                        customer_id=customer_id,
                        case_id=open_case.id,
                        data={"answer_id": answer_id, "priority": priority},
                    )
                )
                same_checkin = (
                    checkin_id is not None
                    and checkin_id
                    == (
                        await s.execute(
                            select(Answer.checkin_id).where(Answer.id == open_case.answer_id)
                        )
                    ).scalar_one_or_none()
                )
                raised = _more_urgent(priority, open_case.priority)
                if raised:
                    open_case.priority = priority
                if same_checkin or raised:
                    enqueue_in(s, "card_update", now, case_id=open_case.id)  # the card shows it
                if not same_checkin:
                    enqueue_in(
                        s,
                        "case_answer",
                        now,
                        case_id=open_case.id,
                        payload={"answer_id": answer_id},
                    )
                return CaseOpening(open_case.id or 0, "joined")
            case = Case(
                customer_id=customer_id,
                answer_id=answer_id,
                priority=priority,
                reasons=reasons,
                opened_at=now,
                respond_by=respond_by,
                open_for_customer=customer_id,
                slack_channel=channel,
            )
            s.add(case)
            await s.flush()
            s.add(
                Event(
                    kind="case.opened",
                    at=now,
                    customer_id=customer_id,
                    case_id=case.id,
                    data={"answer_id": answer_id, "priority": priority, "reasons": reasons},
                )
            )
            enqueue_in(s, "case_card", now, case_id=case.id, channel=channel)
            return CaseOpening(case.id or 0, "opened")

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

    async def note_customer_message(self, case_id: int, text: str, now: datetime) -> None:
        """The customer wrote while the case is open: relay it to the thread, back to staff."""
        async with self.db.session() as s:
            case = await s.get(Case, case_id)
            if case is None:
                return
            enqueue_in(s, "thread", now, case_id=case_id, text=text)
            if case.status == CaseStatus.WAITING_ON_CUSTOMER:
                case.status = CaseStatus.CLAIMED if case.owner else CaseStatus.OPEN
                enqueue_in(s, "card_update", now, case_id=case_id)

    async def record_recovery(self, case_id: int, recovered: bool, now: datetime) -> None:
        """Note whether a detractor came back as a promoter after the case."""
        async with self.db.session() as s:
            case = await s.get(Case, case_id)
            if case is None:
                return
            case.recovered = recovered
            s.add(case_event("case.recovery_answered", now, case, None, {"recovered": recovered}))
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


def _more_urgent(new: str, old: str) -> bool:
    order = {"low": 0, "normal": 1, "high": 2, "urgent": 3}
    return order.get(new, 1) > order.get(old, 1)


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
