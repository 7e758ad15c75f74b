"""Linking chats on both backends: the order-number path never moves a linked customer."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import insert, select

from storage.customers.chat_links import ChatAlreadyLinked, CustomerLinkedElsewhere
from storage.models import ChannelLink, Customer
from storage.repositories import Repositories

NOW = datetime(2026, 11, 22, 12, 0, tzinfo=UTC)


async def _customer(store: Repositories, token: str, email: str) -> int:
    async with store.db.session() as s:
        cid = (
            await s.execute(
                insert(Customer).returning(Customer.id), [{"name": "C", "email": email}]
            )
        ).scalar_one()
        await s.execute(
            insert(ChannelLink),
            [{"customer_id": cid, "token": token, "token_expires_at": NOW + timedelta(days=1)}],
        )
    return cid


async def test_order_path_refuses_a_customer_linked_to_another_chat(store: Repositories) -> None:
    cid = await _customer(store, "tok-1", "a@example.com")
    await store.customers.link_chat(cid, 11, 11, NOW, use_token=False)
    with pytest.raises(CustomerLinkedElsewhere):
        await store.customers.link_chat(cid, 22, 22, NOW, use_token=False)
    linked = await store.customers.linked_chat(cid)
    assert linked is not None and linked.chat_id == 11 and not linked.token_used
    # the chat linked now (or the token holder, who names it) may move the customer
    await store.customers.link_chat(cid, 22, 22, NOW, use_token=True, move_from=11)
    linked = await store.customers.linked_chat(cid)
    assert linked is not None and linked.chat_id == 22 and linked.token_used


async def test_two_chats_racing_for_one_customer_leave_one_link(store: Repositories) -> None:
    cid = await _customer(store, "tok-2", "b@example.com")
    results = await asyncio.gather(
        *(
            store.customers.link_chat(cid, chat, chat, NOW, use_token=False)
            for chat in (31, 32, 33)
        ),
        return_exceptions=True,
    )
    assert sum(not isinstance(r, Exception) for r in results) == 1
    assert all(isinstance(r, CustomerLinkedElsewhere) for r in results if isinstance(r, Exception))
    async with store.db.session() as s:
        chats = (await s.execute(select(ChannelLink.chat_id))).scalars().all()
    assert len(chats) == 1 and chats[0] in (31, 32, 33)


async def test_a_chat_of_one_customer_is_not_given_to_another(store: Repositories) -> None:
    first = await _customer(store, "tok-3", "c@example.com")
    second = await _customer(store, "tok-4", "d@example.com")
    await store.customers.link_chat(first, 41, 41, NOW)
    with pytest.raises(ChatAlreadyLinked):
        await store.customers.link_chat(second, 41, 41, NOW)


async def test_failed_tries_count_per_order_across_chats(store: Repositories) -> None:
    cid = await _customer(store, "tok-5", "e@example.com")
    for chat in (51, 52, 53):
        await store.customers.record_failed_link(cid, chat, NOW)
    await store.customers.record_failed_link(None, 54, NOW)  # an order number that does not exist
    assert await store.customers.failed_links_since(cid, NOW - timedelta(minutes=30)) == 3
    assert await store.customers.failed_links_since(cid, NOW) == 0


async def test_move_requests_are_rate_limited_per_customer(store: Repositories) -> None:
    cid = await _customer(store, "tok-6", "f@example.com")
    first = await store.customers.request_move(cid, 61, 61, NOW, NOW - timedelta(minutes=10))
    assert first is not None
    later = NOW + timedelta(minutes=5)
    assert (
        await store.customers.request_move(cid, 62, 62, later, later - timedelta(minutes=10))
        is None
    )
    read = await store.customers.move_request(first.id)
    assert read is not None and (read.customer_id, read.chat_id) == (cid, 61)
    assert await store.customers.move_request(first.id + 1000) is None
