"""Advocacy queries: asks scheduled once and claimed safely by several workers; with the link,
click, testimonial and credit queries of :mod:`storage.advocacy.links` in one object."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import and_, func, select, update

from storage.advocacy.links import LinkQueries, ThanksContext, insert_for
from storage.customers.preferred import preferred_link_id
from storage.db import Database
from storage.models import AdvocacyAsk, Case, ChannelLink, CheckIn, Customer, Event, Purchase

__all__ = ["AdvocacyQueries", "AskContext", "ThanksContext"]

log = logging.getLogger(__name__)

ASKS = AdvocacyAsk.__table__
WAITING = ("scheduled", "sending")  # not sent yet; "sending" is claimed until its due_at
ANSWERABLE = ("sent", "answered")


@dataclass(frozen=True)
class AskContext:
    """An ask with what it takes to send it: the customer, their chat and the product."""

    ask: AdvocacyAsk
    customer: Customer
    chat_id: int | None
    sku: str | None
    product: str | None


class AdvocacyQueries(LinkQueries):
    """Queries on asks (here), tracked links, clicks, testimonials and credits (LinkQueries)."""

    def __init__(self, db: Database) -> None:
        self.db = db

    # --- asks -------------------------------------------------------------------------------

    async def schedule_ask(
        self,
        kind: str,
        dedupe_key: str,
        customer_id: int,
        due_at: datetime,
        checkin_id: int | None = None,
    ) -> bool:
        """Schedule an ask once per ``dedupe_key``; False when it already exists."""
        stmt = (
            insert_for(self.db.dialect, ASKS)
            .values(
                dedupe_key=dedupe_key[:80],
                kind=kind,
                customer_id=customer_id,
                checkin_id=checkin_id,
                status="scheduled",
                due_at=due_at,
                choices=[],
                created_at=due_at,
            )
            .on_conflict_do_nothing(index_elements=[ASKS.c.dedupe_key])
            .returning(ASKS.c.id)
        )
        async with self.db.session() as s:
            inserted = (await s.execute(stmt)).scalar()
        return inserted is not None

    async def asks_of(self, customer_id: int, kind: str) -> list[AdvocacyAsk]:
        """A customer's asks of one kind, oldest first."""
        async with self.db.session() as s:
            rows = await s.execute(
                select(AdvocacyAsk)
                .where(AdvocacyAsk.customer_id == customer_id, AdvocacyAsk.kind == kind)
                .order_by(AdvocacyAsk.id)
            )
        return list(rows.scalars().all())

    async def claim_due_asks(self, now: datetime, limit: int, lease: timedelta) -> list[AskContext]:
        """Claim due asks of customers without an open case, until ``now + lease``.

        On PostgreSQL rows are locked with ``FOR UPDATE SKIP LOCKED`` so two workers never take
        the same ask; on SQLite the write lock is taken first. An ask whose worker died while
        sending ("sending" past its lease) is taken again.
        """
        open_case = select(Case.open_for_customer).where(Case.open_for_customer.is_not(None))
        where = and_(
            ASKS.c.status.in_(WAITING),
            ASKS.c.due_at <= now,
            ASKS.c.customer_id.not_in(open_case),
        )
        async with self.db.session() as s:
            if self.db.dialect == "sqlite":
                await s.execute(update(ASKS).where(ASKS.c.id == -1).values(status="x"))
            pick = select(ASKS.c.id).where(where).order_by(ASKS.c.due_at, ASKS.c.id).limit(limit)
            if self.db.dialect == "postgresql":
                pick = pick.with_for_update(of=ASKS, skip_locked=True)
            ids = [r[0] for r in (await s.execute(pick)).all()]
            if not ids:
                return []
            await s.execute(
                update(ASKS).where(ASKS.c.id.in_(ids)).values(status="sending", due_at=now + lease)
            )
            rows = (
                await s.execute(
                    select(
                        AdvocacyAsk, Customer, ChannelLink.chat_id, Purchase.sku, Purchase.product
                    )
                    .join(Customer, Customer.id == AdvocacyAsk.customer_id)
                    .outerjoin(
                        ChannelLink,
                        ChannelLink.id == preferred_link_id(Customer.id),
                    )
                    .outerjoin(CheckIn, CheckIn.id == AdvocacyAsk.checkin_id)
                    .outerjoin(Purchase, Purchase.id == CheckIn.purchase_id)
                    .where(AdvocacyAsk.id.in_(ids))
                    .order_by(AdvocacyAsk.due_at, AdvocacyAsk.id)
                )
            ).all()
        return [AskContext(r[0], r[1], r[2], r[3], r[4]) for r in rows]

    async def _set_ask(self, ask_id: int, where: Any = None, **values: object) -> bool:
        cond = ASKS.c.id == ask_id if where is None else and_(ASKS.c.id == ask_id, where)
        async with self.db.session() as s:
            result = await s.execute(update(ASKS).where(cond).values(**values))
        return bool(result.rowcount)

    async def reschedule_ask(self, ask_id: int, due_at: datetime) -> None:
        """Put a claimed ask back to wait until ``due_at`` (quiet hours, fatigue, retry)."""
        await self._set_ask(ask_id, status="scheduled", due_at=due_at)

    async def ask_due_now(self, ask_id: int, now: datetime) -> bool:
        """An ask still waiting (for the customer's WhatsApp window) is due at once; False
        when it is no longer waiting (sent, cancelled, being sent)."""
        return await self._set_ask(ask_id, ASKS.c.status == "scheduled", due_at=now)

    async def cancel_ask(self, ask_id: int, reason: str) -> None:
        """Never send this ask (the customer left, or it cannot be delivered)."""
        await self._set_ask(ask_id, status="cancelled")
        async with self.db.session() as s:
            s.add(Event(kind="advocacy.ask_cancelled", data={"ask_id": ask_id, "reason": reason}))

    async def mark_ask_sent(self, ask_id: int, now: datetime) -> None:
        """The ask went out."""
        await self._set_ask(ask_id, status="sent", sent_at=now)

    async def last_ask_sent(self, customer_ids: list[int]) -> dict[int, datetime]:
        """Per customer, when their latest ask went out (survey fatigue counts asks too)."""
        if not customer_ids:
            return {}
        async with self.db.session() as s:
            rows = await s.execute(
                select(ASKS.c.customer_id, func.max(ASKS.c.sent_at))
                .where(ASKS.c.customer_id.in_(customer_ids), ASKS.c.sent_at.is_not(None))
                .group_by(ASKS.c.customer_id)
            )
            return {c: at for c, at in rows.all() if at is not None}

    async def get_ask(self, ask_id: int) -> AdvocacyAsk | None:
        """One ask."""
        async with self.db.session() as s:
            return await s.get(AdvocacyAsk, ask_id)

    async def add_choice(self, ask_id: int, choice: str, now: datetime) -> AdvocacyAsk | None:
        """Record a yes to one offer of an answerable ask; None when the ask is not answerable."""
        async with self.db.session() as s:
            pick = select(AdvocacyAsk).where(
                AdvocacyAsk.id == ask_id, AdvocacyAsk.status.in_(ANSWERABLE)
            )
            if self.db.dialect == "postgresql":
                pick = pick.with_for_update()
            ask = (await s.execute(pick)).scalar()
            if ask is None:
                return None
            choices = list(ask.choices or [])
            if choice not in choices:
                choices.append(choice)
            await s.execute(
                update(ASKS)
                .where(ASKS.c.id == ask_id)
                .values(status="answered", choices=choices, answered_at=ask.answered_at or now)
            )
            ask.choices, ask.status = choices, "answered"
        return ask

    async def decline_ask(self, ask_id: int, now: datetime) -> bool:
        """The customer said no to a sent ask; False when it was not waiting for an answer."""
        return await self._set_ask(
            ask_id, ASKS.c.status == "sent", status="declined", answered_at=now
        )

    async def expire_asks(self, sent_before: datetime) -> int:
        """Ambassador asks sent before ``sent_before`` and never answered count as unanswered."""
        async with self.db.session() as s:
            result = await s.execute(
                update(ASKS)
                .where(
                    ASKS.c.kind == "ambassador",
                    ASKS.c.status == "sent",
                    ASKS.c.sent_at < sent_before,
                )
                .values(status="expired")
            )
        return result.rowcount or 0

    async def set_segment(self, customer_id: int, segment: str) -> None:
        """Mark the customer's segment (an ambassador said yes)."""
        async with self.db.session() as s:
            await s.execute(
                update(Customer).where(Customer.id == customer_id).values(segment=segment)
            )
