"""Purchase intake through the handler and the real store, on SQLite and PostgreSQL."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import func, select

from bot.app import Mentorbot
from handlers.intake.purchases import InvalidPurchases, validate_purchases
from storage.models import ChannelLink, CheckIn, Customer, Purchase

NOW = datetime(2026, 11, 22, 12, 0, tzinfo=UTC)


def purchase(order_id: str = "A-1", **changes: object) -> dict:
    base = {
        "order_id": order_id,
        "customer": {"name": "Ann de Vries", "email": "Ann@Example.com", "language": "nl"},
        "product": "Washing machine WM-300",
        "sku": "WM300",
        "amount": "499.00",
        "currency": "EUR",
        "purchased_at": "2026-11-10T10:00:00+01:00",
        "delivered_at": "2026-11-12T15:00:00+01:00",
    }
    base.update(changes)
    return base


async def count(bot: Mentorbot, model: type) -> int:
    async with bot.db.session() as s:
        return (await s.execute(select(func.count()).select_from(model))).scalar_one()


async def test_creates_customer_purchase_link_and_checkins(mentorbot: Mentorbot) -> None:
    (result,) = await mentorbot.ingest([purchase()])
    assert result["status"] == "created"
    assert result["opt_in_link"].startswith("https://t.me/mentorbot_demo_bot?start=")
    token = result["opt_in_link"].split("start=")[1]
    assert 16 <= len(token) <= 64 and token.replace("-", "").replace("_", "").isalnum()
    async with mentorbot.db.session() as s:
        customer = (await s.execute(select(Customer))).scalar_one()
        checkins = (await s.execute(select(CheckIn).order_by(CheckIn.due_at))).scalars().all()
        link = (await s.execute(select(ChannelLink))).scalar_one()
    assert customer.email == "ann@example.com" and customer.language == "nl"
    assert link.token == token and link.chat_id is None
    delivered = datetime(2026, 11, 12, 14, 0, tzinfo=UTC)
    assert [(c.touchpoint, c.due_at) for c in checkins] == [
        ("delivery", delivered + timedelta(days=1)),
        ("usage", delivered + timedelta(days=14)),
    ]
    assert all(c.status == "scheduled" and c.due_at.tzinfo is not None for c in checkins)


async def test_replayed_order_creates_nothing_and_returns_the_same_link(
    mentorbot: Mentorbot,
) -> None:
    first = await mentorbot.ingest([purchase()])
    again = await mentorbot.ingest([purchase()])
    assert again[0]["status"] == "unchanged"
    assert again[0]["opt_in_link"] == first[0]["opt_in_link"]
    assert await count(mentorbot, Purchase) == 1
    assert await count(mentorbot, CheckIn) == 2


async def test_delivery_date_learnt_later_moves_scheduled_checkins(mentorbot: Mentorbot) -> None:
    await mentorbot.ingest([purchase(delivered_at=None)])
    (result,) = await mentorbot.ingest([purchase(delivered_at="2026-11-20T09:00:00+00:00")])
    assert result["status"] == "updated"
    async with mentorbot.db.session() as s:
        due = dict((await s.execute(select(CheckIn.touchpoint, CheckIn.due_at))).all())
    assert due["delivery"] == datetime(2026, 11, 21, 9, 0, tzinfo=UTC)
    assert due["usage"] == datetime(2026, 12, 4, 9, 0, tzinfo=UTC)


async def test_same_customer_by_email_across_orders_and_within_a_batch(
    mentorbot: Mentorbot,
) -> None:
    results = await mentorbot.ingest([purchase("A-1"), purchase("A-2")])
    await mentorbot.ingest([purchase("A-3", customer={"name": "Ann", "email": "ann@example.com"})])
    assert len({r["customer_id"] for r in results}) == 1
    assert await count(mentorbot, Customer) == 1
    assert await count(mentorbot, ChannelLink) == 1
    assert await count(mentorbot, Purchase) == 3


async def test_duplicate_order_ids_in_one_batch_are_stored_once(mentorbot: Mentorbot) -> None:
    results = await mentorbot.ingest([purchase("A-1"), purchase("A-1")])
    assert [r["status"] for r in results] == ["created"]
    assert await count(mentorbot, Purchase) == 1


async def test_one_bad_purchase_stores_nothing_of_the_batch(mentorbot: Mentorbot) -> None:
    with pytest.raises(InvalidPurchases) as info:
        await mentorbot.ingest([purchase("A-1"), purchase("A-2", purchased_at="yesterday")])
    assert info.value.errors[0]["index"] == 1
    assert "purchased_at" in info.value.errors[0]["problems"][0]
    assert await count(mentorbot, Purchase) == 0


async def test_concurrent_replays_of_one_new_order_create_it_once(mentorbot: Mentorbot) -> None:
    results = await asyncio.gather(*(mentorbot.ingest([purchase("RACE-1")]) for _ in range(4)))
    assert sorted(r[0]["status"] for r in results).count("created") >= 1
    assert await count(mentorbot, Purchase) == 1
    assert len({r[0]["opt_in_link"] for r in results}) == 1


async def test_no_consent_means_no_checkins(mentorbot: Mentorbot) -> None:
    await mentorbot.ingest([purchase(consent_checkins=False)])
    assert await count(mentorbot, CheckIn) == 0


@pytest.mark.parametrize(
    ("change", "problem"),
    [
        ({"customer": {"name": "X"}}, "customer: needs an email or a phone number"),
        ({"customer": {"name": "X", "email": "not-an-email"}}, "customer.email: not an e-mail"),
        ({"customer": {"name": "X", "email": "x@y.nl", "language": "fr"}}, "customer.language"),
        (
            {"customer": {"name": "X", "email": "x@y.nl", "timezone": "Mars/Base"}},
            "unknown time zone",
        ),
        ({"amount": "-3"}, "amount"),
        ({"currency": "euro"}, "currency"),
        ({"delivered_at": "2026-11-01T00:00:00Z"}, "delivered_at is before purchased_at"),
        ({"colour": "red"}, "colour: Extra inputs are not permitted"),
        ({"order_id": ""}, "order_id"),
    ],
)
def test_validation_names_the_field(change: dict, problem: str) -> None:
    _, errors = validate_purchases([purchase(**change)])
    assert errors and any(problem in p for p in errors[0]["problems"]), errors


async def test_tokens_expire_and_rows_are_dated_by_the_bots_clock(
    make_config,
    db_url,  # type: ignore[no-untyped-def]
) -> None:
    """A bot whose clock is years behind the wall clock (a replayed import, a test) keeps an
    unexpired opt-in token for the customer's next purchase and dates the rows by its clock."""
    then = datetime(2020, 3, 2, 9, 0, tzinfo=UTC)
    bot = Mentorbot(make_config(), clock=lambda: then, db_schema=db_url[1])
    try:
        (first,) = await bot.ingest([purchase("OLD-1", purchased_at="2020-03-01T10:00:00+01:00")])
        (second,) = await bot.ingest([purchase("OLD-2", purchased_at="2020-03-02T08:00:00+01:00")])
        async with bot.db.session() as s:
            customer = (await s.execute(select(Customer))).scalar_one()
            created = [p.created_at for p in (await s.execute(select(Purchase))).scalars()]
    finally:
        await bot.close()
    assert second["opt_in_link"] == first["opt_in_link"]  # the same, still valid token
    assert customer.created_at is not None and customer.created_at.year == 2020
    assert [c.year for c in created if c is not None] == [2020, 2020]
