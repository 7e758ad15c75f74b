"""Queries for purchase intake: find what exists, then write a whole batch in one transaction."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal

from sqlalchemy import select

from storage.db import Database
from storage.models import (
    ChannelLink,
    CheckIn,
    Customer,
    Purchase,
)

CUSTOMERS = Customer.__table__
PURCHASES = Purchase.__table__
LINKS = ChannelLink.__table__
CHECKINS = CheckIn.__table__


@dataclass(frozen=True)
class PlannedCheckIn:
    """A check-in to schedule for a purchase."""

    journey: str
    touchpoint: str
    due_at: datetime


@dataclass
class NewPurchase:
    """A purchase to create, with its customer's details and its check-ins."""

    external_order_id: str
    product: str
    purchased_at: datetime
    journey: str
    customer_name: str | None
    email: str | None
    phone: str | None
    language: str
    timezone: str
    postcode: str | None = None
    sku: str | None = None
    amount: Decimal | None = None
    currency: str | None = None
    delivered_at: datetime | None = None
    referral_code: str | None = None
    consent_checkins: bool = True
    checkins: list[PlannedCheckIn] = field(default_factory=list)


@dataclass(frozen=True)
class ExistingPurchase:
    """What intake needs to know of a purchase that is already stored."""

    purchase_id: int
    customer_id: int
    delivered_at: datetime | None
    journey: str
    purchased_at: datetime


@dataclass(frozen=True)
class DeliveryUpdate:
    """A stored purchase that learnt its delivery date; its scheduled check-ins move."""

    purchase_id: int
    delivered_at: datetime
    new_due: dict[str, datetime]  # touchpoint -> new due time


@dataclass(frozen=True)
class SavedPurchase:
    """The outcome for one created purchase."""

    external_order_id: str
    purchase_id: int
    customer_id: int
    opt_in_token: str | None  # None when the customer already opted in


async def find_purchases(db: Database, order_ids: list[str]) -> dict[str, ExistingPurchase]:
    """The stored purchases among ``order_ids``."""
    if not order_ids:
        return {}
    stmt = select(
        PURCHASES.c.external_order_id,
        PURCHASES.c.id,
        PURCHASES.c.customer_id,
        PURCHASES.c.delivered_at,
        PURCHASES.c.journey,
        PURCHASES.c.purchased_at,
    ).where(PURCHASES.c.external_order_id.in_(order_ids))
    async with db.session() as s:
        rows = (await s.execute(stmt)).all()
    return {r[0]: ExistingPurchase(r[1], r[2], r[3], r[4], r[5]) for r in rows}


async def pending_tokens(db: Database, customer_ids: list[int]) -> dict[int, str | None]:
    """Per customer: the unused opt-in token, or None when they have already linked a chat."""
    if not customer_ids:
        return {}
    stmt = select(LINKS.c.customer_id, LINKS.c.token, LINKS.c.chat_id).where(
        LINKS.c.customer_id.in_(customer_ids), LINKS.c.channel == "telegram"
    )
    async with db.session() as s:
        rows = (await s.execute(stmt)).all()
    return {r[0]: (None if r[2] is not None else r[1]) for r in rows}
