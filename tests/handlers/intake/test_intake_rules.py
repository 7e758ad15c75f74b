"""Purchase intake against the in-memory ports: each test runs in milliseconds.

Intake reads what is stored through a query port (``find_purchases``, ``pending_tokens``) and
writes through a unit of work; both share one set of rows, so a replayed order finds what the
first delivery stored. A replay changes nothing and returns the same opt-in link, a delivery
date learnt later moves only the check-ins still scheduled, a linked customer gets no link. It
runs through the HTTP API on SQLite and PostgreSQL in tests/handlers/intake/test_purchases.py.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from handlers.intake.purchases import IntakeResult, IntakeSettings, ingest_raw
from handlers.journeys import Journey
from storage.memory import MemoryUnitOfWork
from storage.models import ChannelLink, CheckIn, Customer, Purchase
from tests.handlers.memory.repositories import MemoryRepositories

NOW = datetime(2026, 11, 22, 12, 0, tzinfo=UTC)
DELIVERED = datetime(2026, 11, 12, 14, 0, tzinfo=UTC)


def touchpoint(name: str, delay: str) -> dict[str, object]:
    question = {"id": "nps", "type": "nps", "text": {"en": "How likely...", "nl": "Hoe..."}}
    return {
        "name": name,
        "delay": delay,
        "intro": {"en": "Hi", "nl": "Hoi"},
        "questions": [question],
    }


SETTINGS = IntakeSettings(
    journeys={
        "standard": Journey.model_validate(
            {"touchpoints": [touchpoint("delivery", "1d"), touchpoint("usage", "14d")]}
        )
    },
    journey_for_sku=lambda sku, requested: requested or "standard",
    timezone="Europe/Amsterdam",
    default_language="en",
    opt_in_token_ttl=timedelta(days=30),
    opt_in_link=lambda token: f"https://t.me/bot?start={token}",
)


def purchase(order_id: str = "A-1", **changes: object) -> dict[str, object]:
    """A purchase as the shop sends it, delivered on DELIVERED."""
    return {
        "order_id": order_id,
        "customer": {"name": "Ann", "email": "Ann@Example.com"},
        "product": "Washing machine WM-300",
        "purchased_at": "2026-11-10T10:00:00+01:00",
        "delivered_at": DELIVERED.isoformat(),
    } | changes


async def ingest(ports: MemoryRepositories, *raw: dict[str, object]) -> list[IntakeResult]:
    """One intake call over the ports and their units."""
    units = lambda: MemoryUnitOfWork(ports.tables)  # noqa: E731
    return await ingest_raw(ports.purchases, units, SETTINGS, list(raw), NOW)


def dues(ports: MemoryRepositories) -> list[tuple[str, datetime, str]]:
    """The check-ins: (touchpoint, due, status)."""
    return [(c.touchpoint, c.due_at, c.status) for c in ports.tables.rows(CheckIn)]


def counts(ports: MemoryRepositories) -> list[int]:
    """How many customers, links, purchases and check-ins are stored."""
    return [len(ports.tables.rows(m)) for m in (Customer, ChannelLink, Purchase, CheckIn)]


async def test_a_replayed_order_changes_nothing_and_returns_the_same_link() -> None:
    ports = MemoryRepositories.on()
    (first,) = await ingest(ports, purchase())
    assert first.status == "created" and first.opt_in_link is not None
    (link,) = ports.tables.rows(ChannelLink)
    assert first.opt_in_link == f"https://t.me/bot?start={link.token}"
    assert dues(ports) == [
        ("delivery", DELIVERED + timedelta(days=1), "scheduled"),
        ("usage", DELIVERED + timedelta(days=14), "scheduled"),
    ]
    (again,) = await ingest(ports, purchase())
    assert again == IntakeResult(
        "A-1", "unchanged", first.customer_id, first.purchase_id, first.opt_in_link
    )
    assert counts(ports) == [1, 1, 1, 2]
    # The same customer's next order shares the customer and the unused link.
    (second,) = await ingest(
        ports, purchase("A-2", customer={"name": "Ann", "email": "ann@example.com"})
    )
    assert second.status == "created" and second.customer_id == first.customer_id
    assert second.opt_in_link == first.opt_in_link and counts(ports) == [1, 1, 2, 4]


async def test_a_later_delivery_date_moves_only_the_check_ins_still_scheduled() -> None:
    ports = MemoryRepositories.on()
    await ingest(ports, purchase())
    delivery = ports.tables.rows(CheckIn)[0]
    delivery.status = "sent"  # already asked: it stays as it was
    later = DELIVERED + timedelta(days=3)
    (moved,) = await ingest(ports, purchase(delivered_at=later.isoformat()))
    assert moved.status == "updated"
    assert dues(ports) == [
        ("delivery", DELIVERED + timedelta(days=1), "sent"),
        ("usage", later + timedelta(days=14), "scheduled"),
    ]
    assert ports.tables.rows(Purchase)[0].delivered_at == later
    (same,) = await ingest(ports, purchase(delivered_at=later.isoformat()))
    assert same.status == "unchanged"


async def test_a_linked_customer_gets_no_opt_in_link() -> None:
    ports = MemoryRepositories.on()
    (first,) = await ingest(ports, purchase())
    ports.tables.rows(ChannelLink)[0].chat_id = 4301  # they opted in
    (replayed,) = await ingest(ports, purchase())
    (new,) = await ingest(ports, purchase("A-2"))
    assert (replayed.opt_in_link, new.opt_in_link) == (None, None)
    assert new.customer_id == first.customer_id and counts(ports) == [1, 1, 2, 4]
