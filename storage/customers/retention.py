"""Which customers are past the retention period: no purchase and no answer since the cutoff.

They are erased exactly as ``/forget`` erases
(:func:`handlers.customers.forgetting.forget_customer`): personal fields, words and chat links
go; scores stay, anonymised, so the managers' figures do not change.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import exists, func, or_, select

from storage.db import Database
from storage.models import Answer, Customer, OptInState, Purchase


@dataclass(frozen=True)
class RetentionCandidate:
    """A customer due for erasure: internal ids and dates only, never personal data."""

    customer_id: int
    purchases: int
    answers: int


@dataclass
class SweepPlan:
    """What a sweep would erase (``mentorbot privacy sweep --dry-run``)."""

    cutoff: datetime
    candidates: list[RetentionCandidate] = field(default_factory=list)

    @property
    def customer_ids(self) -> list[int]:
        """The internal ids of the customers to erase."""
        return [c.customer_id for c in self.candidates]


def _past_cutoff(cutoff: datetime) -> list[object]:
    """Conditions: created before the cutoff, no purchase or answer on or after it."""
    recent_purchase = exists().where(
        Purchase.customer_id == Customer.id,
        or_(
            Purchase.purchased_at >= cutoff,
            Purchase.created_at >= cutoff,
            Purchase.delivered_at >= cutoff,
        ),
    )
    recent_answer = exists().where(Answer.customer_id == Customer.id, Answer.created_at >= cutoff)
    return [
        Customer.opt_in_state != OptInState.FORGOTTEN,
        Customer.created_at < cutoff,
        ~recent_purchase,
        ~recent_answer,
    ]


async def customers_past_retention(
    db: Database, cutoff: datetime, limit: int, after_id: int = 0
) -> SweepPlan:
    """Up to ``limit`` customers (ids above ``after_id``, in order) whose last purchase and
    answer are older than ``cutoff``, with how many purchases and answers each has."""
    plan = SweepPlan(cutoff)
    async with db.session() as s:
        ids = list(
            (
                await s.execute(
                    select(Customer.id)
                    .where(Customer.id > after_id, *_past_cutoff(cutoff))
                    .order_by(Customer.id)
                    .limit(limit)
                )
            ).scalars()
        )
        if not ids:
            return plan
        purchases = dict(
            (
                await s.execute(
                    select(Purchase.customer_id, func.count())
                    .where(Purchase.customer_id.in_(ids))
                    .group_by(Purchase.customer_id)
                )
            ).all()
        )
        answers = dict(
            (
                await s.execute(
                    select(Answer.customer_id, func.count())
                    .where(Answer.customer_id.in_(ids))
                    .group_by(Answer.customer_id)
                )
            ).all()
        )
    plan.candidates = [
        RetentionCandidate(i, purchases.get(i, 0), answers.get(i, 0)) for i in ids if i is not None
    ]
    return plan
