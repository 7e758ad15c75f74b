"""Messages to customers survive a Telegram outage: stored first, delivered once, in order."""

from __future__ import annotations

import asyncio

from sqlalchemy import select

from storage.models import CustomerMessage
from tests.bot.channels.harness import Harness

CHATS = (5001, 5002, 5003)


async def _stored(tg: Harness, count: int) -> list[CustomerMessage]:
    for _ in range(500):
        async with tg.bot.db.session() as s:
            rows = list((await s.execute(select(CustomerMessage))).scalars())
        if len(rows) >= count:
            return rows
        await asyncio.sleep(0.01)
    raise AssertionError(f"expected {count} stored messages, found {len(rows)}")


async def test_a_telegram_outage_during_opt_ins_loses_and_repeats_nothing(tg: Harness) -> None:
    tokens = [await tg.buy(f"OUT-{i}") for i in range(len(CHATS))]
    tg.server.fail_next("sendMessage", 502, "Bad Gateway", times=100_000)
    for chat, token in zip(CHATS, tokens, strict=True):
        tg.server.push_message(chat, f"/start {token}")
    await _stored(tg, len(CHATS))
    tg.server.push_message(CHATS[0], "/help")  # queued behind the greeting it must follow
    await _stored(tg, len(CHATS) + 1)
    for _ in range(12):  # a minute of the periodic job while Telegram is away
        tg.clock.advance(seconds=5)
        assert await tg.bot.deliver_customer_messages() == 0
    assert all(tg.server.messages(chat) == [] for chat in CHATS)
    tg.server.clear_failures("sendMessage")
    tg.clock.advance(minutes=5)
    assert await tg.bot.deliver_customer_messages() == len(CHATS) + 1
    assert await tg.bot.deliver_customer_messages() == 0  # nothing twice
    for chat in CHATS:
        texts = [m["text"] for m in tg.server.messages(chat)]
        assert len(texts) == (2 if chat == CHATS[0] else 1)
        assert texts[0].startswith("Hi Ann! Thanks for your order of Washing machine")
    assert "I check in after your purchase" in tg.server.messages(CHATS[0])[1]["text"]
    rows = await _stored(tg, len(CHATS) + 1)
    assert {r.status for r in rows} == {"sent"}
    assert all(r.attempts >= 1 for r in rows if r.kind == "greeting")


async def test_a_blocked_chat_sets_its_messages_aside(tg: Harness) -> None:
    token = await tg.buy("OUT-9")
    tg.server.block(5009)
    tg.server.push_message(5009, f"/start {token}")
    (row,) = await _stored(tg, 1)
    for _ in range(100):
        async with tg.bot.db.session() as s:
            row = (await s.execute(select(CustomerMessage))).scalar_one()
        if row.status != "pending":
            break
        await asyncio.sleep(0.01)
    assert row.status == "failed" and "blocked" in (row.last_error or "")
    tg.clock.advance(minutes=10)
    assert await tg.bot.deliver_customer_messages() == 0
