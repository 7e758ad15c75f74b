"""Advocacy queries on SQLite and PostgreSQL: asks scheduled once and claimed once, open cases
hold asks back, referral credit once per purchase even with concurrent rounds."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta

from sqlalchemy import insert, select

from storage.advocacy.asks import AdvocacyQueries
from storage.db import Database
from storage.models import AdvocacyAsk, Case, Customer, Purchase, ReferralCredit, TrackedLink
from storage.repositories import Repositories
from tests.case_setup import forget

NOW = datetime(2026, 11, 22, 12, 0, tzinfo=UTC)
LEASE = timedelta(minutes=5)


async def customers(db: Database, n: int) -> list[int]:
    async with db.session() as s:
        return list(
            (
                await s.execute(
                    insert(Customer).returning(Customer.id),
                    [
                        {"name": f"C{i}", "email": f"c{i}@example.com", "opt_in_state": "opted_in"}
                        for i in range(n)
                    ],
                )
            ).scalars()
        )


async def purchase(db: Database, customer_id: int, order: str, code: str | None) -> int:
    async with db.session() as s:
        row = Purchase(
            external_order_id=order,
            customer_id=customer_id,
            product="Dryer",
            purchased_at=NOW,
            journey="standard",
            referral_code=code,
        )
        s.add(row)
        await s.flush()
        assert row.id is not None
        return row.id


async def test_an_ask_is_scheduled_once_per_key(db: Database) -> None:
    q = AdvocacyQueries(db)
    (c,) = await customers(db, 1)
    assert await q.schedule_ask("review", "review:purchase:1", c, NOW) is True
    assert await q.schedule_ask("review", "review:purchase:1", c, NOW + LEASE) is False
    assert [a.due_at for a in await q.asks_of(c, "review")] == [NOW]


async def test_due_asks_are_claimed_once_oldest_first(db: Database) -> None:
    q = AdvocacyQueries(db)
    ids = await customers(db, 6)
    for i, c in enumerate(ids):
        await q.schedule_ask("review", f"review:customer:{c}", c, NOW - timedelta(minutes=i))
    await q.schedule_ask("review", "later", ids[0], NOW + timedelta(hours=1))
    first, second = await asyncio.gather(
        q.claim_due_asks(NOW, 4, LEASE), q.claim_due_asks(NOW, 4, LEASE)
    )
    got = [c.ask.id for c in first + second]
    assert len(got) == 6 and len(set(got)) == 6
    assert all(c.ask.status == "sending" for c in first + second)
    assert await q.claim_due_asks(NOW, 10, LEASE) == []
    # A worker that died while sending: its claim is taken again after the lease.
    again = await q.claim_due_asks(NOW + LEASE, 10, LEASE)
    assert len(again) == 6
    assert again[0].customer.email is not None and again[0].chat_id is None


async def test_customers_with_an_open_case_are_not_claimed(db: Database) -> None:
    q = AdvocacyQueries(db)
    a, b = await customers(db, 2)
    await q.schedule_ask("review", "r:a", a, NOW)
    await q.schedule_ask("ambassador", "m:b", b, NOW)
    async with db.session() as s:
        s.add(Case(customer_id=a, status="open", open_for_customer=a))
        s.add(Case(customer_id=b, status="resolved", open_for_customer=None))
    claimed = await q.claim_due_asks(NOW, 10, LEASE)
    assert [c.ask.customer_id for c in claimed] == [b]


async def test_choices_accumulate_and_decline_only_from_sent(db: Database) -> None:
    q = AdvocacyQueries(db)
    (c,) = await customers(db, 1)
    await q.schedule_ask("ambassador", "m", c, NOW)
    (ctx,) = await q.claim_due_asks(NOW, 1, LEASE)
    ask_id = ctx.ask.id or 0
    assert await q.add_choice(ask_id, "panel", NOW) is None  # not sent yet
    await q.mark_ask_sent(ask_id, NOW)
    await q.add_choice(ask_id, "panel", NOW)
    await q.add_choice(ask_id, "referral", NOW + LEASE)
    ask = await q.add_choice(ask_id, "panel", NOW + LEASE)
    assert ask is not None and ask.choices == ["panel", "referral"]
    assert await q.decline_ask(ask_id, NOW) is False  # a yes is not turned into a no
    stored = await q.get_ask(ask_id)
    assert stored is not None and stored.status == "answered" and stored.answered_at == NOW


async def test_unanswered_ambassador_asks_expire(db: Database) -> None:
    q = AdvocacyQueries(db)
    a, b = await customers(db, 2)
    for c in (a, b):
        await q.schedule_ask("ambassador", f"m:{c}", c, NOW)
    for ctx in await q.claim_due_asks(NOW, 5, LEASE):
        await q.mark_ask_sent(ctx.ask.id or 0, NOW if ctx.ask.customer_id == a else NOW + LEASE)
    assert await q.expire_asks(NOW + timedelta(minutes=1)) == 1
    assert [x.status for x in await q.asks_of(a, "ambassador")] == ["expired"]
    assert [x.status for x in await q.asks_of(b, "ambassador")] == ["sent"]


async def test_referral_credit_once_even_with_concurrent_rounds(db: Database) -> None:
    q = AdvocacyQueries(db)
    ambassador, friend, other = await customers(db, 3)
    await q.create_link(
        "referral", lambda c: f"https://shop/?ref={c}", lambda: "abcd2345", ambassador
    )
    p1 = await purchase(db, friend, "O-1", "ABCD2345")
    await purchase(db, ambassador, "O-2", "abcd2345")  # their own code: no credit
    await purchase(db, other, "O-3", "nope9999")  # unknown code: ignored
    await purchase(db, other, "O-4", None)
    second = AdvocacyQueries(Database(db.url, schema=db.schema))
    try:
        results = await asyncio.gather(q.credit_referrals(NOW), second.credit_referrals(NOW))
    finally:
        await second.db.dispose()
    assert sum(results) == 1
    async with db.session() as s:
        rows = (await s.execute(select(ReferralCredit))).scalars().all()
    assert [(r.purchase_id, r.ambassador_id, r.code) for r in rows] == [
        (p1, ambassador, "abcd2345")
    ]
    assert await q.credit_referrals(NOW) == 0
    claimed = await q.claim_thanks(NOW, 10)
    assert [t.customer.id for t in claimed] == [ambassador]
    assert await q.claim_thanks(NOW, 10) == []
    await q.release_thanks([claimed[0].credit.id or 0])
    assert len(await q.claim_thanks(NOW, 10)) == 1


async def test_forget_removes_testimonials_and_referral_links_but_not_shared_review_links(
    store: Repositories,
) -> None:
    q = AdvocacyQueries(store.db)
    c, other = await customers(store.db, 2)
    await q.create_link("referral", lambda x: x, lambda: "mine2345", c)
    await q.create_link("review", lambda x: "https://r/", lambda: "shared23", platform="G")
    t = await q.save_testimonial(c, "Great!", "en", consent=False, now=NOW)
    assert await q.give_consent(t.id or 0, other, NOW) is False  # not theirs
    assert await q.give_consent(t.id or 0, c, NOW) is True
    await q.save_testimonial(other, "Fine", "en", consent=True, now=NOW)
    await q.schedule_ask("ambassador", "m", c, NOW)
    await forget(store, c)
    assert await q.find_link("mine2345") is None
    assert await q.find_link("shared23") is not None
    assert [x.customer_id for x in await q.quotable_testimonials()] == [other]
    async with store.db.session() as s:
        statuses = (await s.execute(select(AdvocacyAsk.status))).scalars().all()
        links = (await s.execute(select(TrackedLink.code))).scalars().all()
    assert statuses == ["cancelled"] and links == ["shared23"]


async def test_a_colliding_code_draws_another(db: Database) -> None:
    q = AdvocacyQueries(db)
    codes = iter(["same2345", "same2345", "next2345"])
    first = await q.create_link("review", lambda x: "https://a/", lambda: next(codes))
    second = await q.create_link("review", lambda x: "https://b/", lambda: next(codes))
    assert (first.code, second.code) == ("same2345", "next2345")
    assert (await q.find_link("same2345")).target_url == "https://a/"  # type: ignore[union-attr]
