"""Fixtures: the bot with its Slack support desk, a local Slack server and a local Telegram."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable

import httpx
import pytest

from bot.config import Config
from sandbox.local_servers.bot_api import LocalBotApi
from sandbox.local_servers.slack_api import LocalSlackApi
from tests.bot.channels.conftest import start_harness, stop_harness
from tests.bot.channels.harness import FakeClock
from tests.bot.support.desk_harness import SECRET, TOKEN, DeskHarness

MONDAY = FakeClock().now.replace(day=23, hour=9)  # Monday 23 Nov 2026, 10:00 in Amsterdam
POOL = ["SORRY-AAA111", "SORRY-BBB222"]
GESTURES = [
    {
        "name": "Voucher €10",
        "voucher": {"codes": POOL},
        "text": {
            "en": "Here is a €10 voucher for your next order: {code}",
            "nl": "Hier is een tegoedbon van €10 voor je volgende bestelling: {code}",
        },
    },
    {"name": "Voucher €25", "voucher": {"pattern": "WB25-####-####"}},
    "Handwritten card",
]


@pytest.fixture
def desk_config(make_config: Callable[..., Config]) -> Callable[..., Config]:
    """Config with Telegram and Slack both pointed at local servers."""

    def build(tg: LocalBotApi, slack: LocalSlackApi, **overrides: object) -> Config:
        slack_section = {
            "bot_token": TOKEN,
            "signing_secret": SECRET,
            "support_channel": "C0SUPPORT",
            "manager_channel": "C0MANAGERS",
            "escalation_usergroup": "S0LEADS",
            "base_url": slack.base_url,
        }
        slack_section.update(overrides.pop("slack", {}))  # type: ignore[arg-type]
        telegram = {
            "token": "123:TEST",
            "base_url": tg.base_url,
            "base_file_url": tg.base_file_url,
            "rate_limit": False,
        }
        overrides.setdefault("support", {"gestures": GESTURES})
        overrides.setdefault("managers", {"slack_user_ids": ["U0BOSS"]})
        return make_config(telegram=telegram, slack=slack_section, **overrides)

    return build


@pytest.fixture
async def desk(desk_config, db_url) -> AsyncIterator[DeskHarness]:  # type: ignore[no-untyped-def]
    """A running bot with the support desk, on a Monday morning in business hours."""
    async with LocalBotApi() as tg_server, LocalSlackApi(TOKEN) as slack:
        clock = FakeClock(MONDAY)
        tg = await start_harness(tg_server, desk_config(tg_server, slack), db_url[1], clock)
        transport = httpx.ASGITransport(app=tg.bot.web_app())
        async with httpx.AsyncClient(transport=transport, base_url="http://bot.local") as http:
            try:
                yield DeskHarness(tg, slack, http)
            finally:
                await stop_harness(tg)
