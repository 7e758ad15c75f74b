"""Forgetting a customer: what /forget and the retention sweep decide, in one unit of work.

Their personal data is erased (scores stay for the aggregates, anonymised). Their open case,
if any, is closed as not an issue by the customer (they can no longer be reached), with a note
in its thread so support knows why, and its card updated.
"""

from __future__ import annotations

from datetime import datetime

from handlers.unit_of_work import DeskPost, UnitOfWorkFactory
from storage.models import CLOSED_BY_FORGET, CaseStatus, Event


async def forget_customer(
    units: UnitOfWorkFactory, customer_id: int, case_note: str | None, now: datetime
) -> int | None:
    """Erase the customer's personal data and close their open case; the case's id, if any."""
    async with units() as uow:
        case = await uow.cases.open_case_of(customer_id)
        if case is not None:
            case.status, case.closed_by, case.resolved_at = (
                CaseStatus.NOT_AN_ISSUE,
                CLOSED_BY_FORGET,
                now,
            )
            case.open_for_customer = None
            await uow.cases.save(case)
            await uow.audit.record(
                Event(
                    kind=f"case.{CaseStatus.NOT_AN_ISSUE}",
                    at=now,
                    actor=CLOSED_BY_FORGET,
                    customer_id=customer_id,
                    case_id=case.id,
                    data={},
                )
            )
            await uow.desk_posts.queue(DeskPost("card_update", now, case_id=case.id))
            if case_note:
                await uow.desk_posts.queue(DeskPost("thread", now, case_id=case.id, text=case_note))
        await uow.customers.erase(customer_id, now)
        return case.id if case is not None else None
