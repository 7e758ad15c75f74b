"""WhatsApp's queries on SQLite and PostgreSQL: items stored once, the preferred chat, statuses
that never go back, unreachable chats, enrolment by phone."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta

from sqlalchemy import select

from handlers.chat_address import whatsapp_chat
from storage.db import Database
from storage.models import ChannelLink, Customer, InboxUpdate, OptInState
from storage.repositories import Repositories
from storage.whatsapp.queries import InboxItem, WhatsAppStore
from storage.whatsapp.sent import message_number

NOW = datetime(2026, 12, 7, 12, 0, tzinfo=UTC)
ANNE = whatsapp_chat("31612345678")


async def customer(db: Database, phone: str | None = None, consent: bool = True) -> int:
    async with db.session() as s:
        c = Customer(name="Anne", phone=phone, consent_checkins=consent)
        s.add(c)
        await s.flush()
        s.add(ChannelLink(customer_id=c.id or 0, channel="telegram", token=f"t{c.id}",
                          token_expires_at=NOW + timedelta(days=30)))  # fmt: skip
        return c.id or 0


async def test_a_webhook_item_delivered_twice_is_stored_once(db: Database) -> None:
    wa = WhatsAppStore(db)
    first = [InboxItem("wamid.A", ANNE, {"t": "message"}), InboxItem("wamid.A", ANNE, {})]
    assert await wa.store_items(first, NOW) == [ANNE]
    assert await wa.store_items([InboxItem("wamid.A", ANNE, {})], NOW) == []  # re-delivered
    assert await wa.store_items([InboxItem("wamid.A:read", ANNE, {"t": "status"})], NOW) == [ANNE]
    async with db.session() as s:
        rows = (await s.execute(select(InboxUpdate).order_by(InboxUpdate.update_id))).scalars()
        stored = list(rows)
    assert [r.channel for r in stored] == ["whatsapp", "whatsapp"]
    assert stored[0].update_id < stored[1].update_id  # in arrival order
    assert f'"update_id": {stored[0].update_id}' in stored[0].payload


async def test_the_preferred_chat_is_the_one_used_last(db: Database, store: Repositories) -> None:
    wa = WhatsAppStore(db)
    cid = await customer(db, "+31612345678")
    assert (await store.cases.customer_chat(cid))[1] is None  # type: ignore[index]
    await store.customers.link_chat(cid, 555, 555, NOW)  # Telegram
    assert (await store.cases.customer_chat(cid))[1] == 555  # type: ignore[index]
    assert await wa.enrol(cid, ANNE, NOW + timedelta(minutes=1))  # linked later, never wrote
    assert (await store.cases.customer_chat(cid))[1] == ANNE  # type: ignore[index]
    await wa.touch_inbound(ANNE, NOW + timedelta(hours=1))
    assert await wa.last_inbound(ANNE) == NOW + timedelta(hours=1)
    await wa.touch_inbound(ANNE, NOW)  # an older message handled late: the window stays
    assert await wa.last_inbound(ANNE) == NOW + timedelta(hours=1)
    customer_id, others = await wa.mark_unreachable(ANNE, NOW + timedelta(hours=2))
    assert (customer_id, others) == (cid, True)
    assert (await store.cases.customer_chat(cid))[1] == 555  # type: ignore[index]


async def test_statuses_move_forward_only(db: Database) -> None:
    wa = WhatsAppStore(db)
    number = await wa.record_sent("wamid.Q", ANNE, NOW, checkin_id=None)
    assert number == message_number("wamid.Q") and 0 < number < 2**63
    await wa.note_opener(number, 7, "mentorbot_usage", True)
    assert await wa.opened_by_template(number)
    assert await wa.conversations_opened_since(NOW - timedelta(hours=1)) == 1
    read = await wa.apply_status("wamid.Q", "read", NOW, None, None)
    assert read is not None and read.changed and read.checkin_id == 7
    late = await wa.apply_status("wamid.Q", "delivered", NOW, None, None)
    assert late is not None and not late.changed
    assert await wa.sent_status("wamid.Q") == "read"
    assert await wa.apply_status("wamid.unknown", "read", NOW, None, None) is None


async def test_enrolment_links_the_customers_own_number_once(
    db: Database, store: Repositories
) -> None:
    wa = WhatsAppStore(db)
    anne = await customer(db, "+31612345678")
    await customer(db, "+31600000001", consent=False)
    await customer(db, None)
    assert [c for c, _ in await wa.enrolment_candidates()] == [anne]
    assert await wa.enrol(anne, ANNE, NOW)
    assert await wa.enrolment_candidates() == []
    async with db.session() as s:
        found = await s.get(Customer, anne)
    assert found is not None and found.opt_in_state == OptInState.OPTED_IN
    assert (await store.customers.customer_for_chat("whatsapp", ANNE)).id == anne  # type: ignore[union-attr]
    # another customer with the same number cannot take the chat
    bram = await customer(db, "+31612345678")
    assert not await wa.enrol(bram, ANNE, NOW)
    assert (await store.customers.customer_for_chat("whatsapp", ANNE)).id == anne  # type: ignore[union-attr]
    assert await wa.enrolment_candidates() == []  # a row without a chat: not listed again


async def test_the_daily_tier_is_held_before_a_template_goes(db: Database) -> None:
    """Holds count like opened conversations; at the tier, none is given; a template that did
    not go frees its place; one that went becomes the sent message, counted once."""
    wa = WhatsAppStore(db)
    since = NOW - timedelta(hours=24)
    holds = [await wa.hold_conversation("1001", ANNE + i, "t", NOW, since, 3) for i in range(4)]
    assert all(h is not None for h in holds[:3]) and holds[3] is None
    assert await wa.conversations_opened_since(since) == 3
    assert holds[0] is not None and holds[1] is not None
    await wa.release_hold(holds[0])  # refused by Meta: it no longer counts
    assert await wa.conversations_opened_since(since) == 2
    assert await wa.confirm_hold(holds[1], "wamid.H") == message_number("wamid.H")
    # the channel's usual record of the sent message adds no second row
    assert await wa.record_sent("wamid.H", ANNE + 1, NOW) == message_number("wamid.H")
    await wa.release_hold(holds[1])  # a confirmed hold is the message: nothing to release
    assert await wa.conversations_opened_since(since) == 2
    assert await wa.sent_status("wamid.H") == "accepted"
    again = await wa.hold_conversation("1001", ANNE, "t", NOW, since, 3)
    assert again is not None
    assert await wa.hold_conversation("1001", ANNE, "t", NOW, since, 3) is None
    # a day later the old ones have rolled out of the tier
    later = NOW + timedelta(hours=25)
    assert await wa.hold_conversation("1001", ANNE, "t", later, later - timedelta(hours=24), 3)


async def test_workers_holding_at_once_never_pass_the_tier(
    db: Database, db_url: tuple[str, str | None]
) -> None:
    """Three workers (each its own engine) asking for 30 places each at once get 50 in all."""
    since = NOW - timedelta(hours=24)
    workers = [Database(db_url[0], schema=db_url[1]) for _ in range(3)]

    async def ask(worker: Database, base: int) -> int:
        wa = WhatsAppStore(worker)
        got = 0
        for i in range(30):
            got += (
                await wa.hold_conversation("1001", ANNE + base + i, "t", NOW, since, 50) is not None
            )
        return got

    try:
        got = await asyncio.gather(*(ask(w, 100 * n) for n, w in enumerate(workers)))
    finally:
        for worker in workers:
            await worker.dispose()
    assert sum(got) == 50
    assert await WhatsAppStore(db).conversations_opened_since(since) == 50
