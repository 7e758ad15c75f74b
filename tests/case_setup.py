"""Opening a case and forgetting a customer the way the handlers do (their decisions on a SQL
unit of work), for tests whose subject is what comes after."""

from __future__ import annotations

from datetime import datetime

from handlers.customers.forgetting import forget_customer
from handlers.desk.case_rules import CaseOpening, FlaggedAnswer, open_or_join_case
from storage.repositories import Repositories
from storage.unit_of_work import SqlUnitOfWork


async def open_case(
    store: Repositories,
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
    """Open (or join) a case for a flagged answer through the handler's rule."""
    flagged = FlaggedAnswer(
        answer_id, customer_id, priority, reasons, now, respond_by, channel, checkin_id
    )
    return await open_or_join_case(lambda: SqlUnitOfWork(store.db), flagged)


async def forget(store: Repositories, customer_id: int, now: datetime | None = None) -> None:
    """Forget a customer the way /forget does (no case note)."""
    when = now or datetime.now().astimezone()
    await forget_customer(lambda: SqlUnitOfWork(store.db), customer_id, None, when)
