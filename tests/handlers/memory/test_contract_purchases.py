"""Contract: what purchase intake reads, alike in memory, on SQLite and on PostgreSQL."""

from __future__ import annotations

from datetime import timedelta

from storage.intake.purchases import ExistingPurchase
from tests.handlers.memory.backends import PortsBackend
from tests.handlers.memory.contract_data import NOW, customer, link, purchase


async def test_find_purchases_by_exact_order_id(ports: PortsBackend) -> None:
    kim = await ports.one(customer())
    delivered = NOW - timedelta(days=2)
    first = await ports.one(purchase(kim.id, "A-1", delivered_at=delivered))
    await ports.seed(purchase(kim.id, "A-2", journey="premium"))
    found = await ports.repos.purchases.find_purchases(["A-1", "a-2", "B-9"])
    assert found == {
        "A-1": ExistingPurchase(first.id, kim.id, delivered, "standard", NOW - timedelta(days=7))
    }
    assert await ports.repos.purchases.find_purchases([]) == {}


async def test_pending_tokens_until_a_chat_is_linked(ports: PortsBackend) -> None:
    waiting, linked, whatsapp_only = customer(), customer(), customer()
    await ports.seed(waiting, linked, whatsapp_only)
    await ports.seed(
        link(waiting.id, "tok-w"),
        link(linked.id, "tok-l", chat_id=42),
        link(whatsapp_only.id, "tok-x", channel="whatsapp"),
    )
    tokens = await ports.repos.purchases.pending_tokens(
        [waiting.id, linked.id, whatsapp_only.id, 999]
    )
    assert tokens == {waiting.id: "tok-w", linked.id: None}
    assert await ports.repos.purchases.pending_tokens([]) == {}
