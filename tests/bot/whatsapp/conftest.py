"""Fixtures: the bot with WhatsApp, Slack and Telegram on their local servers, both databases."""

from __future__ import annotations

from collections.abc import AsyncIterator

import httpx
import pytest

from bot.app import Mentorbot
from sandbox.local_servers.bot_api import LocalBotApi
from sandbox.local_servers.slack_api import LocalSlackApi
from tests.bot.channels.harness import FakeClock, Harness
from tests.bot.support.conftest import MONDAY, desk_config  # noqa: F401  (fixture)
from tests.bot.support.desk_harness import TOKEN, DeskHarness
from tests.bot.whatsapp.wa_harness import (
    WhatsAppHarness,
    local_whatsapp,
    whatsapp_bot,
    whatsapp_section,
)

AMBASSADORS = {
    "public_url": "https://bot.example",
    "ambassadors": {
        "enabled": True,
        "delay": "1h",
        "referral_url": "https://shop.example/welcome?ref={code}",
    },
}


@pytest.fixture
async def wa_desk(desk_config, db_url) -> AsyncIterator[tuple[WhatsAppHarness, DeskHarness]]:  # type: ignore[no-untyped-def]  # noqa: F811
    """A running bot with WhatsApp, the support desk in Slack and advocacy, on a Monday."""
    async with LocalBotApi() as tg_server, LocalSlackApi(TOKEN) as slack, local_whatsapp() as wa:
        clock = FakeClock(MONDAY)
        config = desk_config(tg_server, slack, whatsapp=whatsapp_section(wa), advocacy=AMBASSADORS)
        bot = Mentorbot(config, clock=clock, db_schema=db_url[1])
        bot.build_telegram()
        await bot.start_telegram(poll_interval=0)
        tg = Harness(tg_server, bot, clock)
        transport = httpx.ASGITransport(app=bot.web_app())
        try:
            async with (
                httpx.AsyncClient(transport=transport, base_url="http://bot.local") as http,
                whatsapp_bot(bot, wa, clock) as h,
            ):
                yield h, DeskHarness(tg, slack, http)
        finally:
            await bot.stop_telegram()
            await bot.close()
