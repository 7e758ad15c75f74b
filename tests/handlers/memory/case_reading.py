"""Reading a case in memory: its card's view and what relaying to the customer needs
(:mod:`storage.desk.case_view`)."""

from __future__ import annotations

from storage.desk.case_view import CaseView
from storage.memory_tables import MemoryTables, clone
from storage.models import Answer, Case, CheckIn, Customer, OutboxMessage, OutboxStatus, Purchase
from tests.handlers.memory.shared import preferred_chat


class MemoryCaseReading:
    """Reads for case cards and for relaying to the customer."""

    tables: MemoryTables

    async def case_view(self, case_id: int, previous: int = 5) -> CaseView | None:
        """The case with its customer, order, answers and history: the answers of the check-in
        that opened it (or the one answer), the purchase of that check-in (else the customer's
        latest), up to ``previous`` earlier answers, up to five other cases (newest first),
        the answers added in its thread, and the customer's preferred chat."""
        t = self.tables
        case = t.get(Case, case_id)
        if case is None:
            return None
        customer = t.get(Customer, case.customer_id)
        assert customer is not None
        answer = t.get(Answer, case.answer_id) if case.answer_id else None
        checkin = t.get(CheckIn, answer.checkin_id) if answer and answer.checkin_id else None
        if checkin is not None:
            answers = t.rows(Answer, lambda a: a.checkin_id == checkin.id)
        else:
            answers = [answer] if answer else []
        purchase = t.get(Purchase, checkin.purchase_id) if checkin and checkin.purchase_id else None
        bought = t.rows(Purchase, lambda p: p.customer_id == customer.id)
        if purchase is None and bought:
            purchase = max(bought, key=lambda p: (p.purchased_at, p.id or 0))
        shown = {a.id for a in answers}
        before = case.answer_id or 0
        earlier = t.rows(Answer, lambda a: a.customer_id == customer.id and (a.id or 0) < before)
        earlier = sorted(earlier, key=lambda a: a.id or 0, reverse=True)[: previous + len(shown)]
        others = t.rows(Case, lambda c: c.customer_id == customer.id and c.id != case.id)
        added = t.rows(
            OutboxMessage,
            lambda m: (
                m.case_id == case.id and m.kind == "case_answer" and m.status != OutboxStatus.FAILED
            ),
        )
        return CaseView(
            case=clone(case),
            customer=clone(customer),
            customer_since=min((p.purchased_at for p in bought), default=None),
            purchase=clone(purchase) if purchase else None,
            touchpoint=checkin.touchpoint if checkin else None,
            answers=[clone(a) for a in answers],
            previous_answers=[clone(a) for a in earlier if a.id not in shown][:previous],
            previous_cases=[clone(c) for c in sorted(others, key=lambda c: c.id or 0)[::-1][:5]],
            added_answers=len(added),
            chat_id=preferred_chat(t, customer.id or 0),
        )

    async def answer_with_checkin(self, answer_id: int) -> tuple[Answer, CheckIn | None] | None:
        """An answer and the check-in it belongs to (None for words sent outside a check-in)."""
        answer = self.tables.get(Answer, answer_id)
        if answer is None:
            return None
        checkin = self.tables.get(CheckIn, answer.checkin_id) if answer.checkin_id else None
        return clone(answer), clone(checkin) if checkin else None

    async def customer_chat(self, customer_id: int) -> tuple[Customer, int | None] | None:
        """A customer and their preferred chat (None when not linked or forgotten)."""
        customer = self.tables.get(Customer, customer_id)
        if customer is None:
            return None
        return clone(customer), preferred_chat(self.tables, customer_id)
