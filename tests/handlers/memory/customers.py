"""The Customers port in memory (:mod:`storage.customers.profiles`, ``chat_links``,
``retention`` and :mod:`storage.desk.customer_history`)."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from storage.customers.retention import RetentionCandidate, SweepPlan
from storage.desk.customer_history import HISTORY_WINDOW
from storage.memory_tables import MemoryTables, clone
from storage.models import (
    AdvocacyAsk,
    Answer,
    Case,
    CaseStatus,
    ChannelLink,
    CheckIn,
    CheckInStatus,
    Customer,
    OptInState,
    Purchase,
    ReferralCredit,
    Testimonial,
    TrackedLink,
    utcnow,
)
from tests.handlers.memory.customer_links import MemoryChatLinks
from tests.handlers.memory.shared import add_event

OPEN_CHECKIN = (CheckInStatus.SCHEDULED, CheckInStatus.SENT, CheckInStatus.REMINDED)


def _jsonable(value: Any) -> Any:
    if isinstance(value, datetime):
        return value.isoformat()
    if value is None or isinstance(value, str | int | float | bool | list | dict):
        return value
    return str(value)


class MemoryCustomers(MemoryChatLinks):
    """Customers, the chats they are linked in, and what the desk knows of their history."""

    def __init__(self, tables: MemoryTables) -> None:
        self.tables = tables

    async def link_for_token(self, token: str) -> tuple[ChannelLink, Customer] | None:
        """The link row and customer of an opt-in token, if it exists."""
        found = self.tables.rows(ChannelLink, lambda link: link.token == token)
        customer = self.tables.get(Customer, found[0].customer_id) if found else None
        return (clone(found[0]), clone(customer)) if found and customer else None

    async def customer_for_chat(self, channel: str, chat_id: int) -> Customer | None:
        """The customer linked to a chat."""
        found = self.tables.rows(
            ChannelLink, lambda link: link.channel == channel and link.chat_id == chat_id
        )
        customer = self.tables.get(Customer, found[0].customer_id) if found else None
        return clone(customer) if customer else None

    async def set_opt_in_state(self, customer_id: int, state: OptInState, reason: str) -> int:
        """Change a customer's opt-in state; leaving opted-in cancels their open check-ins
        (their claims are left as they are). Returns how many were cancelled."""
        customer = self.tables.get(Customer, customer_id)
        if customer is not None:
            customer.opt_in_state, customer.updated_at = state, utcnow()
        cancelled = 0
        if state != OptInState.OPTED_IN:
            for c in self.tables.rows(
                CheckIn, lambda c: c.customer_id == customer_id and c.status in OPEN_CHECKIN
            ):
                c.status, c.last_error = CheckInStatus.CANCELLED, reason[:500]
                cancelled += 1
        data = {"reason": reason, "checkins_cancelled": cancelled}
        add_event(self.tables, f"customer.{state}", customer_id=customer_id, data=data)
        return cancelled

    async def set_language(self, customer_id: int, language: str) -> None:
        """The language the customer wants to be written to in."""
        customer = self.tables.get(Customer, customer_id)
        if customer is not None:
            customer.language, customer.updated_at = language, utcnow()

    async def export_customer(self, customer_id: int) -> dict[str, Any]:
        """Everything stored about a customer, as JSON-ready data (for /mydata)."""

        def rows(model: Any, skip: tuple[str, ...] = (), column: str = "customer_id") -> list:
            found = self.tables.rows(model, lambda r: getattr(r, column) == customer_id)
            return [
                {k: _jsonable(v) for k, v in r.model_dump().items() if k not in skip} for r in found
            ]

        customer = self.tables.get(Customer, customer_id)
        return {
            "customer": rows(Customer, column="id")[0] if customer else None,
            "chat_links": rows(ChannelLink, skip=("token", "token_expires_at", "token_used_at")),
            "purchases": rows(Purchase),
            "checkins": rows(CheckIn, skip=("claimed_by", "claimed_until")),
            "answers": rows(Answer),
            "cases": rows(Case),
            "review_and_ambassador_asks": rows(AdvocacyAsk),
            "testimonials": rows(Testimonial),
            "links": rows(TrackedLink),
            "referred_purchases": rows(ReferralCredit, column="ambassador_id"),
        }

    async def customer_history(
        self,
        customer_id: int,
        answer: Answer,
        now: datetime,
        window: timedelta = HISTORY_WINDOW,
    ) -> dict[str, Any]:
        """The customer before ``answer``, leaving out ``answer``'s own check-in: an open case
        no answer of that check-in opened, a case resolved within ``window`` before ``now``,
        whether their newest earlier scored answer with a score was a detractor's, and how
        many of their (up to 50 newest) earlier scored answers in the window read negative;
        "earlier" is before ``answer``, by time and then id."""
        since = now - window
        here = answer.checkin_id or None
        opened_here = {a.id for a in self.tables.rows(Answer, lambda a: a.checkin_id == here)}
        open_case = any(
            c.open_for_customer == customer_id
            and (here is None or c.answer_id is None or c.answer_id not in opened_here)
            for c in self.tables.rows(Case)
        )
        recent_case = any(
            c.customer_id == customer_id
            and c.status == CaseStatus.RESOLVED
            and c.resolved_at is not None
            and c.resolved_at >= since
            for c in self.tables.rows(Case)
        )
        earlier = self.tables.rows(
            Answer,
            lambda a: (
                a.customer_id == customer_id
                and a.scoring_status == "scored"
                and a.created_at >= since
                and (answer.id is None or a.id != answer.id)
                and _before(a, answer)
                and (here is None or a.checkin_id is None or a.checkin_id != here)
            ),
        )
        newest = sorted(earlier, key=lambda a: a.id or 0, reverse=True)[:50]
        last_scored = next((a for a in newest if a.score is not None and a.segment), None)
        return {
            "open_case": open_case,
            "recent_case": recent_case,
            "last_detractor": bool(last_scored and last_scored.segment == "detractor"),
            "recent_complaints": sum(1 for a in newest if a.sentiment == "negative"),
        }

    async def past_retention(self, cutoff: datetime, limit: int, after: int) -> SweepPlan:
        """Up to ``limit`` customers (ids above ``after``, in order), not forgotten, created
        before ``cutoff``, with no purchase (bought, stored or delivered) or answer on or
        after it; with how many purchases and answers each has."""

        def recent(p: Purchase) -> bool:
            times = (p.purchased_at, p.created_at, p.delivered_at)
            return any(t is not None and t >= cutoff for t in times)

        def past(c: Customer) -> bool:
            cid = c.id
            return (
                (c.id or 0) > after
                and c.opt_in_state != OptInState.FORGOTTEN
                and c.created_at < cutoff
                and not self.tables.rows(Purchase, lambda p: p.customer_id == cid and recent(p))
                and not self.tables.rows(
                    Answer, lambda a: a.customer_id == cid and a.created_at >= cutoff
                )
            )

        plan = SweepPlan(cutoff)
        for c in self.tables.rows(Customer, past)[:limit]:
            purchases = [p for p in self.tables.rows(Purchase) if p.customer_id == c.id]
            answers = [a for a in self.tables.rows(Answer) if a.customer_id == c.id]
            plan.candidates.append(RetentionCandidate(c.id or 0, len(purchases), len(answers)))
        return plan


def _before(other: Answer, answer: Answer) -> bool:
    """``other`` was given before ``answer``: by time, then by id (as storage orders them)."""
    if answer.created_at is None:
        return True
    if other.created_at != answer.created_at:
        return other.created_at < answer.created_at
    return answer.id is None or (other.id or 0) < answer.id
