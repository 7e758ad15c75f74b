"""A shop on WhatsApp alone: no Telegram token, the Slack desk beside it. The bot builds and
starts its channels the way ``mentorbot run`` does, and an unhappy customer goes through the
check-in, the case in Slack with the relay both ways and the resolve note, on both databases."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable
from typing import Any

import httpx
import pytest

from bot.app import Mentorbot
from bot.config import Config, WebConfig
from sandbox.local_servers.bot_api import LocalBotApi
from sandbox.local_servers.slack_api import LocalSlackApi
from tests.bot.channels.harness import FakeClock, Harness
from tests.bot.support.conftest import GESTURES, MONDAY
from tests.bot.support.desk_harness import SECRET, TOKEN, DeskHarness
from tests.bot.support.test_recovery import resolve
from tests.bot.test_serve import free_port
from tests.bot.whatsapp.test_journey import ANNE
from tests.bot.whatsapp.wa_harness import (
    VERIFY_TOKEN,
    WhatsAppHarness,
    local_whatsapp,
    whatsapp_bot,
)
from tests.bot.whatsapp.wa_harness import whatsapp_section as wa_section


def wa_only_config(make_config: Callable[..., Config], slack: LocalSlackApi, wa: Any) -> Config:
    """WhatsApp and the Slack desk; no ``telegram`` section at all."""
    return make_config(
        slack={"bot_token": TOKEN, "signing_secret": SECRET, "support_channel": "C0SUPPORT",
               "base_url": slack.base_url},
        support={"gestures": GESTURES},
        whatsapp=wa_section(wa),
    )  # fmt: skip


@pytest.fixture
async def wa_only(make_config, db_url) -> AsyncIterator[tuple[WhatsAppHarness, DeskHarness]]:  # type: ignore[no-untyped-def]
    # The Bot API server only satisfies the desk harness's shape: this bot has no Telegram.
    async with LocalBotApi() as unused, LocalSlackApi(TOKEN) as slack, local_whatsapp() as wa:
        clock = FakeClock(MONDAY)
        bot = Mentorbot(wa_only_config(make_config, slack, wa), clock=clock, db_schema=db_url[1])
        bot.build_channels()
        await bot.start_channels()
        transport = httpx.ASGITransport(app=bot.web_app())
        try:
            async with (
                httpx.AsyncClient(transport=transport, base_url="http://bot.local") as http,
                whatsapp_bot(bot, wa, clock) as h,
            ):
                yield h, DeskHarness(Harness(unused, bot, clock), slack, http)
        finally:
            await bot.stop_channels()
            await bot.close()


def test_no_customer_channel_is_refused_naming_the_keys(make_config) -> None:  # type: ignore[no-untyped-def]
    bot = Mentorbot(make_config())
    with pytest.raises(ValueError, match=r"telegram\.token") as error:
        bot.build_channels()
    assert "whatsapp.enabled" in str(error.value)


async def test_an_unhappy_customer_on_a_whatsapp_only_shop(wa_only) -> None:  # type: ignore[no-untyped-def]
    h: WhatsAppHarness
    desk: DeskHarness
    h, desk = wa_only
    assert h.bot.telegram is None and h.bot.whatsapp is not None and h.bot.whatsapp.running
    ready = await desk.http.get("/readyz")
    assert ready.status_code == 200 and ready.json()["channels"] == "started"
    (result,) = await h.bot.ingest(
        [{"order_id": "WA-ONLY-1", "product": "Wasmachine", "sku": "WM300",
          "purchased_at": "2026-11-20T10:00:00+00:00", "delivered_at": "2026-11-22T10:00:00+00:00",
          "customer": {"name": "Anne de Vries", "phone": f"+{ANNE}", "language": "nl"},
          "consent_checkins": True}]
    )  # fmt: skip
    link = result["opt_in_link"]  # the order confirmation's link is WhatsApp's click-to-chat
    assert link.startswith(f"https://wa.me/{h.server.display_phone_number}?text=START%20")
    greeting = await h.write(ANNE, f"START {link.split('START%20')[1]}")
    assert greeting.text.startswith("Hoi Anne")
    await h.settle()
    h.later(days=14)
    await h.bot.dispatch()
    await h.bot.dispatch()
    opener = [s for s in h.server.sent_to(ANNE) if s.kind == "template"][-1]
    nps = await h.tap(ANNE, opener, "Antwoorden")
    while "aanraadt" not in nps.text:  # the delivery check-in may come first
        nps = await h.server.wait_for_sent(ANNE, nps.seq)
    why = await h.tap(ANNE, nps, "2")
    assert "Wat ging er mis" in why.text
    ces = await h.write(ANNE, "De deur is kapot en ik wil mijn geld terug!")
    ack = await h.tap(ANNE, ces, "3")
    assert "Dank je dat je het ons laat weten" in ack.text
    await desk.settle()
    (case,) = await desk.cases()
    assert case.status == "open" and case.slack_ts
    assert "*Channel*\nWhatsApp" in desk.card_text(case.slack_ts)
    since = h.server.last_seq
    h.server.customer_text(ANNE, "Wanneer komt er iemand langs?")
    await h.next_sent(ANNE, since, contains="doorgegeven")
    await desk.settle()
    assert any("Wanneer komt er iemand langs" in t for t in desk.thread(case.slack_ts))
    since = h.server.last_seq
    reply = await desk.thread_reply(case.slack_ts, "Morgen tussen 9 en 12 komt de monteur.")
    assert reply.status_code == 200
    await h.next_sent(ANNE, since, contains="Morgen tussen 9 en 12")
    since = h.server.last_seq
    await resolve(desk, case.id or 0, case.slack_ts, "Voucher €10")
    await desk.settle()
    note = await h.next_sent(ANNE, since, contains="SORRY-")
    assert note.kind == "text"


async def test_serve_runs_a_whatsapp_only_shop_and_stops(make_config, db_url) -> None:  # type: ignore[no-untyped-def]
    """What ``mentorbot run`` does: migrate, web server, channels, scheduler; no Telegram."""
    port = free_port()
    async with LocalSlackApi(TOKEN) as slack, local_whatsapp() as wa:
        config = wa_only_config(make_config, slack, wa).model_copy(
            update={"web": WebConfig(port=port)}
        )
        bot = Mentorbot(config, db_schema=db_url[1])
        stop = asyncio.Event()
        task = asyncio.create_task(bot.serve(stop))
        async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{port}", timeout=5) as http:
            for _ in range(200):  # until the channels have started
                try:
                    ready = await http.get("/readyz")
                    if ready.status_code == 200:
                        break
                except httpx.ConnectError:
                    pass
                await asyncio.sleep(0.05)
            assert ready.json()["channels"] == "started"
            challenge = await http.get(
                "/whatsapp/webhook",
                params={"hub.mode": "subscribe", "hub.verify_token": VERIFY_TOKEN,
                        "hub.challenge": "1158201444"},
            )  # fmt: skip
            assert challenge.text == "1158201444"
        assert bot.telegram is None
        stop.set()
        await asyncio.wait_for(task, 10)
        assert bot.whatsapp is not None and not bot.whatsapp.running
