"""Queries for purchase intake: find what exists, then write a whole batch in one transaction."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal

from sqlalchemy import insert, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from storage.db import Database
from storage.models import (
    ChannelLink,
    CheckIn,
    CheckInStatus,
    Customer,
    OptInState,
    Purchase,
    utcnow,
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


def _normal_email(email: str | None) -> str | None:
    return email.strip().lower() if email else None


async def save_purchases(
    db: Database,
    new: list[NewPurchase],
    updates: list[DeliveryUpdate],
    make_token: Callable[[], str],
    token_expires_at: datetime,
    now: datetime | None = None,
) -> list[SavedPurchase]:
    """Create ``new`` purchases (with customers, opt-in tokens and check-ins) and apply
    ``updates``, all in one transaction: either the whole batch is stored or nothing is.

    ``make_token`` is a zero-argument callable returning a fresh opt-in token; ``now`` is the
    caller's clock (the wall clock when not given): rows are dated by it and tokens expire by it.
    """
    now = now or utcnow()
    async with db.session() as s:
        for upd in updates:
            await s.execute(
                update(PURCHASES)
                .where(PURCHASES.c.id == upd.purchase_id)
                .values(delivered_at=upd.delivered_at)
            )
            for touchpoint, due in upd.new_due.items():
                await s.execute(
                    update(CHECKINS)
                    .where(
                        CHECKINS.c.purchase_id == upd.purchase_id,
                        CHECKINS.c.touchpoint == touchpoint,
                        CHECKINS.c.status == CheckInStatus.SCHEDULED,
                    )
                    .values(due_at=due)
                )
        if not new:
            return []
        customer_ids = await _resolve_customers(s, new, now)
        tokens = await _ensure_links(
            s, sorted(set(customer_ids)), make_token, token_expires_at, now
        )
        purchase_rows = [
            {
                "external_order_id": p.external_order_id,
                "customer_id": cid,
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
            for p, cid in zip(new, customer_ids, strict=True)
        ]
        # RETURNING the natural key with the id: sort_by_parameter_order would make SQLite
        # insert row by row.
        result = await s.execute(
            insert(PURCHASES).returning(PURCHASES.c.external_order_id, PURCHASES.c.id),
            purchase_rows,
        )
        id_of_order = dict(result.all())
        purchase_ids = [id_of_order[p.external_order_id] for p in new]
        checkin_rows = [
            {
                "customer_id": cid,
                "purchase_id": pid,
                "journey": c.journey,
                "touchpoint": c.touchpoint,
                "due_at": c.due_at,
                "status": CheckInStatus.SCHEDULED,
                "attempt_count": 0,
                "created_at": now,
            }
            for p, cid, pid in zip(new, customer_ids, purchase_ids, strict=True)
            for c in p.checkins
        ]
        if checkin_rows:
            await s.execute(insert(CHECKINS), checkin_rows)
    return [
        SavedPurchase(p.external_order_id, pid, cid, tokens.get(cid))
        for p, cid, pid in zip(new, customer_ids, purchase_ids, strict=True)
    ]


async def _resolve_customers(s: AsyncSession, new: list[NewPurchase], now: datetime) -> list[int]:
    """The customer id for each new purchase: matched by e-mail, then phone, else created.

    Two purchases of one new customer in the same batch share the customer created for the first.
    """
    emails = sorted({e for p in new if (e := _normal_email(p.email))})
    phones = sorted({p.phone for p in new if p.phone and not p.email})
    by_email: dict[str, int] = {}
    by_phone: dict[str, int] = {}
    if emails:
        rows = await s.execute(
            select(CUSTOMERS.c.email, CUSTOMERS.c.id).where(CUSTOMERS.c.email.in_(emails))
        )
        by_email = {r[0]: r[1] for r in rows.all()}
    if phones:
        rows = await s.execute(
            select(CUSTOMERS.c.phone, CUSTOMERS.c.id).where(CUSTOMERS.c.phone.in_(phones))
        )
        by_phone = {r[0]: r[1] for r in rows.all()}

    def key(p: NewPurchase) -> tuple[str, str]:
        email = _normal_email(p.email)
        return ("email", email) if email else ("phone", p.phone or "")

    known = {("email", k): v for k, v in by_email.items()} | {
        ("phone", k): v for k, v in by_phone.items()
    }
    to_create: dict[tuple[str, str], NewPurchase] = {}
    for p in new:
        if key(p) not in known:
            to_create.setdefault(key(p), p)
    if to_create:
        rows_in = [
            {
                "name": p.customer_name,
                "email": _normal_email(p.email),
                "phone": p.phone,
                "postcode": p.postcode,
                "language": p.language,
                "timezone": p.timezone,
                "opt_in_state": OptInState.PENDING,
                "consent_checkins": p.consent_checkins,
                "consent_marketing": False,
                "created_at": now,
                "updated_at": now,
            }
            for p in to_create.values()
        ]
        result = await s.execute(
            insert(CUSTOMERS).returning(CUSTOMERS.c.email, CUSTOMERS.c.phone, CUSTOMERS.c.id),
            rows_in,
        )
        for email, phone, cid in result.all():
            known[("email", email) if email else ("phone", phone or "")] = cid
    return [known[key(p)] for p in new]


async def _ensure_links(
    s: AsyncSession,
    customer_ids: list[int],
    make_token: Callable[[], str],
    expires_at: datetime,
    now: datetime,
) -> dict[int, str | None]:
    """Give every customer a Telegram link row; renew used or expired tokens of unlinked ones."""
    rows = await s.execute(
        select(
            LINKS.c.id,
            LINKS.c.customer_id,
            LINKS.c.token,
            LINKS.c.chat_id,
            LINKS.c.token_expires_at,
            LINKS.c.token_used_at,
        ).where(LINKS.c.customer_id.in_(customer_ids), LINKS.c.channel == "telegram")
    )
    tokens: dict[int, str | None] = {}
    for link_id, cid, token, chat_id, token_expires, used in rows.all():
        if chat_id is not None:
            tokens[cid] = None
        elif used is not None or token_expires <= now:
            fresh = make_token()
            await s.execute(
                update(LINKS)
                .where(LINKS.c.id == link_id)
                .values(token=fresh, token_expires_at=expires_at, token_used_at=None)
            )
            tokens[cid] = fresh
        else:
            tokens[cid] = token
    missing = [cid for cid in customer_ids if cid not in tokens]
    if missing:
        new_rows = [
            {
                "customer_id": cid,
                "channel": "telegram",
                "token": make_token(),
                "token_expires_at": expires_at,
            }
            for cid in missing
        ]
        await s.execute(insert(LINKS), new_rows)
        tokens.update({r["customer_id"]: r["token"] for r in new_rows})
    return tokens
