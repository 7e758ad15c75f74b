"""The inbox on both backends: stored once, claimed in order per chat, an answer stored only
with its update's handled mark."""

from __future__ import annotations

import asyncio
from datetime import timedelta

import pytest
from sqlalchemy import func, select

from storage.checkins.answers import UpdateAlreadyHandled
from storage.inbox import ChatClaim
from storage.models import Answer, Customer, utcnow
from storage.repositories import Repositories


def row(update_id: int, chat_id: int = 1) -> dict:
    return {"channel": "telegram", "update_id": update_id, "chat_id": chat_id, "payload": "{}"}


def claim(chat_id: int, worker: str = "w1", lease: float = 10, now_offset: float = 0) -> ChatClaim:
    now = utcnow() + timedelta(seconds=now_offset)
    return ChatClaim("telegram", chat_id, worker, now, now + timedelta(seconds=lease))


async def test_an_update_is_stored_once_even_delivered_twice_at_once(store: Repositories) -> None:
    assert await store.inbox.store_updates([row(1), row(2)]) == {1, 2}
    assert await store.inbox.store_updates([row(2), row(3)]) == {3}
    together = await asyncio.gather(*(store.inbox.store_update(row(u)) for u in (4, 4, 5, 1)))
    assert together == [True, False, True, False]
    assert await store.inbox.inbox_counts() == {"handled": 0, "waiting": 5}


async def test_a_chat_is_claimed_in_order_by_one_worker_at_a_time(store: Repositories) -> None:
    await store.inbox.store_updates([row(12), row(10), row(11, chat_id=2), row(13)])
    first = await store.inbox.claim_chat(claim(1, "w1"))
    assert first is not None and [r.update_id for r in first] == [10, 12, 13]
    assert await store.inbox.claim_chat(claim(1, "w2")) is None  # held: the other worker waits
    (other,) = await store.inbox.claim_chat(claim(2, "w2")) or []
    assert other.update_id == 11
    for r in first[:2]:
        await store.inbox.finish_update(r)
    assert await store.inbox.claim_chat(claim(1, "w2")) is None  # 13 is still w1's
    await store.inbox.release_claim(first[0].claim)  # w1 gives 13 back unhandled
    again = await store.inbox.claim_chat(claim(1, "w2"))
    assert again is not None and [(r.update_id, r.attempts) for r in again] == [(13, 2)]
    assert await store.inbox.inbox_counts() == {"handled": 2, "waiting": 2}


async def test_a_dead_workers_claim_runs_out_and_its_updates_wait_for_a_sweep(
    store: Repositories,
) -> None:
    await store.inbox.store_updates([row(20, chat_id=7)])
    assert await store.inbox.claim_chat(claim(7, "dead", lease=10))
    later = utcnow() + timedelta(seconds=11)
    assert await store.inbox.waiting_chats(utcnow(), later) == []  # still held
    assert await store.inbox.waiting_chats(later, later) == [("telegram", 7)]
    taken = await store.inbox.claim_chat(claim(7, "w2", now_offset=11))
    assert taken is not None and taken[0].attempts == 2


async def add_customer(store: Repositories) -> int:
    async with store.db.session() as s:
        customer = Customer(name="Ann", email="ann@example.com", language="en")
        s.add(customer)
        await s.flush()
        return customer.id or 0


async def answer_count(store: Repositories) -> int:
    async with store.db.session() as s:
        return (await s.execute(select(func.count()).select_from(Answer))).scalar_one()


async def test_an_answer_is_stored_only_with_its_updates_handled_mark(store: Repositories) -> None:
    customer = await add_customer(store)
    await store.inbox.store_updates([row(30), row(31, chat_id=2)])
    (mine,) = (
        await store.inbox.claim_chat(claim(1, "w1", lease=10, now_offset=-20)) or []
    )  # ran out
    (taken,) = await store.inbox.claim_chat(claim(1, "w2")) or []  # another worker took it over
    (other,) = await store.inbox.claim_chat(claim(2, "w2")) or []

    def answer(text: str) -> Answer:
        return Answer(customer_id=customer, text=text, raw_update_id=30)

    # Together in one batch: the late attempt stores nothing, the others are stored.
    late, current, plain = await asyncio.gather(
        store.answers.save_answer(answer("late"), handled=("telegram", 30, mine.claim)),
        store.answers.save_answer(answer("current"), handled=("telegram", 30, taken.claim)),
        store.answers.save_answer(Answer(customer_id=customer, text="no inbox")),
        return_exceptions=True,
    )
    assert isinstance(late, UpdateAlreadyHandled)
    assert isinstance(current, Answer) and isinstance(plain, Answer)
    # Handled with the answer: a later claim of the chat does not get it again.
    assert await store.inbox.claim_chat(claim(1, "w3", now_offset=30)) == []
    await store.answers.save_answer(answer("other chat"), handled=("telegram", 31, other.claim))
    with pytest.raises(UpdateAlreadyHandled):  # released and re-claimed: the old claim is dead
        await store.answers.save_answer(answer("again"), handled=("telegram", 31, "w2:gone"))
    assert await answer_count(store) == 3
    assert await store.inbox.inbox_counts() == {"handled": 2, "waiting": 0}


async def test_handled_updates_are_pruned_after_a_while(store: Repositories) -> None:
    await store.inbox.store_updates([row(40), row(41, chat_id=2)])
    (r,) = await store.inbox.claim_chat(claim(1)) or []
    await store.inbox.finish_update(r)
    assert await store.inbox.prune_inbox(timedelta(days=7)) == 0
    assert await store.inbox.prune_inbox(timedelta(seconds=-1)) == 1  # the unhandled one stays
    assert await store.inbox.inbox_counts() == {"handled": 0, "waiting": 1}
