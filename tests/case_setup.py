"""Opening a case the way the desk does (the handler's decision on a SQL unit of work), for
tests whose subject is what comes after."""

from __future__ import annotations

from datetime import datetime

from handlers.case_rules import CaseOpening, FlaggedAnswer, open_or_join_case
from storage.store import Store
from storage.unit_of_work import SqlUnitOfWork


async def open_case(
    store: Store,
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
