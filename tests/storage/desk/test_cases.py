"""Case storage on both backends: one case per answer, one open case per customer, one owner."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta

from storage.models import Answer, CaseStatus, Customer
from storage.repositories import Repositories
from tests.case_setup import open_case

NOW = datetime(2026, 11, 23, 9, 0, tzinfo=UTC)


async def customer_with_answers(store: Repositories, n: int) -> tuple[int, list[int]]:
    async with store.db.session() as s:
        customer = Customer(name="Kim")
        s.add(customer)
        await s.flush()
        answers = [
            Answer(customer_id=customer.id or 0, score=2, question_type="nps") for _ in range(n)
        ]
        s.add_all(answers)
        await s.flush()
        return customer.id or 0, [a.id or 0 for a in answers]


async def open_for(store: Repositories, customer_id: int, answer_id: int) -> str:
    opening = await open_case(
        store,
        answer_id=answer_id,
        customer_id=customer_id,
        priority="high",
        reasons=["NPS 2"],
        now=NOW,
        respond_by=NOW + timedelta(minutes=15),
        channel="C1",
    )
    return opening.outcome


async def test_one_case_per_answer_and_one_open_case_per_customer(store: Repositories) -> None:
    customer_id, (first, second) = await customer_with_answers(store, 2)
    assert await open_for(store, customer_id, first) == "opened"
    assert await open_for(store, customer_id, first) == "duplicate"
    assert await open_for(store, customer_id, second) == "joined"
    assert await open_for(store, customer_id, second) == "duplicate"
    kinds = [m.kind for m in await store.desk_outbox.pending_outbox(10)]
    assert kinds == ["case_card", "case_answer"]


async def test_concurrent_flagged_answers_make_one_case(store: Repositories) -> None:
    customer_id, answers = await customer_with_answers(store, 4)
    outcomes = await asyncio.gather(*(open_for(store, customer_id, a) for a in answers))
    assert sorted(outcomes) == ["joined", "joined", "joined", "opened"]
    case = await store.cases.open_case_of(customer_id)
    assert case is not None and case.status == CaseStatus.OPEN


async def test_claim_has_one_winner_and_closing_frees_the_customer(store: Repositories) -> None:
    customer_id, (answer, later) = await customer_with_answers(store, 2)
    await open_for(store, customer_id, answer)
    case = await store.cases.open_case_of(customer_id)
    assert case is not None and case.id is not None
    results = await asyncio.gather(
        store.cases.claim_case(case.id, "U1", NOW), store.cases.claim_case(case.id, "U2", NOW)
    )
    assert sorted(r.claimed for r in results) == [False, True]
    winner = next(r.owner for r in results if r.claimed)
    assert all(r.owner == winner for r in results)
    closed = await store.cases.close_case(
        case.id, status=CaseStatus.RESOLVED, staff_id=winner or "", now=NOW, note="fixed"
    )
    assert closed is not None and closed.open_for_customer is None
    assert (
        await store.cases.close_case(case.id, status=CaseStatus.RESOLVED, staff_id="U3", now=NOW)
        is None
    )
    assert await open_for(store, customer_id, later) == "opened"  # a new case may open now


async def test_outbox_lease_is_exclusive_until_it_runs_out(store: Repositories) -> None:
    ttl = timedelta(seconds=60)
    assert await store.leases.take_lease("outbox", "w1", NOW, ttl)
    assert not await store.leases.take_lease("outbox", "w2", NOW, ttl)
    assert await store.leases.take_lease("outbox", "w1", NOW, ttl)  # renewing is fine
    assert await store.leases.take_lease("outbox", "w2", NOW + ttl + timedelta(seconds=1), ttl)
    await store.leases.release_lease("outbox", "w2")
    assert await store.leases.take_lease("outbox", "w1", NOW, ttl)
