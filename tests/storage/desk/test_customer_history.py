"""The customer's history before an answer, on both backends (the input to escalation)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from storage.models import Answer, CaseStatus, CheckIn, Customer
from storage.repositories import Repositories
from tests.case_setup import open_case

NOW = datetime(2026, 11, 23, 9, 0, tzinfo=UTC)


async def customer(store: Repositories) -> int:
    async with store.db.session() as s:
        c = Customer(name="Sam")
        s.add(c)
        await s.flush()
        return c.id or 0


async def checkin(store: Repositories, customer_id: int) -> int:
    async with store.db.session() as s:
        c = CheckIn(customer_id=customer_id, journey="j", touchpoint="usage", due_at=NOW)
        s.add(c)
        await s.flush()
        return c.id or 0


async def answer(store: Repositories, customer_id: int, checkin_id: int | None, **fields) -> Answer:
    fields.setdefault("created_at", NOW - timedelta(days=1))
    async with store.db.session() as s:
        a = Answer(customer_id=customer_id, checkin_id=checkin_id, **fields)
        s.add(a)
        await s.flush()
        await s.refresh(a)
        return a


def scored(sentiment: str, segment: str | None = None, score: int | None = None) -> dict:
    return {
        "scoring_status": "scored",
        "sentiment": sentiment,
        "segment": segment,
        "score": score,
        "question_type": "nps" if score is not None else None,
    }


async def test_a_new_customer_has_no_history(store: Repositories) -> None:
    cid = await customer(store)
    now = await answer(store, cid, await checkin(store, cid), text="hi")
    assert await store.customers.customer_history(cid, now, NOW) == {
        "open_case": False,
        "recent_case": False,
        "last_detractor": False,
        "recent_complaints": 0,
    }


async def test_earlier_complaints_count_but_not_this_checkins_own_or_old_ones(
    store: Repositories,
) -> None:
    cid, other = await customer(store), await customer(store)
    before, here = await checkin(store, cid), await checkin(store, cid)
    await answer(store, cid, before, **scored("negative", "detractor", 3))
    await answer(store, cid, None, text="still broken", **scored("negative"))
    await answer(store, cid, None, created_at=NOW - timedelta(days=45), **scored("negative"))
    await answer(store, other, None, **scored("negative"))  # someone else's
    await answer(store, cid, here, **scored("negative", "detractor", 2))  # this check-in's score
    await answer(store, cid, before, text="unscored yet")
    now = await answer(store, cid, here, text="why: too expensive")
    found = await store.customers.customer_history(cid, now, NOW)
    assert found["recent_complaints"] == 2
    assert found["last_detractor"] is True  # the earlier check-in's NPS 3


async def test_last_detractor_reads_the_newest_earlier_score(store: Repositories) -> None:
    cid = await customer(store)
    await answer(store, cid, await checkin(store, cid), **scored("negative", "detractor", 2))
    await answer(store, cid, await checkin(store, cid), **scored("positive", "promoter", 9))
    now = await answer(store, cid, await checkin(store, cid), text="ok")
    assert (await store.customers.customer_history(cid, now, NOW))["last_detractor"] is False


async def test_open_and_recently_resolved_cases(store: Repositories) -> None:
    cid = await customer(store)
    first = await answer(
        store, cid, await checkin(store, cid), **scored("negative", "detractor", 1)
    )
    here = await checkin(store, cid)
    own = await answer(store, cid, here, **scored("negative", "detractor", 2))
    now = await answer(store, cid, here, text="and the door")
    # a case opened by this very check-in's score is not "history"
    await open_case(
        store,
        answer_id=own.id or 0,
        customer_id=cid,
        priority="high",
        reasons=["NPS 2"],
        now=NOW,
        respond_by=NOW,
        channel="C1",
    )
    assert (await store.customers.customer_history(cid, now, NOW))["open_case"] is False
    case = await store.cases.open_case_of(cid)
    assert case is not None and case.id is not None
    await store.cases.close_case(case.id, status=CaseStatus.NOT_AN_ISSUE, staff_id="U1", now=NOW)
    assert (await store.customers.customer_history(cid, now, NOW))["recent_case"] is False
    await open_case(
        store,
        answer_id=first.id or 0,
        customer_id=cid,
        priority="high",
        reasons=["NPS 1"],
        now=NOW,
        respond_by=NOW,
        channel="C1",
    )
    assert (await store.customers.customer_history(cid, now, NOW))["open_case"] is True
    case = await store.cases.open_case_of(cid)
    assert case is not None and case.id is not None
    await store.cases.close_case(case.id, status=CaseStatus.RESOLVED, staff_id="U1", now=NOW)
    found = await store.customers.customer_history(cid, now, NOW + timedelta(days=1))
    assert found["open_case"] is False and found["recent_case"] is True
    later = await store.customers.customer_history(cid, now, NOW + timedelta(days=31))
    assert later["recent_case"] is False
