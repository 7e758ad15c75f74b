"""A customer linked on Telegram and WhatsApp is written to on the chat they used last, on
SQLite and PostgreSQL: the Telegram side now records when the customer last wrote too."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlalchemy import select

from handlers.chat_address import whatsapp_chat
from storage.db import Database
from storage.models import ChannelLink, Customer
from storage.repositories import Repositories
from storage.whatsapp.queries import WhatsAppStore

NOW = datetime(2026, 12, 7, 12, 0, tzinfo=UTC)
ANNE_WA = whatsapp_chat("31612345678")
ANNE_TG = 555


async def linked_on_both(db: Database, store: Repositories) -> int:
    """Anne, linked on WhatsApp (by phone, never wrote) and then on Telegram."""
    async with db.session() as s:
        c = Customer(name="Anne", phone="+31612345678", consent_checkins=True)
        s.add(c)
        await s.flush()
        s.add(ChannelLink(customer_id=c.id or 0, channel="telegram", token=f"t{c.id}",
                          token_expires_at=NOW + timedelta(days=30)))  # fmt: skip
        cid = c.id or 0
    assert await WhatsAppStore(db).enrol(cid, ANNE_WA, NOW)
    await store.customers.link_chat(cid, ANNE_TG, ANNE_TG, NOW + timedelta(minutes=1))
    return cid


async def chat_of(store: Repositories, cid: int) -> int | None:
    found = await store.cases.customer_chat(cid)
    assert found is not None
    return found[1]


async def test_the_chat_written_in_last_wins(db: Database, store: Repositories) -> None:
    wa = WhatsAppStore(db)
    cid = await linked_on_both(db, store)
    assert await chat_of(store, cid) == ANNE_TG  # neither written in: the one linked last
    await wa.touch_inbound(ANNE_WA, NOW + timedelta(hours=1))
    assert await chat_of(store, cid) == ANNE_WA  # she wrote on WhatsApp
    await store.customers.touch_inbound("telegram", ANNE_TG, NOW + timedelta(hours=2))
    assert await chat_of(store, cid) == ANNE_TG  # and then on Telegram
    await store.customers.touch_inbound("telegram", ANNE_TG, NOW)  # an old update, late
    await wa.touch_inbound(ANNE_WA, NOW + timedelta(hours=3))
    assert await chat_of(store, cid) == ANNE_WA


async def test_telegram_touch_moves_forward_only_and_ignores_unlinked_chats(
    db: Database, store: Repositories
) -> None:
    cid = await linked_on_both(db, store)
    await store.customers.touch_inbound("telegram", ANNE_TG, NOW + timedelta(hours=2))
    await store.customers.touch_inbound("telegram", ANNE_TG, NOW + timedelta(hours=1))
    await store.customers.touch_inbound("telegram", 999, NOW + timedelta(hours=5))  # nobody's
    await store.customers.touch_inbound("whatsapp", ANNE_TG, NOW + timedelta(hours=5))
    async with db.session() as s:
        rows = (
            await s.execute(select(ChannelLink).where(ChannelLink.customer_id == cid))
        ).scalars()
        seen = {r.channel: r.last_inbound_at for r in rows}
    assert seen == {"telegram": NOW + timedelta(hours=2), "whatsapp": None}


async def test_an_unreachable_chat_is_passed_over_even_if_used_last(
    db: Database, store: Repositories
) -> None:
    wa = WhatsAppStore(db)
    cid = await linked_on_both(db, store)
    await store.customers.touch_inbound("telegram", ANNE_TG, NOW + timedelta(hours=1))
    await wa.touch_inbound(ANNE_WA, NOW + timedelta(hours=2))
    assert await chat_of(store, cid) == ANNE_WA
    await wa.mark_unreachable(ANNE_WA, NOW + timedelta(hours=3))
    assert await chat_of(store, cid) == ANNE_TG
