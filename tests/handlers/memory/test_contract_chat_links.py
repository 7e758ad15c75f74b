"""Contract: linking a chat, moving a link and the evidence for both, alike in memory, on SQLite
and on PostgreSQL."""

from __future__ import annotations

from datetime import timedelta

import pytest

from storage.customers.chat_links import (
    ChatAlreadyLinked,
    CustomerLinkedElsewhere,
    LinkedChat,
    MoveRequest,
    OrderCheck,
)
from storage.models import ChannelLink, Customer, Event, OptInState
from tests.handlers.memory.backends import PortsBackend
from tests.handlers.memory.contract_data import MINUTE, NOW, customer, link, purchase


async def test_an_order_number_in_any_case_and_its_proof(ports: PortsBackend) -> None:
    kim = customer(email="Kim@Example.com", postcode="1234 ab")
    await ports.seed(kim)
    await ports.seed(purchase(kim.id, "Ord-77"))
    verify = ports.repos.customers.verify_order
    assert await verify(" ord-77 ", "kim@example.COM ") == OrderCheck(kim.id, True)
    assert await verify("ORD-77", "1234AB") == OrderCheck(kim.id, True)
    assert await verify("ORD-77", "9999 ZZ") == OrderCheck(kim.id, False)
    assert await verify("ORD-78", "1234AB") == OrderCheck(None, False)


async def test_linking_opts_in_and_uses_the_token_once(ports: PortsBackend) -> None:
    kim = await ports.one(customer(opt_in_state=OptInState.PENDING, language="nl"))
    await ports.seed(link(kim.id, "tok"))
    customers = ports.repos.customers
    assert await customers.linked_chat(kim.id) == LinkedChat(kim.id, None, False, "nl")
    assert await customers.linked_chat(kim.id, "whatsapp") is None
    linked = await customers.link_chat(kim.id, 11, 111, NOW, use_token=False)
    assert (linked.opt_in_state, linked.consent_checkins) == ("opted_in", True)
    assert await customers.linked_chat(kim.id) == LinkedChat(kim.id, 11, False, "nl")
    await customers.link_chat(kim.id, 11, 111, NOW + MINUTE)  # the same chat again, by token
    assert await customers.linked_chat(kim.id) == LinkedChat(kim.id, 11, True, "nl")
    (row,) = await ports.rows(ChannelLink)
    assert (row.chat_id, row.user_id, row.linked_at, row.token_used_at) == (
        11,
        111,
        NOW + MINUTE,
        NOW + MINUTE,
    )
    events = [(e.kind, e.at, e.data) for e in await ports.rows(Event)]
    assert events == [
        ("customer.opted_in", NOW, {"channel": "telegram", "moved": False}),
        ("customer.opted_in", NOW + MINUTE, {"channel": "telegram", "moved": False}),
    ]


async def test_a_link_never_takes_another_customers_chat_or_moves_one_silently(
    ports: PortsBackend,
) -> None:
    kim, sam = customer(opt_in_state=OptInState.PENDING), customer(name="Sam")
    await ports.seed(kim, sam)
    await ports.seed(link(kim.id, "tok-k", chat_id=11), link(sam.id, "tok-s", chat_id=22))
    customers = ports.repos.customers
    with pytest.raises(ChatAlreadyLinked):
        await customers.link_chat(kim.id, 22, 22, NOW)
    with pytest.raises(CustomerLinkedElsewhere):
        await customers.link_chat(kim.id, 33, 33, NOW)
    with pytest.raises(CustomerLinkedElsewhere):
        await customers.link_chat(kim.id, 33, 33, NOW, move_from=44)
    with pytest.raises(CustomerLinkedElsewhere):  # no WhatsApp link row to move
        await customers.link_chat(kim.id, 33, 33, NOW, "whatsapp")
    assert (await ports.rows(Customer))[0].opt_in_state == "pending"  # nothing changed
    assert await ports.rows(Event) == []
    moved = await customers.link_chat(kim.id, 33, 33, NOW, move_from=11)
    assert moved.id == kim.id
    assert await customers.linked_chat(kim.id) == LinkedChat(kim.id, 33, True, "en")
    (event,) = await ports.rows(Event)
    assert event.data == {"channel": "telegram", "moved": True}


async def test_failed_tries_and_move_requests_are_counted_after_a_moment(
    ports: PortsBackend,
) -> None:
    kim = await ports.one(customer())
    customers = ports.repos.customers
    for minutes in (0, 5, 10):
        await customers.record_failed_link(kim.id, 50, NOW + minutes * MINUTE)
    await customers.record_failed_link(None, 50, NOW + 10 * MINUTE)  # unknown order
    assert await customers.failed_links_since(kim.id, NOW) == 2  # strictly after
    assert await customers.failed_links_since(kim.id, NOW - MINUTE) == 3
    asked = await customers.request_move(kim.id, 60, 61, NOW, NOW - timedelta(hours=1))
    assert asked is not None and (asked.customer_id, asked.chat_id, asked.user_id) == (
        kim.id,
        60,
        61,
    )
    assert await customers.request_move(kim.id, 70, 71, NOW + MINUTE, NOW - MINUTE) is None
    again = await customers.request_move(kim.id, 70, 71, NOW + MINUTE, NOW)  # NOW is not after
    assert again is not None and again.id != asked.id
    assert await customers.move_request(asked.id) == MoveRequest(asked.id, kim.id, 60, 61, NOW)
    failed = (await ports.rows(Event))[0]
    assert await customers.move_request(failed.id or 0) is None  # not a move request
    assert await customers.move_request(999) is None


async def test_the_last_chat_written_in_and_the_newest_product(ports: PortsBackend) -> None:
    kim = await ports.one(customer())
    await ports.seed(link(kim.id, "tok", chat_id=11))
    customers = ports.repos.customers
    await customers.touch_inbound("telegram", 11, NOW)
    await customers.touch_inbound("telegram", 11, NOW - MINUTE)  # late: never backwards
    await customers.touch_inbound("telegram", 99, NOW + MINUTE)  # nobody's chat
    (row,) = await ports.rows(ChannelLink)
    assert row.last_inbound_at == NOW
    assert await customers.latest_product(kim.id) is None
    same_day = NOW - timedelta(days=3)
    await ports.seed(
        purchase(kim.id, "A-1", product="Kettle", purchased_at=same_day),
        purchase(kim.id, "A-2", product="Teapot", purchased_at=same_day),
        purchase(kim.id, "A-0", product="Mug", purchased_at=same_day - timedelta(days=9)),
    )
    assert await customers.latest_product(kim.id) == "Teapot"  # a tie: the later one
