"""Purchase intake's repository on a session: batch reads and writes, no decisions.

Which customer a purchase belongs to and when an opt-in token is renewed are decided in
:mod:`handlers.intake.purchase_rules`; this module finds, inserts and updates rows in batches (one
statement per kind of row), so a batch of 500 purchases costs a handful of round trips.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import insert, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from storage.errors import ConcurrentWrite
from storage.intake.purchases import DeliveryUpdate, NewPurchase
from storage.models import ChannelLink, CheckIn, CheckInStatus, Customer, OptInState, Purchase
from storage.records import NewCustomer, OptInLink

CUSTOMERS = Customer.__table__
PURCHASES = Purchase.__table__
LINKS = ChannelLink.__table__
CHECKINS = CheckIn.__table__


def customer_row(c: NewCustomer, now: datetime) -> dict[str, Any]:
    """A new customer's columns: pending opt-in, no marketing consent yet."""
    return {
        "name": c.name,
        "email": c.email,
        "phone": c.phone,
        "postcode": c.postcode,
        "language": c.language,
        "timezone": c.timezone,
        "opt_in_state": OptInState.PENDING,
        "consent_checkins": c.consent_checkins,
        "consent_marketing": False,
        "created_at": now,
        "updated_at": now,
    }


def purchase_row(p: NewPurchase, customer_id: int, now: datetime) -> dict[str, Any]:
    """A new purchase's columns."""
    return {
        "external_order_id": p.external_order_id,
        "customer_id": customer_id,
        "product": p.product,
        "sku": p.sku,
        "amount": p.amount,
        "currency": p.currency,
        "purchased_at": p.purchased_at,
        "delivered_at": p.delivered_at,
        "journey": p.journey,
        "referral_code": p.referral_code,
        "created_at": now,
    }


def checkin_rows_of(
    p: NewPurchase, customer_id: int, purchase_id: int, now: datetime
) -> list[dict[str, Any]]:
    """The columns of a new purchase's planned check-ins, scheduled."""
    return [
        {
            "customer_id": customer_id,
            "purchase_id": purchase_id,
            "journey": c.journey,
            "touchpoint": c.touchpoint,
            "due_at": c.due_at,
            "status": CheckInStatus.SCHEDULED,
            "attempt_count": 0,
            "created_at": now,
        }
        for c in p.checkins
    ]


class SqlPurchases:
    """:class:`handlers.unit_of_work.PurchaseRepository` on a session."""

    def __init__(self, session: AsyncSession) -> None:
        self._s = session

    async def apply_delivery(self, upd: DeliveryUpdate) -> None:
        """Store a delivery date learnt later and move the still-scheduled check-ins."""
        await self._s.execute(
            update(PURCHASES)
            .where(PURCHASES.c.id == upd.purchase_id)
            .values(delivered_at=upd.delivered_at)
        )
        for touchpoint, due in upd.new_due.items():
            await self._s.execute(
                update(CHECKINS)
                .where(
                    CHECKINS.c.purchase_id == upd.purchase_id,
                    CHECKINS.c.touchpoint == touchpoint,
                    CHECKINS.c.status == CheckInStatus.SCHEDULED,
                )
                .values(due_at=due)
            )

    async def customers_by_email(self, emails: list[str]) -> dict[str, int]:
        """The ids of the customers with these (normalised) e-mail addresses."""
        if not emails:
            return {}
        rows = await self._s.execute(
            select(CUSTOMERS.c.email, CUSTOMERS.c.id).where(CUSTOMERS.c.email.in_(emails))
        )
        return {email: cid for email, cid in rows.all()}

    async def customers_by_phone(self, phones: list[str]) -> dict[str, int]:
        """The ids of the customers with these phone numbers."""
        if not phones:
            return {}
        rows = await self._s.execute(
            select(CUSTOMERS.c.phone, CUSTOMERS.c.id).where(CUSTOMERS.c.phone.in_(phones))
        )
        return {phone: cid for phone, cid in rows.all()}

    async def add_customers(self, customers: list[NewCustomer], now: datetime) -> list[int]:
        """Create the customers (pending opt-in); their ids, in order."""
        if not customers:
            return []
        rows = [customer_row(c, now) for c in customers]
        # One INSERT .. RETURNING for the batch; rows come back keyed by their natural key
        # (sort_by_parameter_order would make SQLite insert row by row).
        result = await self._s.execute(
            insert(CUSTOMERS).returning(CUSTOMERS.c.email, CUSTOMERS.c.phone, CUSTOMERS.c.id),
            rows,
        )
        ids = {(email, phone): cid for email, phone, cid in result.all()}
        return [ids[(c.email, c.phone)] for c in customers]

    async def telegram_links(self, customer_ids: list[int]) -> list[OptInLink]:
        """The customers' Telegram link rows."""
        rows = await self._s.execute(
            select(
                LINKS.c.id,
                LINKS.c.customer_id,
                LINKS.c.token,
                LINKS.c.chat_id,
                LINKS.c.token_expires_at,
                LINKS.c.token_used_at,
            ).where(LINKS.c.customer_id.in_(customer_ids), LINKS.c.channel == "telegram")
        )
        return [
            OptInLink(link_id, cid, token, chat_id is not None, expires, used)
            for link_id, cid, token, chat_id, expires, used in rows.all()
        ]

    async def renew_token(self, link_id: int, token: str, expires_at: datetime) -> None:
        """Give an unlinked customer's link a fresh, unused token."""
        await self._s.execute(
            update(LINKS)
            .where(LINKS.c.id == link_id)
            .values(token=token, token_expires_at=expires_at, token_used_at=None)
        )

    async def add_links(self, tokens: dict[int, str], expires_at: datetime) -> None:
        """Create Telegram link rows, one per customer, with their opt-in tokens."""
        if tokens:
            rows = [
                {
                    "customer_id": cid,
                    "channel": "telegram",
                    "token": t,
                    "token_expires_at": expires_at,
                }
                for cid, t in tokens.items()
            ]
            await self._s.execute(insert(LINKS), rows)

    async def add_purchases(
        self, new: list[NewPurchase], customer_ids: list[int], now: datetime
    ) -> list[int]:
        """Create the purchases and their planned check-ins; the purchases' ids, in order.

        ConcurrentWrite when one of the order ids was stored by another writer meanwhile.
        """
        purchase_rows = [
            purchase_row(p, cid, now) for p, cid in zip(new, customer_ids, strict=True)
        ]
        try:
            result = await self._s.execute(
                insert(PURCHASES).returning(PURCHASES.c.external_order_id, PURCHASES.c.id),
                purchase_rows,
            )
        except IntegrityError as exc:
            raise ConcurrentWrite(str(exc.orig)) from exc
        id_of_order = dict(result.all())
        purchase_ids = [id_of_order[p.external_order_id] for p in new]
        checkin_rows = [
            row
            for p, cid, pid in zip(new, customer_ids, purchase_ids, strict=True)
            for row in checkin_rows_of(p, cid, pid, now)
        ]
        if checkin_rows:
            await self._s.execute(insert(CHECKINS), checkin_rows)
        return purchase_ids
