"""Bad input fails small, on both backends: forged ids beyond a database integer, NUL bytes and
half emoji in text, deeply nested or oversized JSON on the webhook and the purchase API. Each
gets a polite reply or a 4xx and a WARNING; the updates around it are handled as usual."""

from __future__ import annotations

import logging

import httpx
import pytest
from sqlalchemy import select

from bot.app import Mentorbot
from sandbox.local_servers.bot_api import LocalBotApi
from storage.models import Answer, Purchase
from tests.bot.channels.harness import FakeClock, Harness
from tests.bot.channels.test_checkins import answers, start_delivery_checkin
from tests.conftest import API_KEY
from tests.handlers.intake.test_purchases import purchase


async def test_forged_ids_and_refused_characters_in_one_batch(
    tg: Harness, caplog: pytest.LogCaptureFixture
) -> None:
    forged = await start_delivery_checkin(tg, 2401, "X-1")
    await start_delivery_checkin(tg, 2402, "X-2")
    await start_delivery_checkin(tg, 2403, "X-3")
    since = tg.server.last_seq
    # One getUpdates batch: an 11-digit check-in id, NUL bytes, good answers.
    tg.server.push_callback(2401, forged["message_id"], "a:99999999999:0:5")
    tg.server.push_message(2402, "4\x00")
    tg.server.push_message(2403, "\x002")
    tg.server.push_message(2401, "5")
    stale = await tg.server.wait_for(
        lambda c: c.method.lower() == "answercallbackquery" and c.chat_id is None, since=since
    )
    assert stale.params.get("text") == "That button is no longer active."
    for chat in (2401, 2402, 2403):
        await tg.next_message(chat, since, contains="?")
    assert sorted(await answers(tg)) == [
        ("delivery_csat", 2, None),
        ("delivery_csat", 4, None),
        ("delivery_csat", 5, None),
    ]
    async with tg.bot.db.session() as s:
        texts = [a.text for a in (await s.execute(select(Answer))).scalars() if a.text]
    assert all("\x00" not in t for t in texts)
    warned = [r for r in caplog.records if r.levelno == logging.WARNING]
    assert any("stale or forged button" in r.getMessage() for r in warned)
    assert not [r for r in caplog.records if r.levelno >= logging.ERROR]
    await tg.bot.inbox.idle()
    assert (await tg.bot.repos.inbox.inbox_counts())["waiting"] == 0


async def test_a_text_with_nul_is_stored_without_it(tg: Harness) -> None:
    await tg.opt_in(2410, "X-10")
    since = tg.server.last_seq
    tg.server.push_message(2410, "Hello\x00, is anyone there?")
    await tg.next_message(2410, since)
    async with tg.bot.db.session() as s:
        (answer,) = (await s.execute(select(Answer))).scalars()
    assert answer.text == "Hello, is anyone there?"


def nested(depth: int) -> bytes:
    return b'{"update_id": 5, "message": ' + b"[" * depth + b"]" * depth + b"}"


async def test_webhook_refuses_nested_and_oversized_bodies(
    tg_config, db_url, caplog: pytest.LogCaptureFixture
) -> None:  # type: ignore[no-untyped-def]
    async with LocalBotApi() as server:
        config = tg_config(
            server,
            telegram={"mode": "webhook", "webhook_secret": "s3cret-token_value"},
            web={"public_url": "https://bot.example.com"},
        )
        bot = Mentorbot(config, clock=FakeClock(), db_schema=db_url[1])
        bot.build_telegram()
        await bot.start_telegram()
        headers = {"X-Telegram-Bot-Api-Secret-Token": "s3cret-token_value"}
        transport = httpx.ASGITransport(app=bot.web_app())
        try:
            async with httpx.AsyncClient(transport=transport, base_url="http://bot") as c:
                deep = await c.post("/telegram/webhook", content=nested(100_000), headers=headers)
                big = await c.post(
                    "/telegram/webhook", content=b" " * 1_000_001 + b"{}", headers=headers
                )
                # Half an emoji (a lone surrogate) only forged JSON can carry: PostgreSQL would
                # refuse it; it becomes U+FFFD.
                half = {**server.build_user_message(9, "x"), "text": "Hi \ud83d"}
                odd = await c.post(
                    "/telegram/webhook",
                    content=_dumps({"update_id": 7, "message": half}),
                    headers=headers,
                )
                ok = await c.post(
                    "/telegram/webhook",
                    json={"update_id": 6, "message": server.build_user_message(9, "/help")},
                    headers=headers,
                )
            assert (deep.status_code, big.status_code) == (400, 413)
            assert (odd.status_code, ok.status_code) == (200, 200)
            await bot.inbox.idle()
            assert len(server.messages(9)) == 2  # both handled: "not linked" and the help
            assert (await bot.repos.inbox.inbox_counts()) == {"handled": 2, "waiting": 0}
            warned = [r.getMessage() for r in caplog.records if r.levelno == logging.WARNING]
            assert any("nested deeper" in m for m in warned)
            assert any("over 1000000 bytes" in m for m in warned)
        finally:
            await bot.stop_telegram()
            await bot.close()


async def test_purchase_api_refuses_nested_json_and_cleans_nul(
    mentorbot: Mentorbot, caplog: pytest.LogCaptureFixture
) -> None:
    auth = {"Authorization": f"Bearer {API_KEY}"}
    transport = httpx.ASGITransport(app=mentorbot.web_app())
    async with httpx.AsyncClient(transport=transport, base_url="http://bot") as c:
        deep = await c.post("/api/purchases", content=b"[" * 50_000 + b"]" * 50_000, headers=auth)
        body = purchase()
        body["customer"]["name"] = "Ann\x00 Smith"
        body["product"] = "Kettle \ud83d"
        fine = await c.post(
            "/api/purchases",
            content=_dumps(body),
            headers={**auth, "content-type": "application/json"},
        )
    assert deep.status_code == 400 and "nested deeper" in deep.json()["error"]
    assert fine.status_code == 201, fine.text
    async with mentorbot.db.session() as s:
        (stored,) = (await s.execute(select(Purchase))).scalars()
    assert stored.product == "Kettle \ufffd"
    assert any(
        "nested deeper" in r.getMessage() for r in caplog.records if r.levelno == logging.WARNING
    )


def _dumps(body: dict) -> bytes:
    import json

    return json.dumps(body).encode()  # ensure_ascii: NUL and the half emoji as \u escapes
