"""A staff reply written while Telegram is away reaches the customer once, in order."""

from __future__ import annotations

import asyncio

from tests.bot.support.desk_harness import DeskHarness

CHAT = 3401


async def test_a_staff_reply_during_a_telegram_outage_arrives_once(desk: DeskHarness) -> None:
    await desk.unhappy_customer(CHAT, "R-1")
    (case,) = await desk.cases()
    assert case.slack_ts
    before = len(desk.tg.server.messages(CHAT))
    desk.tg.server.fail_next("sendMessage", 502, "Bad Gateway", times=100_000)
    await desk.thread_reply(case.slack_ts, "So sorry! A new hose is on its way.", user="U0BOB")
    await desk.thread_reply(case.slack_ts, "It arrives tomorrow before noon.", user="U0BOB")
    for _ in range(200):
        if any("queued" in (e.get("text") or "") for e in desk.slack.ephemerals):
            break
        await asyncio.sleep(0.01)
    notices = [e for e in desk.slack.ephemerals if "queued" in (e.get("text") or "")]
    assert notices and notices[0]["user"] == "U0BOB"
    for _ in range(12):  # a minute of the periodic job while Telegram is away
        desk.tg.clock.advance(seconds=5)
        assert await desk.tg.bot.deliver_customer_messages() == 0
    assert len(desk.tg.server.messages(CHAT)) == before
    desk.tg.server.clear_failures("sendMessage")
    desk.tg.clock.advance(minutes=5)
    assert await desk.tg.bot.deliver_customer_messages() == 2
    assert await desk.tg.bot.deliver_customer_messages() == 0
    texts = [m["text"] for m in desk.tg.server.messages(CHAT)[before:]]
    assert texts == [
        "So sorry! A new hose is on its way.\n\n— Bob, customer support",
        "It arrives tomorrow before noon.\n\n— Bob, customer support",
    ]
