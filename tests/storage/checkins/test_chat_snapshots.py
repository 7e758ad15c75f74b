"""Reading many chats' state at once (one transaction), on SQLite and PostgreSQL."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime

from sqlalchemy import insert

from storage.checkins.conversations import StorageKey
from storage.models import ChannelLink, CheckIn, ConversationState, Customer
from storage.repositories import Repositories

NOW = datetime(2026, 11, 23, 12, 0, tzinfo=UTC)


async def seed(store: Repositories, chats: int) -> None:
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


async def test_many_reads_at_once_each_get_their_own_chat(store: Repositories) -> None:
    await seed(store, 12)
    snapshots = await asyncio.gather(
        *(store.conversations.read_snapshot(key(i)) for i in range(12))
    )
    for i, snapshot in enumerate(snapshots):
        state, customer, ctx = snapshot
        assert (state.chat_id, state.question_index) == (1000 + i, 1)
        assert customer is not None and customer.name == f"C{i}"
        assert ctx is not None and ctx.checkin.id == state.checkin_id and ctx.chat_id == 1000 + i


async def test_a_chat_with_nobody_linked_reads_as_idle(store: Repositories) -> None:
    await seed(store, 1)
    known, stranger = await asyncio.gather(
        store.conversations.read_snapshot(key(0)),
        store.conversations.read_snapshot(StorageKey("telegram", 99, 99)),
    )
    assert known[1] is not None and known[2] is not None
    assert stranger[1] is None and stranger[2] is None and stranger[0].step == "idle"


async def test_a_named_checkin_wins_over_the_conversation(store: Repositories) -> None:
    await seed(store, 2)
    other = (await store.conversations.chat_snapshot(key(1)))[0].checkin_id
    (snapshot,) = await asyncio.gather(store.conversations.read_snapshot(key(0), other))
    assert snapshot[2] is not None and snapshot[2].checkin.id == other
