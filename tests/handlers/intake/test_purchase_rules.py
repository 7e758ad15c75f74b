"""Purchase rules against the in-memory unit of work: which customer, which opt-in token."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from itertools import count

import pytest

from handlers.intake.purchase_rules import save_purchases
from storage.errors import ConcurrentWrite
from storage.intake.purchases import DeliveryUpdate, NewPurchase, PlannedCheckIn
from storage.memory import MemoryUnitOfWork
from storage.memory_tables import MemoryTables
from storage.models import ChannelLink, CheckIn, Customer, Purchase

NOW = datetime(2026, 11, 23, 9, 0, tzinfo=UTC)
LATER = NOW + timedelta(days=7)


def purchase(order: str, email: str | None = None, phone: str | None = None) -> NewPurchase:
    return NewPurchase(
        external_order_id=order,
        product="Oven OV-60",
        purchased_at=NOW,
        journey="standard",
        customer_name="Kim",
        email=email,
        phone=phone,
        language="en",
        timezone="Europe/Amsterdam",
        checkins=[PlannedCheckIn("standard", "delivery", NOW + timedelta(days=2))],
    )


class Tokens:
    """Opt-in tokens t1, t2, ... in the order they are made."""

    def __init__(self) -> None:
        self.made = count(1)

    def __call__(self) -> str:
        return f"t{next(self.made)}"


async def save(data: MemoryTables, *new: NewPurchase, tokens: Tokens | None = None, now=NOW):  # type: ignore[no-untyped-def]
    return await save_purchases(
        lambda: MemoryUnitOfWork(data),
        list(new),
        [],
        tokens or Tokens(),
        now + timedelta(days=30),
        now,
    )


async def test_customers_are_matched_by_email_then_phone_else_created() -> None:
    data, tokens = MemoryTables(), Tokens()  # one token maker: tokens are unique, as stored
    first = await save(
        data, purchase("A1", email="Kim@Example.org "), purchase("A2", phone="+3161"), tokens=tokens
    )
    assert first[0].customer_id != first[1].customer_id
    again = await save(
        data,
        purchase("A3", email="kim@example.org"),  # the same address, written otherwise
        purchase("A4", phone="+3161"),
        purchase("A5", email="new@example.org", phone="+3161"),  # an e-mail wins over the phone
        tokens=tokens,
    )
    assert again[0].customer_id == first[0].customer_id
    assert again[1].customer_id == first[1].customer_id
    assert again[2].customer_id not in (first[0].customer_id, first[1].customer_id)
    assert len(data.rows(Customer)) == 3
    assert {c.email for c in data.rows(Customer)} == {
        "kim@example.org",
        None,
        "new@example.org",
    }


async def test_two_purchases_of_one_new_customer_in_a_batch_share_the_customer() -> None:
    data = MemoryTables()
    saved = await save(data, purchase("B1", email="a@x.nl"), purchase("B2", email="A@x.nl"))
    assert saved[0].customer_id == saved[1].customer_id and len(data.rows(Customer)) == 1
    assert saved[0].opt_in_token == saved[1].opt_in_token == "t1"  # one link, one token
    assert len(data.rows(ChannelLink)) == 1 and len(data.rows(Purchase)) == 2


async def test_the_token_is_kept_renewed_when_used_or_expired_and_none_once_linked() -> None:
    data = MemoryTables()
    (first,) = await save(data, purchase("C1", email="c@x.nl"))
    (kept,) = await save(data, purchase("C2", email="c@x.nl"))
    assert first.opt_in_token == kept.opt_in_token == "t1"
    (expired,) = await save(data, purchase("C3", email="c@x.nl"), now=NOW + timedelta(days=31))
    assert expired.opt_in_token == "t1"  # a fresh Tokens(): the renewal made the first new one
    (link,) = data.rows(ChannelLink)
    assert link.token_expires_at == NOW + timedelta(days=61)
    link.token_expires_at, link.token_used_at = LATER, NOW  # used
    tokens = Tokens()
    tokens()  # t1 is taken
    (used,) = await save(data, purchase("C4", email="c@x.nl"), tokens=tokens)
    assert used.opt_in_token == "t2"
    link.chat_id = 42  # linked
    (linked,) = await save(data, purchase("C5", email="c@x.nl"))
    assert linked.opt_in_token is None


async def test_a_raced_order_id_refuses_the_whole_batch() -> None:
    data = MemoryTables()
    await save(data, purchase("D1", email="d@x.nl"))
    with pytest.raises(ConcurrentWrite):
        await save(data, purchase("D2", email="e@x.nl"), purchase("D1", email="d@x.nl"))
    assert [p.external_order_id for p in data.rows(Purchase)] == ["D1"]
    assert len(data.rows(Customer)) == 1  # nothing of the batch


async def test_a_delivery_date_learnt_later_moves_the_scheduled_check_ins() -> None:
    data = MemoryTables()
    (saved,) = await save(data, purchase("E1", email="e@x.nl"))
    moved = {"delivery": LATER}
    update = DeliveryUpdate(saved.purchase_id, LATER - timedelta(days=2), moved)
    units = lambda: MemoryUnitOfWork(data)  # noqa: E731
    assert await save_purchases(units, [], [update], Tokens(), LATER, NOW) == []
    (stored,) = data.rows(Purchase)
    assert stored.delivered_at == LATER - timedelta(days=2)
    assert {c.touchpoint: c.due_at for c in data.rows(CheckIn)} == moved
