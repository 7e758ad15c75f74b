"""Everything a case card shows, read in one go: customer, order, the answers, the history."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import bindparam, func, select

from storage.customers.preferred import preferred_link_id
from storage.db import Database
from storage.models import (
    Answer,
    Case,
    ChannelLink,
    CheckIn,
    Customer,
    OutboxMessage,
    OutboxStatus,
    Purchase,
)


@dataclass(frozen=True)
class CaseView:
    """A case with what support needs to act on it without looking anything up."""

    case: Case
    customer: Customer
    customer_since: datetime | None
    purchase: Purchase | None
    touchpoint: str | None
    answers: list[Answer]
    """All answers of the check-in that opened the case (score and words), or the one answer."""
    previous_answers: list[Answer] = field(default_factory=list)
    previous_cases: list[Case] = field(default_factory=list)
    added_answers: int = 0
    chat_id: int | None = None


# Built once: every case card reads all of them, and building a statement costs more than
# running it (a card's reads took 11 statements built anew each time).
_ANSWERS_OF_CHECKIN = (
    select(Answer).where(Answer.checkin_id == bindparam("checkin_id")).order_by(Answer.id)
)
_LATEST_PURCHASE = (
    select(Purchase)
    .where(Purchase.customer_id == bindparam("customer_id"))
    .order_by(Purchase.purchased_at.desc(), Purchase.id.desc())  # a tie: the later order
    .limit(1)
)
_CUSTOMER_SINCE = select(func.min(Purchase.purchased_at)).where(
    Purchase.customer_id == bindparam("customer_id")
)
_EARLIER_ANSWERS = (
    select(Answer)
    .where(Answer.customer_id == bindparam("customer_id"), Answer.id < bindparam("before"))
    .order_by(Answer.id.desc())
    .limit(bindparam("limit"))
)
_OTHER_CASES = (
    select(Case)
    .where(Case.customer_id == bindparam("customer_id"), Case.id != bindparam("case_id"))
    .order_by(Case.id.desc())
    .limit(5)
)
# Later answers posted in the case's thread (one outbox post each); answers of the case's own
# check-in join the card itself and are not counted here.
_ANSWERS_ADDED = (
    select(func.count())
    .select_from(OutboxMessage)
    .where(
        OutboxMessage.case_id == bindparam("case_id"),
        OutboxMessage.kind == "case_answer",
        OutboxMessage.status != OutboxStatus.FAILED,
    )
)
# The customer's preferred chat: the channel they used last (storage/customers/preferred.py).
_CHAT_OF = select(ChannelLink.chat_id).where(
    ChannelLink.id == preferred_link_id(bindparam("customer_id"))
)


class CaseViewQueries:
    """Reads for case cards and for relaying to the customer."""

    db: Database

    async def case_view(self, case_id: int, previous: int = 5) -> CaseView | None:
        """The case with its customer, order, answers and history (``previous`` answers)."""
        async with self.db.session() as s:
            case = await s.get(Case, case_id)
            if case is None:
                return None
            customer = await s.get(Customer, case.customer_id)
            assert customer is not None
            answer = await s.get(Answer, case.answer_id) if case.answer_id else None
            checkin = (
                await s.get(CheckIn, answer.checkin_id) if answer and answer.checkin_id else None
            )
            if checkin is not None:
                found = await s.execute(_ANSWERS_OF_CHECKIN, {"checkin_id": checkin.id})
                answers = list(found.scalars().all())
            else:
                answers = [answer] if answer else []
            purchase = (
                await s.get(Purchase, checkin.purchase_id)
                if checkin and checkin.purchase_id
                else None
            )
            of_customer = {"customer_id": customer.id}
            if purchase is None:
                purchase = (await s.execute(_LATEST_PURCHASE, of_customer)).scalar_one_or_none()
            since = (await s.execute(_CUSTOMER_SINCE, of_customer)).scalar_one_or_none()
            shown = {a.id for a in answers}
            earlier = await s.execute(
                _EARLIER_ANSWERS,
                {**of_customer, "before": case.answer_id or 0, "limit": previous + len(shown)},
            )
            previous_answers = [a for a in earlier.scalars() if a.id not in shown][:previous]
            of_case = {**of_customer, "case_id": case.id}
            previous_cases = list((await s.execute(_OTHER_CASES, of_case)).scalars().all())
            added = (await s.execute(_ANSWERS_ADDED, {"case_id": case.id})).scalar_one()
            chat_id = (await s.execute(_CHAT_OF, of_customer)).scalar()
        return CaseView(
            case=case,
            customer=customer,
            customer_since=since,
            purchase=purchase,
            touchpoint=checkin.touchpoint if checkin else None,
            answers=answers,
            previous_answers=previous_answers,
            previous_cases=previous_cases,
            added_answers=added,
            chat_id=chat_id,
        )

    async def answer_with_checkin(self, answer_id: int) -> tuple[Answer, CheckIn | None] | None:
        """An answer and the check-in it belongs to (None for words sent outside a check-in)."""
        async with self.db.session() as s:
            answer = await s.get(Answer, answer_id)
            if answer is None:
                return None
            checkin = await s.get(CheckIn, answer.checkin_id) if answer.checkin_id else None
            return answer, checkin

    async def customer_chat(self, customer_id: int) -> tuple[Customer, int | None] | None:
        """A customer and their preferred chat (None when not linked or forgotten)."""
        async with self.db.session() as s:
            customer = await s.get(Customer, customer_id)
            if customer is None:
                return None
            chat_id = (await s.execute(_CHAT_OF, {"customer_id": customer_id})).scalar()
            return customer, chat_id
