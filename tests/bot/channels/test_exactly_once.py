"""Check-ins sent once: each is marked sent as soon as Telegram took it, claims are short and
renewed, and a worker that dies mid-batch leaves at most one check-in to be sent twice."""

from __future__ import annotations

import asyncio
from collections import Counter
from datetime import UTC, datetime, timedelta

from benchmarks._telegram_setup import CHAT_BASE, seed_due_checkins
from bot.app import Mentorbot
from handlers.checkins.dispatch import LEASE, SEND_CONCURRENCY
from sandbox.local_servers.bot_api import LocalBotApi
from tests.bot.channels.harness import FakeClock

NOW = datetime(2026, 11, 23, 10, 0, tzinfo=UTC)  # 11:00 in Amsterdam: not quiet hours


def sends_per_chat(server: LocalBotApi) -> Counter[int]:
    return Counter(
        c.params["chat_id"] for c in server.calls if c.method == "sendMessage" and c.status == 200
    )


async def test_a_worker_dying_mid_batch_sends_at_most_one_checkin_twice(tg_config, db_url) -> None:  # type: ignore[no-untyped-def]
    count = 40
    seed_due_checkins(db_url[0], db_url[1], count, NOW)
    clock = FakeClock(NOW)
    async with LocalBotApi() as server:
        first = Mentorbot(tg_config(server), clock=clock, db_schema=db_url[1])
        first.build_telegram()
        await first.telegram.initialize()
        dying = asyncio.create_task(first.dispatch())
        await server.wait_for(lambda _c: sum(sends_per_chat(server).values()) >= 15, timeout=30)
        dying.cancel()  # the worker dies, a send in flight (its claims stay behind)
        await asyncio.gather(dying, return_exceptions=True)
        before = sends_per_chat(server)

        second = Mentorbot(tg_config(server), clock=clock, db_schema=db_url[1])
        second.build_telegram()
        await second.telegram.initialize()
        try:
            clock.advance(seconds=1)  # the dead worker's claims still hold
            assert (await second.dispatch()).sent == 0
            clock.advance(seconds=LEASE.total_seconds())  # and now they have run out
            while (await second.dispatch()).sent:
                pass
        finally:
            await second.telegram.shutdown()
            await second.close()
            await first.telegram.shutdown()
            await first.close()
    per_chat = sends_per_chat(server)
    assert set(per_chat) == {CHAT_BASE + i for i in range(count)}  # every check-in went out
    twice = sorted(chat for chat, n in per_chat.items() if n > 1)
    assert len(twice) <= SEND_CONCURRENCY == 1  # at most the one in flight at the crash
    assert all(before[chat] == 1 for chat in twice)  # ... sent before the crash, then again
    assert max(per_chat.values()) <= 2
    assert sum(before.values()) >= 15
    assert clock.now - NOW < timedelta(seconds=20)  # taken over in seconds, not minutes
