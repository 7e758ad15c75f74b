"""Updates go through the inbox: a late tap still counts, what a dead worker or a lost database
left behind is handled afterwards, and only one worker polls."""

from __future__ import annotations

import asyncio
import json
import logging
from datetime import timedelta

import pytest
from telegram import Bot
from telegram.error import BadRequest

from bot.app import Mentorbot
from sandbox.local_servers.bot_api import LocalBotApi
from storage.inbox import ChatClaim
from storage.models import utcnow
from tests.bot.channels.conftest import start_harness, stop_harness
from tests.bot.channels.harness import FakeClock, Harness
from tests.bot.channels.test_checkins import answers, start_delivery_checkin
from tests.db_proxy import database_proxy


def button(question: dict, label: str) -> str:
    buttons = [b for row in question["reply_markup"]["inline_keyboard"] for b in row]
    return next(b["callback_data"] for b in buttons if b["text"] == label)


@pytest.mark.parametrize("late", [20, 600])
async def test_a_tap_handled_late_still_counts(
    tg: Harness, late: int, caplog: pytest.LogCaptureFixture
) -> None:
    """The tap is handled ``late`` seconds after the press (a backlog, a restart, a database
    that was away): Telegram no longer takes the acknowledgement, the score is stored anyway."""
    question = await start_delivery_checkin(tg, 2101, f"L-{late}")
    since = tg.server.last_seq
    tg.server.push_callback(2101, question["message_id"], button(question, "5"))
    tg.server.age_callbacks(late)  # before the bot can see it: handled `late` s after the press
    ack = await tg.server.wait_for(lambda c: c.method.lower() == "answercallbackquery", since=since)
    assert ack.status == 400 and "query is too old" in (ack.error or "")
    assert await answers(tg) == [("delivery_csat", 5, None)]
    next_question = await tg.next_message(2101, since, contains="undamaged")
    assert next_question["text"] == "Did everything arrive undamaged and complete?"
    assert not [r for r in caplog.records if r.levelno >= logging.ERROR]


async def test_the_local_server_refuses_acknowledging_a_tap_past_telegrams_limit() -> None:
    async with LocalBotApi() as server:
        bot = Bot("1:T", base_url=server.base_url)
        async with bot:
            sent = await bot.send_message(5, "?")
            fresh = server.build_callback(5, sent.message_id, "x")
            old = server.build_callback(5, sent.message_id, "y")
            server.callback_made_at[old["id"]] -= 15.5
            assert await bot.answer_callback_query(fresh["id"])
            with pytest.raises(BadRequest, match=r"(?i)query is too old"):
                await bot.answer_callback_query(old["id"])


async def test_an_update_a_dead_worker_left_in_the_inbox_is_handled_once(tg: Harness) -> None:
    """A worker stored a typed answer, claimed it and died: its lease runs out, the sweep of a
    live worker handles it, once."""
    await start_delivery_checkin(tg, 2102, "D-1")
    since = tg.server.last_seq
    payload = {"update_id": 9_000_001, "message": tg.server.build_user_message(2102, "4")}
    store = tg.bot.repos
    await store.inbox.store_updates(
        [{"channel": "telegram", "update_id": 9_000_001, "chat_id": 2102,
          "payload": json.dumps(payload)}]
    )  # fmt: skip
    gone = utcnow() - timedelta(seconds=30)
    dead = ChatClaim("telegram", 2102, "dead", gone, gone + timedelta(seconds=10))
    assert await store.inbox.claim_chat(dead)
    reply = await tg.next_message(2102, since, contains="undamaged")
    assert reply["text"] == "Did everything arrive undamaged and complete?"
    await asyncio.sleep(2.5)  # another sweep: nothing is handled twice
    assert await answers(tg) == [("delivery_csat", 4, None)]
    assert (await store.inbox.inbox_counts())["waiting"] == 0


@pytest.mark.parametrize("db_url", ["postgresql"], indirect=True)
async def test_answers_given_while_the_database_is_away_are_stored_when_it_is_back(
    tg_config, db_url
) -> None:  # type: ignore[no-untyped-def]
    """The database goes away while customers answer: nothing is confirmed to Telegram, nobody
    is told to try again, and once it is back every answer is stored once."""
    async with database_proxy() as proxy, LocalBotApi() as server:
        config = tg_config(server, database={"url": proxy.url()})
        h = await start_harness(server, config, db_url[1], FakeClock())
        try:
            chats = [2201, 2202, 2203]
            questions = {c: await start_delivery_checkin(h, c, f"A-{c}") for c in chats}
            proxy.cut()
            since = server.last_seq
            server.push_message(2201, "2")
            server.push_callback(2202, questions[2202]["message_id"], button(questions[2202], "4"))
            server.push_message(2203, "5")
            await asyncio.sleep(3.0)
            assert [c for c in server.calls if c.seq > since and c.chat_id in chats] == []
            proxy.restore()
            for chat in chats:
                await h.next_message(chat, since, contains="?")
            assert sorted(await answers(h)) == [
                ("delivery_csat", 2, None), ("delivery_csat", 4, None), ("delivery_csat", 5, None)
            ]  # fmt: skip
            texts = [c.params.get("text", "") for c in server.calls if c.seq > since]
            assert not any("Sorry" in t and "later" in t for t in texts)
        finally:
            await stop_harness(h)


async def test_a_second_poller_stands_by_and_takes_over(
    tg: Harness, tg_config, db_url, caplog: pytest.LogCaptureFixture
) -> None:  # type: ignore[no-untyped-def]
    """Two workers on one database poll one bot: the second says once that it stands by (no
    Conflict errors), updates are handled once, and it takes over when the first stops."""
    second = Mentorbot(tg_config(tg.server), clock=tg.clock, db_schema=db_url[1])
    second.build_telegram()
    await second.start_telegram(poll_interval=0)
    try:
        await tg.opt_in(2301, "P-1")
        await asyncio.sleep(0.5)
        assert tg.bot.poller.polling and not second.poller.polling
        standby = [r for r in caplog.records if "stands by" in r.getMessage()]
        assert len(standby) == 1
        await tg.bot.stop_telegram()  # gives the lease up
        since = tg.server.last_seq
        tg.server.push_message(2301, "/help")
        await tg.server.wait_for_message(2301, since=since, timeout=15)
        assert second.poller.polling
        assert not [r for r in caplog.records if "Conflict" in r.getMessage()]
        helps = [c for c in tg.server.calls if c.seq > since and c.method == "sendMessage"]
        assert len(helps) == 1
    finally:
        await second.stop_telegram()
        await second.close()


@pytest.mark.parametrize("db_url", ["postgresql"], indirect=True)
async def test_webhook_answers_503_while_the_database_is_away_and_200_once_it_is_back(
    tg_config, db_url
) -> None:  # type: ignore[no-untyped-def]
    """Telegram keeps an update the webhook answered with 503 and sends it again."""
    import httpx

    async with database_proxy() as proxy, LocalBotApi() as server:
        config = tg_config(
            server,
            database={"url": proxy.url()},
            telegram={"mode": "webhook", "webhook_secret": "s3cret-token_value"},
            web={"public_url": "https://bot.example.com"},
        )
        bot = Mentorbot(config, clock=FakeClock(), db_schema=db_url[1])
        bot.build_telegram()
        await bot.start_telegram()
        headers = {"X-Telegram-Bot-Api-Secret-Token": "s3cret-token_value"}
        update = {"update_id": 11, "message": server.build_user_message(12, "/help")}
        transport = httpx.ASGITransport(app=bot.web_app())
        try:
            async with httpx.AsyncClient(transport=transport, base_url="http://bot") as c:
                proxy.cut()
                away = await c.post("/telegram/webhook", json=update, headers=headers)
                proxy.restore()
                back = await c.post("/telegram/webhook", json=update, headers=headers)
            assert (away.status_code, back.status_code) == (503, 200)
            await bot.inbox.idle()
            assert len(server.messages(12)) == 1
        finally:
            await bot.stop_telegram()
            await bot.close()


async def test_a_poller_of_another_database_is_reported_once_not_a_stream_of_conflicts(
    tg: Harness, tg_config, tmp_path, caplog: pytest.LogCaptureFixture
) -> None:  # type: ignore[no-untyped-def]
    """A second bot process with its own database polls the same bot: Telegram ends one
    getUpdates with "Conflict" each time the other starts one. Each side says so once, as an
    error that says what to do, and tries again only every conflict_wait seconds."""
    from storage.migrate import upgrade

    url = f"sqlite:///{tmp_path / 'other.db'}"
    upgrade(url)
    other = Mentorbot(tg_config(tg.server, database={"url": url}), clock=tg.clock)
    other.build_telegram()
    await other.start_telegram(poll_interval=0)
    try:
        await asyncio.sleep(3.0)
    finally:
        await other.stop_telegram()
        await other.close()
    said = [r for r in caplog.records if "another process polls this bot" in r.getMessage()]
    assert 1 <= len(said) <= 2  # once per process at most
    assert all(r.levelname == "ERROR" and r.exc_info is None for r in said)
    conflicts = [c for c in tg.server.calls if c.method.lower() == "getupdates" and c.status == 409]
    assert len(conflicts) <= 2
