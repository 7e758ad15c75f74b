"""Sending that survives the real API: blocked bots, 429s, network errors, restarts, webhooks."""

from __future__ import annotations

import asyncio
from datetime import timedelta

import httpx
from sqlalchemy import select

from bot.app import Mentorbot
from sandbox.local_servers.bot_api import LocalBotApi
from storage.models import Answer, CheckIn, Customer
from tests.bot.channels.conftest import start_harness, stop_harness
from tests.bot.channels.harness import FakeClock, Harness


async def delivery(tg: Harness) -> CheckIn:
    async with tg.bot.db.session() as s:
        return (
            await s.execute(select(CheckIn).where(CheckIn.touchpoint == "delivery"))
        ).scalar_one()


async def test_blocked_bot_marks_the_customer_unreachable(tg: Harness) -> None:
    await tg.opt_in(3001, "D-1")
    tg.server.block(3001)
    report = await tg.bot.dispatch()
    assert (report.sent, report.failed) == (0, 1)
    async with tg.bot.db.session() as s:
        customer = (await s.execute(select(Customer))).scalar_one()
        statuses = {c.status for c in (await s.execute(select(CheckIn))).scalars()}
    assert customer.opt_in_state == "unreachable" and statuses == {"cancelled"}


async def test_retry_after_is_honoured_and_nothing_marked_sent(tg: Harness) -> None:
    await tg.opt_in(3002, "D-2")
    tg.server.fail_next("sendMessage", 429, "Too Many Requests: retry after 5", retry_after=5)
    report = await tg.bot.dispatch()
    assert (report.sent, report.failed) == (0, 1)
    checkin = await delivery(tg)
    assert checkin.status == "scheduled" and checkin.sent_at is None
    assert checkin.claimed_until == tg.clock.now + timedelta(seconds=5)
    tg.clock.advance(seconds=3)
    assert (await tg.bot.dispatch()).sent == 0  # still waiting
    tg.clock.advance(seconds=3)
    assert (await tg.bot.dispatch()).sent == 1
    assert (await delivery(tg)).status == "sent"


async def test_network_errors_back_off_and_retry(tg: Harness) -> None:
    await tg.opt_in(3003, "D-3")
    tg.server.set_unavailable(True)
    assert (await tg.bot.dispatch()).failed == 1
    first = await delivery(tg)
    assert first.status == "scheduled" and first.attempt_count == 1
    assert first.claimed_until == tg.clock.now + timedelta(seconds=30)
    tg.clock.advance(seconds=31)
    assert (await tg.bot.dispatch()).failed == 1
    assert (await delivery(tg)).claimed_until == tg.clock.now + timedelta(seconds=60)
    tg.server.set_unavailable(False)
    tg.clock.advance(seconds=61)
    assert (await tg.bot.dispatch()).sent == 1


async def test_restart_in_the_middle_of_a_checkin_continues(
    tg_config,
    db_url,  # type: ignore[no-untyped-def]
) -> None:
    async with LocalBotApi() as server:
        clock = FakeClock()
        first = await start_harness(server, tg_config(server), db_url[1], clock)
        await first.opt_in(3004, "D-4")
        await first.bot.dispatch()
        await first.send(3004, "4")  # CSAT answered; the yes/no question is out
        await stop_harness(first)  # the process stops

        second = await start_harness(server, tg_config(server), db_url[1], clock)
        try:
            since = server.last_seq
            await second.press(3004, "Yes")
            thanks = await second.next_message(3004, since, contains="Thank you")
            assert thanks["text"].startswith("Thank you")
            async with second.bot.db.session() as s:
                rows = (
                    await s.execute(select(Answer.question_id, Answer.score).order_by(Answer.id))
                ).all()
            assert [tuple(r) for r in rows] == [("delivery_csat", 4), ("arrived_ok", 1)]
        finally:
            await stop_harness(second)


async def test_webhook_mode_checks_the_secret_token(make_config, db_url) -> None:  # type: ignore[no-untyped-def]
    async with LocalBotApi() as server:
        config = make_config(
            web={"public_url": "https://bot.example.com"},
            telegram={
                "token": "123:TEST",
                "base_url": server.base_url,
                "base_file_url": server.base_file_url,
                "rate_limit": False,
                "mode": "webhook",
                "webhook_secret": "s3cret-token_value",
            },
        )
        bot = Mentorbot(config, clock=FakeClock(), db_schema=db_url[1])
        bot.build_telegram()
        await bot.start_telegram()
        assert server.webhook["url"] == "https://bot.example.com/telegram/webhook"
        assert server.webhook["secret_token"] == "s3cret-token_value"
        (result,) = await bot.ingest(
            [
                {
                    "order_id": "W-1",
                    "product": "Kettle",
                    "purchased_at": "2026-11-20T10:00:00Z",
                    "customer": {"name": "Wim", "email": "wim@example.com"},
                }
            ]
        )
        token = result["opt_in_link"].split("start=")[1]
        update = server.build_user_message(3005, f"/start {token}")
        body = {"update_id": 777, "message": update}
        transport = httpx.ASGITransport(app=bot.web_app())
        try:
            async with httpx.AsyncClient(transport=transport, base_url="http://bot") as c:
                missing = await c.post("/telegram/webhook", json=body)
                wrong = await c.post(
                    "/telegram/webhook",
                    json=body,
                    headers={"X-Telegram-Bot-Api-Secret-Token": "nope"},
                )
                garbage = await c.post(
                    "/telegram/webhook",
                    content=b"{{",
                    headers={"X-Telegram-Bot-Api-Secret-Token": "s3cret-token_value"},
                )
                assert server.messages(3005) == []  # nothing processed so far
                ok = await c.post(
                    "/telegram/webhook",
                    json=body,
                    headers={"X-Telegram-Bot-Api-Secret-Token": "s3cret-token_value"},
                )
            assert (missing.status_code, wrong.status_code, garbage.status_code) == (403, 403, 400)
            assert ok.status_code == 200  # stored in the inbox; handled right after
            assert (await bot.repos.inbox.inbox_counts())["waiting"] + bot.inbox.handled == 1
            await bot.inbox.idle()
            assert server.messages(3005)[-1]["text"].startswith("Hi Wim!")
        finally:
            await bot.stop_telegram()
            await bot.close()


async def test_with_telegram_limits_enforced_a_busy_chat_gets_no_429s(
    tg_config,
    db_url,  # type: ignore[no-untyped-def]
) -> None:
    async with LocalBotApi(enforce_limits=True) as server:
        h = await start_harness(
            server, tg_config(server, telegram={"rate_limit": True}), db_url[1], FakeClock()
        )
        try:
            await h.opt_in(3006, "D-6")
            await h.bot.dispatch()
            since = server.last_seq
            await h.press(3006, "1")  # edit + follow-up to one chat within a second
            follow_up = await h.next_message(3006, since, contains="What went wrong")
            assert follow_up["text"] == "Sorry to hear that. What went wrong?"
            assert server.stats.rejected_429 == 0
        finally:
            await stop_harness(h)


async def test_free_text_question_from_a_configured_journey(tg_config, db_url) -> None:  # type: ignore[no-untyped-def]
    journeys = {
        "standard": {
            "touchpoints": [
                {
                    "name": "delivery",
                    "anchor": "delivered",
                    "delay": "1d",
                    "intro": {"en": "Hello {name}.", "nl": "Hallo {name}."},
                    "questions": [
                        {
                            "id": "better",
                            "type": "text",
                            "text": {"en": "What could we do better?", "nl": "Wat kan beter?"},
                        },
                    ],
                }
            ]
        }
    }
    async with LocalBotApi() as server:
        h = await start_harness(
            server, tg_config(server, journeys=journeys), db_url[1], FakeClock()
        )
        try:
            await h.opt_in(3007, "D-7")
            since = server.last_seq
            await h.bot.dispatch()
            question = await h.next_message(3007, since)
            assert question["text"] == "Hello Ann.\n\nWhat could we do better?"
            assert not question.get("reply_markup")
            thanks = await h.send(3007, "Call before you deliver")
            assert thanks["text"].startswith("Thank you")
            async with h.bot.db.session() as s:
                row = (await s.execute(select(Answer.question_id, Answer.text))).one()
            assert tuple(row) == ("better", "Call before you deliver")
        finally:
            await stop_harness(h)


async def test_database_away_leaves_updates_unconfirmed_and_the_bot_running(tg_config) -> None:  # type: ignore[no-untyped-def]
    """No database: nothing can be stored, so nothing is confirmed to Telegram (it keeps the
    updates) and the customer is not told to try again; the bot keeps running."""
    async with LocalBotApi() as server:
        config = tg_config(server, database={"url": "postgresql://postgres@127.0.0.1:1/test"})
        h = await start_harness(server, config, None, FakeClock())
        try:
            h.server.push_message(3008, "/start sometoken", language_code="nl")
            h.server.push_message(3008, "hallo?", language_code="nl")
            await asyncio.sleep(1.0)
            assert h.server.messages(3008) == []
            kept = [u["message"]["text"] for u in h.server.pending]
            assert kept == ["/start sometoken", "hallo?"]
            assert h.bot.poller is not None and h.bot.poller.running
        finally:
            await stop_harness(h)
