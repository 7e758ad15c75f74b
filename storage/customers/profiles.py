"""Customers and their chat links: opt-in, opt-out, language, data export and erasure."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import delete, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from storage.db import Database
from storage.models import (
    AdvocacyAsk,
    Answer,
    Case,
    ChannelLink,
    CheckIn,
    CheckInStatus,
    ConversationState,
    Customer,
    CustomerMessage,
    Event,
    OptInState,
    OutboxMessage,
    OutboxStatus,
    Purchase,
    ReferralCredit,
    Testimonial,
    TrackedLink,
    utcnow,
)

OPEN_CHECKIN = (CheckInStatus.SCHEDULED, CheckInStatus.SENT, CheckInStatus.REMINDED)


class CustomerQueries:
    """Queries on customers and their channel links."""

    db: Database

    async def link_for_token(self, token: str) -> tuple[ChannelLink, Customer] | None:
        """The link row and customer of an opt-in token, if it exists."""
        async with self.db.session() as s:
            row = (
                await s.execute(
                    select(ChannelLink, Customer)
                    .join(Customer, Customer.id == ChannelLink.customer_id)
                    .where(ChannelLink.token == token)
                )
            ).first()
        return (row[0], row[1]) if row else None

    async def customer_for_chat(self, channel: str, chat_id: int) -> Customer | None:
        """The customer linked to a chat."""
        async with self.db.session() as s:
            return (
                await s.execute(
                    select(Customer)
                    .join(ChannelLink, ChannelLink.customer_id == Customer.id)
                    .where(ChannelLink.channel == channel, ChannelLink.chat_id == chat_id)
                )
            ).scalar()

    async def set_opt_in_state(self, customer_id: int, state: OptInState, reason: str) -> int:
        """Change a customer's opt-in state; leaving opted-in cancels their open check-ins.

        Returns the number of check-ins cancelled.
        """
        async with self.db.session() as s:
            await s.execute(
                update(Customer)
                .where(Customer.id == customer_id)
                .values(opt_in_state=state, updated_at=utcnow())
            )
            cancelled = 0
            if state != OptInState.OPTED_IN:
                result = await s.execute(
                    update(CheckIn)
                    .where(CheckIn.customer_id == customer_id, CheckIn.status.in_(OPEN_CHECKIN))
                    .values(status=CheckInStatus.CANCELLED, last_error=reason[:500])
                )
                cancelled = result.rowcount or 0
            s.add(
                Event(
                    kind=f"customer.{state}",
                    customer_id=customer_id,
                    data={"reason": reason, "checkins_cancelled": cancelled},
                )
            )
        return cancelled

    async def set_language(self, customer_id: int, language: str) -> None:
        """The language the customer wants to be written to in."""
        async with self.db.session() as s:
            await s.execute(
                update(Customer)
                .where(Customer.id == customer_id)
                .values(language=language, updated_at=utcnow())
            )

    async def get_customer(self, customer_id: int) -> Customer | None:
        """One customer."""
        async with self.db.session() as s:
            return await s.get(Customer, customer_id)

    async def export_customer(self, customer_id: int) -> dict[str, Any]:
        """Everything stored about a customer, as JSON-ready data (for /mydata)."""

        def rows(objs: Any, skip: tuple[str, ...] = ()) -> list[dict[str, Any]]:
            return [
                {k: _jsonable(v) for k, v in o.model_dump().items() if k not in skip} for o in objs
            ]

        async with self.db.session() as s:
            customer = await s.get(Customer, customer_id)
            q = lambda m: select(m).where(m.customer_id == customer_id)  # noqa: E731
            purchases = (await s.execute(q(Purchase))).scalars().all()
            checkins = (await s.execute(q(CheckIn))).scalars().all()
            answers = (await s.execute(q(Answer))).scalars().all()
            cases = (await s.execute(q(Case))).scalars().all()
            links = (await s.execute(q(ChannelLink))).scalars().all()
            asks = (await s.execute(q(AdvocacyAsk))).scalars().all()
            testimonials = (await s.execute(q(Testimonial))).scalars().all()
            shared = (await s.execute(q(TrackedLink))).scalars().all()
            credits = (
                (
                    await s.execute(
                        select(ReferralCredit).where(ReferralCredit.ambassador_id == customer_id)
                    )
                )
                .scalars()
                .all()
            )
        return {
            "customer": rows([customer])[0] if customer else None,
            "chat_links": rows(links, skip=("token", "token_expires_at", "token_used_at")),
            "purchases": rows(purchases),
            "checkins": rows(checkins, skip=("claimed_by", "claimed_until")),
            "answers": rows(answers),
            "cases": rows(cases),
            "review_and_ambassador_asks": rows(asks),
            "testimonials": rows(testimonials),
            "links": rows(shared),
            "referred_purchases": rows(credits),
        }


async def erase_customer(s: AsyncSession, customer_id: int, now: datetime) -> None:
    """Erase a customer's personal data in the session's transaction; scores stay, anonymised.

    Their case is not touched here: whether it closes is the handler's decision
    (:mod:`handlers.customers.forgetting`).
    """
    await s.execute(
        update(Customer)
        .where(Customer.id == customer_id)
        .values(
            name=None,
            email=None,
            phone=None,
            postcode=None,
            opt_in_state=OptInState.FORGOTTEN,
            consent_checkins=False,
            consent_marketing=False,
            updated_at=now,
        )
    )
    await s.execute(
        update(Answer)
        .where(Answer.customer_id == customer_id)
        .values(text=None, analysis=None, raw_update_id=None, attachment=None)
    )
    await s.execute(
        update(ChannelLink)
        .where(ChannelLink.customer_id == customer_id)
        .values(chat_id=None, user_id=None)
    )
    await s.execute(
        update(CheckIn)
        .where(CheckIn.customer_id == customer_id, CheckIn.status.in_(OPEN_CHECKIN))
        .values(status=CheckInStatus.CANCELLED, last_error="forgotten")
    )
    await s.execute(
        update(Case)
        .where(Case.customer_id == customer_id)
        .values(resolution_note=None, customer_note=None)  # the note greets them by name
    )
    await s.execute(update(Event).where(Event.customer_id == customer_id).values(data={}))
    # Advocacy: their quotable words go, their referral links stop working.
    await s.execute(delete(Testimonial).where(Testimonial.customer_id == customer_id))
    await s.execute(delete(TrackedLink).where(TrackedLink.customer_id == customer_id))
    await s.execute(
        update(AdvocacyAsk)
        .where(
            AdvocacyAsk.customer_id == customer_id,
            AdvocacyAsk.status.in_(("scheduled", "sending")),
        )
        .values(status="cancelled")
    )
    await _erase_delivered_messages(s, customer_id)
    s.add(Event(kind="customer.forgotten", at=now, customer_id=customer_id, data={}))
    await s.execute(
        delete(ConversationState).where(
            ConversationState.checkin_id.in_(
                select(CheckIn.id).where(CheckIn.customer_id == customer_id)
            )
        )
    )


async def _erase_delivered_messages(s: AsyncSession, customer_id: int) -> None:
    """The words of messages already delivered: greetings that named the customer, and the
    desk posts (cards, relayed words) of their cases. Pending ones still go out."""
    await s.execute(
        update(CustomerMessage)
        .where(
            CustomerMessage.customer_id == customer_id,
            CustomerMessage.status != OutboxStatus.PENDING,
        )
        .values(text="", buttons=[])
    )
    await s.execute(
        update(OutboxMessage)
        .where(
            OutboxMessage.case_id.in_(select(Case.id).where(Case.customer_id == customer_id)),
            OutboxMessage.status != OutboxStatus.PENDING,
        )
        .values(text=None, payload={})
    )


def _jsonable(value: Any) -> Any:
    if isinstance(value, datetime):
        return value.isoformat()
    if value is None or isinstance(value, str | int | float | bool | list | dict):
        return value
    return str(value)
