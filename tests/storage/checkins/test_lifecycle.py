"""Claiming due check-ins: safe with several workers, on SQLite and PostgreSQL."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta

from sqlalchemy import insert, select, update

from storage.db import Database
from storage.models import CheckIn, Customer
from storage.repositories import Repositories

NOW = datetime(2026, 11, 22, 12, 0, tzinfo=UTC)
LEASE = timedelta(minutes=5)


async def seed(db: Database, due: int, later: int) -> None:
    async with db.session() as s:
        cid = (
            await s.execute(
                insert(Customer).returning(Customer.id),
                [{"name": "C", "email": "c@example.com", "opt_in_state": "opted_in"}],
            )
        ).scalar_one()
        rows = [
            {
                "customer_id": cid,
                "journey": "standard",
                "touchpoint": "usage",
                "due_at": NOW - timedelta(minutes=i),
            }
            for i in range(due)
        ]
        rows += [
            {
                "customer_id": cid,
                "journey": "standard",
                "touchpoint": "usage",
                "due_at": NOW + timedelta(hours=1 + i),
            }
            for i in range(later)
        ]
        await s.execute(insert(CheckIn), rows)


async def test_claims_only_due_checkins_oldest_first(store: Repositories) -> None:
    await seed(store.db, due=5, later=3)
    claimed = await store.checkins.claim_due_checkins("w1", NOW, limit=3, lease=LEASE)
    assert len(claimed) == 3
    assert [c.due_at for c in claimed] == sorted(c.due_at for c in claimed)
    assert all(c.claimed_by == "w1" and c.claimed_until == NOW + LEASE for c in claimed)
    rest = await store.checkins.claim_due_checkins("w2", NOW, limit=10, lease=LEASE)
    assert len(rest) == 2 and not {c.id for c in rest} & {c.id for c in claimed}


async def test_customers_who_did_not_opt_in_are_not_claimed(store: Repositories) -> None:
    await seed(store.db, due=2, later=0)
    async with store.db.session() as s:
        await s.execute(update(Customer).values(opt_in_state="pending"))
    assert await store.checkins.claim_due_checkins("w1", NOW, limit=10, lease=LEASE) == []


async def test_an_expired_lease_can_be_claimed_again(store: Repositories) -> None:
    await seed(store.db, due=2, later=0)
    first = await store.checkins.claim_due_checkins("dead-worker", NOW, limit=10, lease=LEASE)
    assert (
        await store.checkins.claim_due_checkins("w2", NOW + timedelta(minutes=1), 10, LEASE) == []
    )
    again = await store.checkins.claim_due_checkins(
        "w2", NOW + LEASE + timedelta(seconds=1), 10, LEASE
    )
    assert {c.id for c in again} == {c.id for c in first}
    assert all(c.claimed_by == "w2" for c in again)


async def test_concurrent_workers_never_claim_the_same_checkin(
    store: Repositories, db_url: tuple[str, str | None]
) -> None:
    await seed(store.db, due=300, later=0)
    workers = [Database(db_url[0], schema=db_url[1]) for _ in range(4)]
    stores = [Repositories.on(w) for w in workers]

    async def drain(i: int) -> list[int]:
        got: list[int] = []
        while batch := await stores[i].checkins.claim_due_checkins(
            f"w{i}", NOW, limit=7, lease=LEASE
        ):
            got += [c.id for c in batch]
        return got

    try:
        results = await asyncio.gather(*(drain(i) for i in range(4)))
    finally:
        for w in workers:
            await w.dispose()
    every = [cid for r in results for cid in r]
    assert len(every) == 300 and len(set(every)) == 300
    assert sum(1 for r in results if r) >= 2  # the work really was shared


async def test_processed_updates_are_claimed_once_and_pruned(store: Repositories) -> None:
    assert await store.conversations.claim_update("telegram", 42) is True
    assert await store.conversations.claim_update("telegram", 42) is False
    assert await store.conversations.claim_update("slack", 42) is True
    assert await store.conversations.prune_processed_updates(timedelta(days=7)) == 0
    assert await store.conversations.prune_processed_updates(timedelta(seconds=-1)) == 2
    assert await store.conversations.claim_update("telegram", 42) is True


async def test_renewing_claims_extends_live_ones_and_never_shortens_a_retry(
    store: Repositories,
) -> None:
    """A worker renews the claims of its round; a check-in whose send failed keeps its retry
    time (a renewal during the round must not make it due again in 15 s), and another worker's
    claim is not touched."""
    await seed(store.db, due=3, later=0)
    lease = timedelta(seconds=15)
    mine = await store.checkins.claim_due_checkins("w1", NOW, limit=2, lease=lease)
    (theirs,) = await store.checkins.claim_due_checkins("w2", NOW, limit=5, lease=lease)
    failed, live = mine
    await store.checkins.mark_retry(failed.id or 0, NOW + timedelta(minutes=1), "timed out")
    later = NOW + timedelta(seconds=10)
    await store.checkins.renew_checkin_claims("w1", [c.id or 0 for c in mine], later + lease)
    await store.checkins.renew_checkin_claims("w1", [theirs.id or 0], later + lease)  # not w1's
    async with store.db.session() as s:
        rows = {c.id: c.claimed_until for c in (await s.execute(select(CheckIn))).scalars()}
    assert rows[live.id] == later + lease
    assert rows[failed.id] == NOW + timedelta(minutes=1)
    assert rows[theirs.id] == NOW + lease


async def test_marking_one_checkin_sent_records_it_and_its_question_in_one_go(
    store: Repositories,
) -> None:
    """The dispatcher's mark (one statement on PostgreSQL): the check-in is sent, its claim
    let go, and its chat's state remembers the question's message id; another chat's state,
    and a check-in already reminded, keep what they had."""
    from storage.checkins.conversations import StorageKey

    await seed(store.db, due=3, later=0)
    first, second, reminded = await store.checkins.claim_due_checkins(
        "w1", NOW, limit=3, lease=LEASE
    )
    async with store.db.session() as s:
        await s.execute(update(CheckIn).where(CheckIn.id == reminded.id).values(status="reminded"))
    key, other = StorageKey("telegram", 7, 7), StorageKey("telegram", 8, 8)
    await store.checkins.begin_conversations([(key, first.id or 0), (other, second.id or 0)])
    expires = NOW + timedelta(days=2)
    await store.checkins.mark_sent(key, first.id or 0, 4321, NOW, expires)
    await store.checkins.mark_sent(
        other, reminded.id or 0, 99, NOW, expires
    )  # not that chat's check-in
    async with store.db.session() as s:
        rows = {c.id: c for c in (await s.execute(select(CheckIn))).scalars()}
    marked = rows[first.id]
    assert (marked.status, marked.attempt_count, marked.claimed_by) == ("sent", 1, None)
    assert marked.claimed_until is None and marked.sent_at is not None
    assert marked.expires_at is not None and marked.expires_at.replace(tzinfo=UTC) == expires
    assert rows[second.id].status == "scheduled" and rows[second.id].claimed_by == "w1"
    assert rows[reminded.id].status == "reminded"
    assert (await store.conversations.get_state(key)).data == {"message_id": 4321}
    assert (await store.conversations.get_state(other)).data == {}
