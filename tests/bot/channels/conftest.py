"""Fixtures: the bot running against the local Bot API server on each database backend."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable

import pytest

from bot.app import Mentorbot
from bot.config import Config
from sandbox.local_servers.bot_api import LocalBotApi
from tests.bot.channels.harness import FakeClock, Harness


@pytest.fixture
def tg_config(make_config: Callable[..., Config]) -> Callable[..., Config]:
    """Config pointing Telegram at a local server."""

    def build(server: LocalBotApi, **overrides: object) -> Config:
        telegram = {
            "token": "123:TEST",
            "base_url": server.base_url,
            "base_file_url": server.base_file_url,
            "rate_limit": False,
        }
        telegram.update(overrides.pop("telegram", {}))  # type: ignore[arg-type]
        return make_config(telegram=telegram, **overrides)

    return build


async def start_harness(
    server: LocalBotApi, config: Config, schema: str | None, clock: FakeClock
) -> Harness:
    bot = Mentorbot(config, clock=clock, db_schema=schema)
    bot.build_telegram()
    await bot.start_telegram(poll_interval=0)
    return Harness(server, bot, clock)


async def stop_harness(h: Harness) -> None:
    await h.bot.stop_telegram()
    await h.bot.close()


@pytest.fixture
async def tg(tg_config, db_url) -> AsyncIterator[Harness]:  # type: ignore[no-untyped-def]
    """A running bot, its local Bot API server and a fake clock."""
    async with LocalBotApi() as server:
        h = await start_harness(server, tg_config(server), db_url[1], FakeClock())
        try:
            yield h
        finally:
            await stop_harness(h)
