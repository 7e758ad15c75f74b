"""Claiming updates with the chats' state, many at once, on SQLite and PostgreSQL."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime

from sqlalchemy import insert

from storage.conversations import StorageKey
from storage.models import ChannelLink, CheckIn, ConversationState, Customer
from storage.store import Store

NOW = datetime(2026, 11, 23, 12, 0, tzinfo=UTC)


async def seed(store: Store, chats: int) -> None:
    """``chats`` linked customers, each with one sent check-in and a conversation at question 1."""
    async with store.db.session() as s:
        for i in range(chats):
            customer_id = (
                await s.execute(
                    insert(Customer).returning(Customer.id),
                    [{"name": f"C{i}", "email": f"c{i}@example.com", "language": "nl"}],
                )
            ).scalar_one()
            chat = 1000 + i
            s.add(ChannelLink(customer_id=customer_id, channel="telegram", token=f"t{i}",
                              token_expires_at=NOW, chat_id=chat, user_id=chat))  # fmt: skip
            checkin = CheckIn(customer_id=customer_id, journey="standard", touchpoint="delivery",
                              due_at=NOW, status="sent")  # fmt: skip
            s.add(checkin)
            await s.flush()
            s.add(ConversationState(channel="telegram", chat_id=chat, user_id=chat, step="question",
                                    checkin_id=checkin.id, question_index=1))  # fmt: skip


def key(i: int) -> StorageKey:
    return StorageKey("telegram", 1000 + i, 1000 + i)


async def test_many_claims_at_once_each_get_their_own_chat(store: Store) -> None:
    await seed(store, 12)
    snapshots = await asyncio.gather(
        *(store.claim_with_snapshot(500 + i, key(i)) for i in range(12))
    )
    for i, snapshot in enumerate(snapshots):
        assert snapshot is not None
        state, customer, ctx = snapshot
        assert (state.chat_id, state.question_index) == (1000 + i, 1)
        assert customer is not None and customer.name == f"C{i}"
        assert ctx is not None and ctx.checkin.id == state.checkin_id and ctx.chat_id == 1000 + i


async def test_a_redelivered_update_is_refused_alone_and_in_a_batch(store: Store) -> None:
    await seed(store, 3)
    assert await store.claim_with_snapshot(7, key(0)) is not None
    assert await store.claim_with_snapshot(7, key(0)) is None
    # In one batch: 7 again, 8 twice (only the first counts), 9 for a chat with nobody linked.
    results = await asyncio.gather(
        store.claim_with_snapshot(7, key(0)),
        store.claim_with_snapshot(8, key(1)),
        store.claim_with_snapshot(8, key(1)),
        store.claim_with_snapshot(9, StorageKey("telegram", 99, 99)),
    )
    assert results[0] is None and results[2] is None
    assert results[1] is not None and results[1][1] is not None
    stranger = results[3]
    assert stranger is not None and stranger[1] is None and stranger[2] is None
    assert stranger[0].step == "idle"
    assert not await store.claim_update("telegram", 8) and not await store.claim_update(
        "telegram", 9
    )


async def test_a_named_checkin_wins_over_the_conversation(store: Store) -> None:
    await seed(store, 2)
    other = (await store.chat_snapshot(key(1)))[0].checkin_id
    (snapshot,) = await asyncio.gather(store.claim_with_snapshot(11, key(0), other))
    assert snapshot is not None and snapshot[2] is not None and snapshot[2].checkin.id == other
