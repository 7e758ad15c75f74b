"""Purchase intake: validate purchases from any source, store them, schedule their check-ins."""

from __future__ import annotations

import logging
import re
import secrets
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any, Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from handlers.intake.purchase_rules import save_purchases
from handlers.journeys import Journey
from handlers.repositories.purchases import Purchases
from handlers.unit_of_work import UnitOfWorkFactory
from storage.errors import ConcurrentWrite
from storage.intake.purchases import DeliveryUpdate, NewPurchase, PlannedCheckIn

log = logging.getLogger(__name__)

_EMAIL = re.compile(r"^[^@\s]{1,64}@[^@\s]+\.[^@\s]{2,}$")
_PHONE = re.compile(r"^\+?[0-9][0-9 ()./-]{5,30}$")


class CustomerIn(BaseModel):
    """The customer as the shop sends it."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)
    name: str = Field(min_length=1, max_length=200)
    email: str | None = Field(default=None, max_length=320)
    phone: str | None = Field(default=None, max_length=40)
    language: Literal["en", "nl"] | None = None
    timezone: str | None = None
    postcode: str | None = Field(default=None, max_length=20)

    @field_validator("email")
    @classmethod
    def _email(cls, value: str | None) -> str | None:
        if value and not _EMAIL.match(value):
            raise ValueError("not an e-mail address")
        return value.lower() if value else None

    @field_validator("phone")
    @classmethod
    def _phone(cls, value: str | None) -> str | None:
        if value and not _PHONE.match(value):
            raise ValueError("not a phone number")
        return re.sub(r"[^0-9+]", "", value) if value else None

    @field_validator("timezone")
    @classmethod
    def _zone(cls, value: str | None) -> str | None:
        if value:
            try:
                ZoneInfo(value)
            except (ZoneInfoNotFoundError, ValueError):
                raise ValueError(f"unknown time zone {value!r}") from None
        return value or None

    @model_validator(mode="after")
    def _reachable(self) -> CustomerIn:
        if not self.email and not self.phone:
            raise ValueError("needs an email or a phone number")
        return self


class PurchaseIn(BaseModel):
    """One purchase as a shop sends it (HTTP API, CSV row or command line)."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)
    order_id: str = Field(min_length=1, max_length=100)
    customer: CustomerIn
    product: str = Field(min_length=1, max_length=200)
    sku: str | None = Field(default=None, max_length=100)
    amount: Decimal | None = Field(default=None, ge=0, max_digits=12, decimal_places=2)
    currency: str | None = Field(default=None, pattern=r"^[A-Z]{3}$")
    purchased_at: datetime
    delivered_at: datetime | None = None
    journey: str | None = None
    referral_code: str | None = Field(default=None, max_length=64)
    consent_checkins: bool = True

    @model_validator(mode="after")
    def _delivery_after_purchase(self) -> PurchaseIn:
        if self.delivered_at and _aware(self.delivered_at) < _aware(self.purchased_at):
            raise ValueError("delivered_at is before purchased_at")
        return self


def _aware(value: datetime, zone: ZoneInfo | None = None) -> datetime:
    return value if value.tzinfo else value.replace(tzinfo=zone or ZoneInfo("UTC"))


class InvalidPurchases(ValueError):
    """Some purchases did not validate; ``errors`` holds one entry per bad purchase."""

    def __init__(self, errors: list[dict[str, Any]]) -> None:
        self.errors = errors
        super().__init__(f"{len(errors)} purchase(s) are not valid")


@dataclass(frozen=True)
class IntakeSettings:
    """What intake needs from the config."""

    journeys: dict[str, Journey]
    journey_for_sku: Callable[[str | None, str | None], str]
    timezone: str
    default_language: str
    opt_in_token_ttl: timedelta
    opt_in_link: Callable[[str], str]


@dataclass(frozen=True)
class IntakeResult:
    """What happened to one purchase."""

    order_id: str
    status: Literal["created", "updated", "unchanged"]
    customer_id: int
    purchase_id: int
    opt_in_link: str | None

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready form, as the API returns it."""
        return {
            "order_id": self.order_id,
            "status": self.status,
            "customer_id": self.customer_id,
            "purchase_id": self.purchase_id,
            "opt_in_link": self.opt_in_link,
        }


def validate_purchases(raw: Iterable[Any]) -> tuple[list[PurchaseIn], list[dict[str, Any]]]:
    """Split raw purchases into valid ones and errors (``index``, ``order_id``, ``problems``)."""
    valid: list[PurchaseIn] = []
    errors: list[dict[str, Any]] = []
    for index, item in enumerate(raw):
        try:
            valid.append(PurchaseIn.model_validate(item))
        except ValidationError as exc:
            order_id = item.get("order_id") if isinstance(item, dict) else None
            problems = [
                f"{'.'.join(str(p) for p in e['loc']) or 'purchase'}: "
                f"{e['msg'].removeprefix('Value error, ')}"
                for e in exc.errors()
            ]
            errors.append({"index": index, "order_id": order_id, "problems": problems})
    return valid, errors


def new_opt_in_token() -> str:
    """A fresh unguessable one-time token for a Telegram deep link (22 URL-safe characters)."""
    return secrets.token_urlsafe(16)


async def ingest_purchases(
    stored: Purchases,
    units: UnitOfWorkFactory,
    settings: IntakeSettings,
    purchases: list[PurchaseIn],
    now: datetime,
) -> list[IntakeResult]:
    """Store validated purchases idempotently on their order id and schedule their check-ins.

    A replayed order changes nothing, except a delivery date learnt later, which moves the
    check-ins that are still scheduled. Two requests racing with the same new order id: the
    loser retries and finds the winner's purchase.
    """
    for attempt in range(3):
        try:
            return await _ingest_once(stored, units, settings, purchases, now)
        except ConcurrentWrite:
            if attempt == 2:
                raise
            log.info("intake: an order id was stored concurrently, retrying the batch")
    raise AssertionError("unreachable")


async def _ingest_once(
    stored: Purchases,
    units: UnitOfWorkFactory,
    settings: IntakeSettings,
    purchases: list[PurchaseIn],
    now: datetime,
) -> list[IntakeResult]:
    zone = ZoneInfo(settings.timezone)
    unique: dict[str, PurchaseIn] = {}
    for p in purchases:
        unique.setdefault(p.order_id, p)
    existing = await stored.find_purchases(list(unique))
    new: list[NewPurchase] = []
    updates: list[DeliveryUpdate] = []
    statuses: dict[str, Literal["created", "updated", "unchanged"]] = {}
    for order_id, p in unique.items():
        purchased = _aware(p.purchased_at, zone)
        delivered = _aware(p.delivered_at, zone) if p.delivered_at else None
        if order_id in existing:
            old = existing[order_id]
            if delivered and delivered != old.delivered_at:
                journey = settings.journeys[old.journey]
                due = {
                    t.name: t.due_at(old.purchased_at, delivered)
                    for t in journey.scheduled()
                    if t.anchor == "delivered"
                }
                updates.append(DeliveryUpdate(old.purchase_id, delivered, due))
                statuses[order_id] = "updated"
            else:
                statuses[order_id] = "unchanged"
            continue
        journey_name = settings.journey_for_sku(p.sku, p.journey)
        journey = settings.journeys[journey_name]
        checkins = (
            [
                PlannedCheckIn(journey_name, t.name, t.due_at(purchased, delivered))
                for t in journey.scheduled()
            ]
            if p.consent_checkins
            else []
        )
        new.append(
            NewPurchase(
                external_order_id=order_id,
                product=p.product,
                purchased_at=purchased,
                journey=journey_name,
                customer_name=p.customer.name,
                email=p.customer.email,
                phone=p.customer.phone,
                language=p.customer.language or settings.default_language,
                timezone=p.customer.timezone or settings.timezone,
                postcode=p.customer.postcode,
                sku=p.sku,
                amount=p.amount,
                currency=p.currency,
                delivered_at=delivered,
                referral_code=p.referral_code,
                consent_checkins=p.consent_checkins,
                checkins=checkins,
            )
        )
        statuses[order_id] = "created"
    saved = await save_purchases(
        units, new, updates, new_opt_in_token, now + settings.opt_in_token_ttl, now
    )
    by_order = {s.external_order_id: (s.customer_id, s.purchase_id, s.opt_in_token) for s in saved}
    old_tokens = await stored.pending_tokens(sorted({e.customer_id for e in existing.values()}))
    for order_id, e in existing.items():
        if order_id in unique:
            by_order[order_id] = (e.customer_id, e.purchase_id, old_tokens.get(e.customer_id))
    results = []
    for order_id in unique:
        cid, pid, token = by_order[order_id]
        link = settings.opt_in_link(token) if token else None
        results.append(IntakeResult(order_id, statuses[order_id], cid, pid, link))
    log.info(
        "intake: %d created, %d updated, %d unchanged",
        len(new),
        len(updates),
        len(unique) - len(new) - len(updates),
    )
    return results


async def ingest_raw(
    stored: Purchases,
    units: UnitOfWorkFactory,
    settings: IntakeSettings,
    raw: list[Any],
    now: datetime,
) -> list[IntakeResult]:
    """Validate raw purchases and store them all, or raise InvalidPurchases and store nothing."""
    valid, errors = validate_purchases(raw)
    if errors:
        raise InvalidPurchases(errors)
    return await ingest_purchases(stored, units, settings, valid, now)
