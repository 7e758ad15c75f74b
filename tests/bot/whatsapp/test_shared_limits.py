"""WhatsApp's limits belong to the phone number: three workers (separate bots, each with its own
engine) against one local Cloud API server in its own process keep, together, under the
number's throughput, the pair rate and the daily tier. The send budget is shared through
PostgreSQL or Redis; the tier is counted in the database."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator

import pytest
from sqlalchemy import func, select

from benchmarks.dispatch_whatsapp import dispatch_run, make_bot, seed
from benchmarks.whatsapp_send import TEMPLATE, server_process
from handlers.chat_address import whatsapp_chat
from handlers.whatsapp.messages import TemplateMessage
from sandbox.local_servers.whatsapp_api_control import WhatsAppControl
from storage.db import Database
from storage.migrate import upgrade
from storage.models import CheckIn
from storage.whatsapp_tables import WhatsAppSent
from tests.bot.channels.pacing_books import REDIS_URL, _redis_problem, require_redis
from tests.conftest import PG_URL

THROUGHPUT = 25  # the server's limit: low, so that three workers meet it within seconds
# The bots pace a little under the server's limits, as Telegram's shared-budget tests do: a
# loaded test machine can delay a send after its slot and bunch it with the next ones at the
# server, which no pacing before the send rules out (README, "Nothing lost, nothing twice").
BOT_RATE = THROUGHPUT - 2
PAIR = 1.0
BOT_PAIR = 1.2
WORKERS = 3


@pytest.fixture(params=["database", "redis"])
def shared(request: pytest.FixtureRequest, pg_schema: str) -> Iterator[tuple[str, str | None]]:
    """(PostgreSQL schema, Redis URL or None): where the workers share their send budget."""
    upgrade(PG_URL, pg_schema)
    redis_url = None
    if request.param == "redis":
        require_redis(asyncio.run(_redis_problem()))
        redis_url = REDIS_URL
    yield pg_schema, redis_url


async def test_three_workers_keep_the_throughput_and_the_daily_tier(
    shared: tuple[str, str | None],
) -> None:
    schema, redis_url = shared
    seed(PG_URL, schema, 90)
    tier = 60  # 90 check-ins due, each opening a conversation: 30 must wait
    with server_process(THROUGHPUT, limits=True) as root:
        async with WhatsAppControl(root) as control:
            await control.set_limits(daily_tier=tier)
            for lang in ("en", "nl"):
                await control.add_template(TEMPLATE[0], lang, *TEMPLATE[2:])
            figures = await dispatch_run(
                PG_URL, schema, root, 90, BOT_RATE, 1, WORKERS,
                daily_tier=tier, redis_url=redis_url,
            )  # fmt: skip
            stats = await control.stats()
    assert stats["throttled"] == 0 and stats["refused"] == {}, stats
    assert stats["accepted"] == tier
    assert 0 < stats["max_in_rolling_second"] <= THROUGHPUT
    assert figures["sent"] == tier and figures["failed"] == 90 - tier  # retried in an hour
    assert sum(1 for n in figures["sent_per_worker"] if n) >= 2, figures  # work was shared
    assert figures["daily_tier_waits"] >= 90 - tier
    db = Database(PG_URL, schema=schema)
    try:
        async with db.session() as s:
            opened = (
                await s.execute(
                    select(func.count()).where(WhatsAppSent.opens_conversation.is_(True))
                )
            ).scalar()
            waiting = (
                await s.execute(select(func.count()).where(CheckIn.status == "scheduled"))
            ).scalar()
        assert opened == tier and waiting == 90 - tier
    finally:
        await db.dispose()


async def test_three_workers_keep_the_pair_rate(shared: tuple[str, str | None]) -> None:
    """Each worker sends two templates to each of three customers at once: every message to
    one customer is at least the pair interval after the one before, whoever sent it."""
    schema, redis_url = shared
    chats = [whatsapp_chat(str(31_690_000_000 + i)) for i in range(3)]
    with server_process(THROUGHPUT, limits=True) as root:
        async with WhatsAppControl(root) as control:
            await control.set_limits(pair_interval=PAIR)
            for lang in ("en", "nl"):
                await control.add_template(TEMPLATE[0], lang, *TEMPLATE[2:])
            bots = [
                make_bot(PG_URL, schema, root, BOT_RATE, 1, pair_interval=BOT_PAIR,
                         redis_url=redis_url)
                for _ in range(WORKERS)
            ]  # fmt: skip
            try:
                for bot in bots:
                    assert bot.whatsapp is not None
                    await bot.whatsapp.client.start()
                    await bot.whatsapp.pacer.initialize()

                async def send_all(bot: object) -> None:
                    channel = bot.whatsapp.channel  # type: ignore[attr-defined]
                    for _ in range(2):
                        for chat in chats:
                            await channel.send_template(
                                TemplateMessage(chat, TEMPLATE[0], "nl", ("An", "tafel"))
                            )

                await asyncio.gather(*(send_all(bot) for bot in bots))
            finally:
                for bot in bots:
                    assert bot.whatsapp is not None
                    await bot.whatsapp.client.close()
                    await bot.close()
            stats = await control.stats()
            sent = await control.sent()
    assert stats["refused"] == {} and stats["accepted"] == WORKERS * 2 * len(chats), stats
    pair_waits = sum(b.whatsapp.pacer.report.pair_waits for b in bots)  # type: ignore[union-attr]
    assert pair_waits > 0
    assert len(sent) == WORKERS * 2 * len(chats)
