"""Contract: the desk's outbox and the customers' message queue, alike in memory, on SQLite and
on PostgreSQL: order, holds, claims and what is set aside."""

from __future__ import annotations

from datetime import timedelta

from storage.models import Case, CustomerMessage, OutboxMessage
from tests.handlers.memory.backends import PortsBackend
from tests.handlers.memory.contract_data import MINUTE, NOW, case, customer

LEASE = timedelta(seconds=30)
SECOND = timedelta(seconds=1)


async def test_pending_desk_posts_oldest_first_held_ones_included(ports: PortsBackend) -> None:
    outbox = ports.repos.desk_outbox
    ids = [await outbox.enqueue(kind, NOW, text=kind) for kind in ("a", "b", "c", "d")]
    assert ids == sorted(ids) and len(set(ids)) == 4
    await outbox.outbox_sent(ids[0], NOW, "1.1")
    await outbox.outbox_failed(ids[2], "channel_not_found")
    await outbox.outbox_retry(ids[1], NOW + MINUTE, "x" * 600)
    pending = await outbox.pending_outbox(10)
    assert [m.id for m in pending] == [ids[1], ids[3]]  # a held post stays at the head
    held = pending[0]
    assert (held.attempts, held.next_attempt_at, held.last_error) == (1, NOW + MINUTE, "x" * 500)
    assert held.payload == {} and held.text == "b"
    assert [m.id for m in await outbox.pending_outbox(1)] == [ids[1]]
    rows = {m.id: m for m in await ports.rows(OutboxMessage)}
    assert (rows[ids[0]].status, rows[ids[0]].sent_at, rows[ids[0]].result_ts) == (
        "sent",
        NOW,
        "1.1",
    )
    assert (rows[ids[2]].status, rows[ids[2]].attempts) == ("failed", 1)


async def test_a_delivered_card_tells_its_case_where_it_is(ports: PortsBackend) -> None:
    kim = await ports.one(customer())
    opened = await ports.one(case(kim.id))
    outbox = ports.repos.desk_outbox
    card = await outbox.enqueue("case_card", NOW, case_id=opened.id, payload={"x": 1})
    await outbox.outbox_started(card, NOW + SECOND)
    await outbox.outbox_sent(card, NOW, None, card=(opened.id, "C1"))  # no ts: case unchanged
    (stored,) = await ports.rows(Case)
    assert (stored.slack_channel, stored.slack_ts) == (None, None)
    await outbox.outbox_sent(card, NOW, "9.9", card=(opened.id, "C1"))
    (stored,) = await ports.rows(Case)
    assert (stored.slack_channel, stored.slack_ts) == ("C1", "9.9")
    (post,) = await ports.rows(OutboxMessage)
    assert (post.started_at, post.payload, post.case_id) == (NOW + SECOND, {"x": 1}, opened.id)


async def test_a_chats_messages_leave_in_order_one_claim_at_a_time(ports: PortsBackend) -> None:
    queue = ports.repos.message_queue
    first = await queue.enqueue_customer_message(NOW, 7, "hello", "greeting", customer_id=1)
    second = await queue.enqueue_customer_message(NOW, 7, "thanks", "thanks", buttons=[["b"]])
    other = await queue.enqueue_customer_message(NOW, 8, "hi", "greeting", channel="whatsapp")
    head = await queue.claim_chat_head("telegram", 7, NOW, LEASE)
    assert head is not None
    assert (head.id, head.text, head.customer_id, head.buttons, head.attempts) == (
        first,
        "hello",
        1,
        [],
        0,
    )
    assert await queue.claim_chat_head("telegram", 7, NOW, LEASE) is None  # held by the claim
    assert await queue.claim_chat_head("telegram", 8, NOW, LEASE) is None  # 8 is WhatsApp's
    assert await queue.claim_chat_head("telegram", 7, NOW + LEASE, LEASE) is None  # ends at
    again = await queue.claim_chat_head("telegram", 7, NOW + LEASE + SECOND, LEASE)
    assert again is not None and again.id == first  # a dead sender's claim ran out
    await queue.customer_message_sent(first, NOW, 555)
    nxt = await queue.claim_chat_head("telegram", 7, NOW, LEASE)
    assert nxt is not None and (nxt.id, nxt.buttons, nxt.customer_id) == (second, [["b"]], None)
    wa = await queue.claim_chat_head("whatsapp", 8, NOW, LEASE)
    assert wa is not None and (wa.id, wa.channel) == (other, "whatsapp")
    sent = {m.id: m for m in await ports.rows(CustomerMessage)}[first]
    assert (sent.status, sent.sent_at, sent.message_id) == ("sent", NOW, 555)


async def test_due_heads_of_many_chats_and_a_held_head_holds_its_chat(
    ports: PortsBackend,
) -> None:
    queue = ports.repos.message_queue
    a1 = await queue.enqueue_customer_message(NOW, 1, "a1", "k")
    b1 = await queue.enqueue_customer_message(NOW, 2, "b1", "k")
    await queue.enqueue_customer_message(NOW, 1, "a2", "k")
    await queue.enqueue_customer_message(NOW, 2, "b2", "k")
    c1 = await queue.enqueue_customer_message(NOW + MINUTE, 3, "c1", "k")  # not due yet
    d1 = await queue.enqueue_customer_message(NOW, 4, "d1", "k")
    await queue.customer_message_retry(b1, NOW + 5 * MINUTE, "flood")
    heads = await queue.claim_due_heads(NOW, LEASE, 10)
    assert [h.id for h in heads] == [a1, d1]  # b1 waits, and b2 does not overtake it
    assert await queue.claim_due_heads(NOW, LEASE, 10) == []  # all claimed now
    later = await queue.claim_due_heads(NOW + 5 * MINUTE, LEASE, 2)
    assert [h.id for h in later] == [a1, b1]  # a1's claim ran out; oldest first, two
    assert later[1].attempts == 1
    rest = await queue.claim_due_heads(NOW + 5 * MINUTE, LEASE, 10)
    assert [h.id for h in rest] == [c1, d1]
    retried = {m.id: m for m in await ports.rows(CustomerMessage)}[b1]
    assert (retried.last_error, retried.next_attempt_at) == ("flood", NOW + 5 * MINUTE)
    assert retried.claimed_until == NOW + 5 * MINUTE + LEASE


async def test_failed_messages_one_or_the_whole_chat(ports: PortsBackend) -> None:
    queue = ports.repos.message_queue
    done = await queue.enqueue_customer_message(NOW, 1, "sent", "k")
    await queue.customer_message_sent(done, NOW, 1)
    mine = [await queue.enqueue_customer_message(NOW, 1, f"m{i}", "k") for i in range(3)]
    other = await queue.enqueue_customer_message(NOW, 2, "other", "k")
    assert await queue.customer_messages_failed(mine[0], "bad request", whole_chat=False) == 1
    assert await queue.customer_messages_failed(mine[1], "blocked", whole_chat=True) == 2
    assert await queue.customer_messages_failed(10_000, "gone", whole_chat=True) == 0
    status = {m.id: (m.status, m.attempts, m.last_error) for m in await ports.rows(CustomerMessage)}
    assert status[done] == ("sent", 0, None)
    assert status[mine[0]] == ("failed", 1, "bad request")
    assert status[mine[1]] == status[mine[2]] == ("failed", 1, "blocked")
    assert status[other] == ("pending", 0, None)
    assert await queue.claim_chat_head("telegram", 1, NOW, LEASE) is None


async def test_what_a_chat_was_told_lately_is_asked_by_kind_chat_and_time(
    ports: PortsBackend,
) -> None:
    queue = ports.repos.message_queue
    kind = "attachment_unread"
    told = await queue.enqueue_customer_message(NOW, 7, "files?", kind, customer_id=1)
    await queue.enqueue_customer_message(NOW + MINUTE, 8, "files?", kind, customer_id=2)
    await queue.customer_messages_failed(told, "blocked", whole_chat=False)
    assert await queue.said_since(1, "telegram", 7, kind, NOW)  # set aside counts too
    assert not await queue.said_since(1, "telegram", 7, kind, NOW + SECOND)
    assert not await queue.said_since(1, "telegram", 7, "reply", NOW)
    assert not await queue.said_since(1, "whatsapp", 7, kind, NOW)
    assert not await queue.said_since(2, "telegram", 7, kind, NOW)
    assert await queue.said_since(2, "telegram", 8, kind, NOW + MINUTE)
