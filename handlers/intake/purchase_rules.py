"""What a batch of purchases changes, decided in one unit of work.

Which customer a new purchase belongs to: the customer with its e-mail address, else (for a
purchase without one) the customer with its phone number, else a new customer; two purchases
of one new customer in the same batch share the customer created for the first. Which opt-in
token a customer's order confirmation carries: none once they linked a chat; a fresh one when
theirs was used or has expired; else the one they have. Delivery dates learnt later move the
check-ins that are still scheduled. Either the whole batch is stored or nothing is.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

from handlers.unit_of_work import PurchaseRepository, UnitOfWorkFactory
from storage.intake.purchases import DeliveryUpdate, NewPurchase, SavedPurchase
from storage.records import NewCustomer

CustomerKey = tuple[str, str]
"""How a new purchase's customer is recognised: ("email", address) or ("phone", number)."""


def normal_email(email: str | None) -> str | None:
    """An e-mail address as customers are matched on: trimmed, lower case."""
    return email.strip().lower() if email else None


def customer_key(p: NewPurchase) -> CustomerKey:
    """The e-mail address when the purchase has one, else the phone number."""
    email = normal_email(p.email)
    return ("email", email) if email else ("phone", p.phone or "")


async def save_purchases(
    units: UnitOfWorkFactory,
    new: list[NewPurchase],
    updates: list[DeliveryUpdate],
    make_token: Callable[[], str],
    token_expires_at: datetime,
    now: datetime,
) -> list[SavedPurchase]:
    """Create ``new`` purchases (with customers, opt-in tokens and check-ins) and apply
    ``updates``; ConcurrentWrite if an order id was stored by another writer meanwhile."""
    async with units() as uow:
        for upd in updates:
            await uow.purchases.apply_delivery(upd)
        if not new:
            return []
        customer_ids = await _customers_of(uow.purchases, new, now)
        tokens = await _opt_in_tokens(
            uow.purchases, sorted(set(customer_ids)), make_token, token_expires_at, now
        )
        purchase_ids = await uow.purchases.add_purchases(new, customer_ids, now)
    return [
        SavedPurchase(p.external_order_id, pid, cid, tokens.get(cid))
        for p, cid, pid in zip(new, customer_ids, purchase_ids, strict=True)
    ]


async def _customers_of(
    repo: PurchaseRepository, new: list[NewPurchase], now: datetime
) -> list[int]:
    """The customer id of each new purchase, creating the customers nobody knows yet."""
    emails = sorted({key for kind, key in map(customer_key, new) if kind == "email"})
    phones = sorted({p.phone for p in new if p.phone and not normal_email(p.email)})
    known: dict[CustomerKey, int] = {
        ("email", e): cid for e, cid in (await repo.customers_by_email(emails)).items()
    } | {("phone", ph): cid for ph, cid in (await repo.customers_by_phone(phones)).items()}
    to_create: dict[CustomerKey, NewPurchase] = {}
    for p in new:
        if customer_key(p) not in known:
            to_create.setdefault(customer_key(p), p)
    created = await repo.add_customers(
        [
            NewCustomer(
                name=p.customer_name,
                email=normal_email(p.email),
                phone=p.phone,
                postcode=p.postcode,
                language=p.language,
                timezone=p.timezone,
                consent_checkins=p.consent_checkins,
            )
            for p in to_create.values()
        ],
        now,
    )
    known.update(zip(to_create, created, strict=True))
    return [known[customer_key(p)] for p in new]


async def _opt_in_tokens(
    repo: PurchaseRepository,
    customer_ids: list[int],
    make_token: Callable[[], str],
    expires_at: datetime,
    now: datetime,
) -> dict[int, str | None]:
    """Per customer, the token their confirmation carries (None once they linked a chat)."""
    tokens: dict[int, str | None] = {}
    for link in await repo.telegram_links(customer_ids):
        if link.linked:
            tokens[link.customer_id] = None
        elif link.token_used_at is not None or (
            link.token_expires_at is not None and link.token_expires_at <= now
        ):
            fresh = make_token()
            await repo.renew_token(link.link_id, fresh, expires_at)
            tokens[link.customer_id] = fresh
        else:
            tokens[link.customer_id] = link.token
    missing = {cid: make_token() for cid in customer_ids if cid not in tokens}
    await repo.add_links(missing, expires_at)
    return tokens | missing
