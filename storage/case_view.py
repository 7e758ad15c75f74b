"""Everything a case card shows, read in one go: customer, order, the answers, the history."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import func, select

from storage.db import Database
from storage.models import Answer, Case, ChannelLink, CheckIn, Customer, Event, Purchase


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
                answers = list(
                    (
                        await s.execute(
                            select(Answer)
                            .where(Answer.checkin_id == checkin.id)
                            .order_by(Answer.id)
                        )
                    )
                    .scalars()
                    .all()
                )
            else:
                answers = [answer] if answer else []
            purchase = (
                await s.get(Purchase, checkin.purchase_id)
                if checkin and checkin.purchase_id
                else None
            )
            if purchase is None:
                purchase = (
                    await s.execute(
                        select(Purchase)
                        .where(Purchase.customer_id == customer.id)
                        .order_by(Purchase.purchased_at.desc())
                        .limit(1)
                    )
                ).scalar_one_or_none()
            since = (
                await s.execute(
                    select(func.min(Purchase.purchased_at)).where(
                        Purchase.customer_id == customer.id
                    )
                )
            ).scalar_one_or_none()
            shown = {a.id for a in answers}
            earlier = (
                await s.execute(
                    select(Answer)
                    .where(Answer.customer_id == customer.id, Answer.id < (case.answer_id or 0))
                    .order_by(Answer.id.desc())
                    .limit(previous + len(shown))
                )
            ).scalars()
            previous_answers = [a for a in earlier if a.id not in shown][:previous]
            previous_cases = list(
                (
                    await s.execute(
                        select(Case)
                        .where(Case.customer_id == customer.id, Case.id != case.id)
                        .order_by(Case.id.desc())
                        .limit(5)
                    )
                )
                .scalars()
                .all()
            )
            added = (
                await s.execute(
                    select(func.count())
                    .select_from(Event)
                    .where(Event.case_id == case.id, Event.kind == "case.answer_added")
                )
            ).scalar_one()
            chat_id = (
                await s.execute(
                    select(ChannelLink.chat_id).where(
                        ChannelLink.customer_id == customer.id, ChannelLink.chat_id.is_not(None)
                    )
                )
            ).scalar()
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
        """A customer and their Telegram chat (None when not linked or forgotten)."""
        async with self.db.session() as s:
            customer = await s.get(Customer, customer_id)
            if customer is None:
                return None
            chat_id = (
                await s.execute(
                    select(ChannelLink.chat_id).where(
                        ChannelLink.customer_id == customer_id, ChannelLink.chat_id.is_not(None)
                    )
                )
            ).scalar()
            return customer, chat_id
