"""The local Bot API server counts Telegram's limits in rolling windows, not fixed seconds."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import pytest
from telegram import Bot
from telegram.error import RetryAfter

from sandbox.local_servers.bot_api import LocalBotApi
from sandbox.local_servers.bot_api_limits import SendWindows, max_in_window

TOKEN = "123:LIMITS"


def test_thirty_first_send_inside_a_rolling_second_is_refused_across_a_boundary() -> None:
    windows = SendWindows()
    for i in range(15):  # 15 sends just before second 10, 15 just after
        assert windows.take(TOKEN, 100 + i, 9.70 + i * 0.001) == 0
    for i in range(15):
        assert windows.take(TOKEN, 200 + i, 10.20 + i * 0.001) == 0
    # Fixed one-second buckets would see 15 in second 10 and let this through.
    assert windows.take(TOKEN, 300, 10.30) == 1
    assert windows.take(TOKEN, 300, 10.69) == 1  # the first 15 are still inside (9.70 + 1)
    assert windows.take(TOKEN, 300, 10.701) == 0  # one of them has left the window
    assert windows.max_in_window(1.0) == 30
    assert windows.take("999:OTHER", 301, 10.71) == 0  # another bot has its own budget


def test_one_per_chat_per_second_and_twenty_per_minute_in_a_group() -> None:
    windows = SendWindows()
    assert windows.take(TOKEN, 5, 1.0) == 0
    assert windows.take(TOKEN, 5, 1.99) == 1
    assert windows.take(TOKEN, 5, 2.0) == 0  # exactly a second later: the first has left
    for i in range(20):
        assert windows.take(TOKEN, -100, 10.0 + i * 1.01) == 0
    retry = windows.take(TOKEN, -100, 40.0)
    assert retry == 30  # the group's first send (t=10) leaves the minute at t=70


def test_max_in_window_counts_half_open_windows() -> None:
    assert max_in_window([], 1.0) == 0
    assert max_in_window([0.0, 0.5, 1.0, 1.4], 1.0) == 3  # (0.4, 1.4] holds 0.5, 1.0, 1.4
    assert max_in_window([0.0, 1.0, 2.0], 1.0) == 1


@pytest.fixture
async def server() -> AsyncIterator[LocalBotApi]:
    async with LocalBotApi(enforce_limits=True) as running:
        yield running


async def test_real_client_gets_429_with_retry_after_on_the_31st_send(server: LocalBotApi) -> None:
    """Across a whole second (9.7 -> 10.3 on the server's clock): fixed buckets would pass it."""
    now = [9.70]
    server.clock = lambda: now[0]
    async with Bot(TOKEN, base_url=server.base_url) as bot:
        await asyncio.gather(*(bot.send_message(1000 + i, "hi") for i in range(15)))
        now[0] = 10.20
        await asyncio.gather(*(bot.send_message(2000 + i, "hi") for i in range(15)))
        now[0] = 10.30
        with pytest.raises(RetryAfter) as refused:
            await bot.send_message(3000, "one too many")
        retry = refused.value.retry_after
        assert (retry if isinstance(retry, int) else retry.total_seconds()) == 1
        now[0] = 10.71  # the first 15 have left the window
        assert (await bot.send_message(3000, "now it fits")).text == "now it fits"
    assert server.stats.rejected_429 == 1 and server.stats.sent == 31
    assert [c.status for c in server.calls if c.chat_id == 3000] == [429, 200]
    assert server.send_windows.max_in_window(1.0) == 30
    assert max_in_window(list(server.send_windows.attempted), 1.0) == 31


async def test_sends_are_counted_without_limits_too() -> None:
    async with LocalBotApi() as server, Bot(TOKEN, base_url=server.base_url) as bot:
        await asyncio.gather(*(bot.send_message(1 + i % 3, "hi") for i in range(40)))
        assert server.stats.rejected_429 == 0
        assert server.send_windows.max_in_window(1.0) == 40
        assert sum(server.send_windows.per_second().values()) == 40


async def test_control_stats_report_the_rolling_window_figures() -> None:
    from sandbox.local_servers.bot_api_control import RemoteControl

    async with LocalBotApi(enforce_limits=True, control=True) as server:
        async with Bot(TOKEN, base_url=server.base_url) as bot:
            await bot.send_message(1, "first")
            with pytest.raises(RetryAfter):
                await bot.send_message(1, "too soon for this chat")
        async with RemoteControl(server.base_url.removesuffix("/bot")) as control:
            stats = await control.stats()
    assert stats["rejected_429"] == 1 and stats["accepted_sends"] == 1
    assert stats["max_sends_in_rolling_second"] == 1
    assert stats["max_attempts_in_rolling_second"] == 2
    assert stats["first_to_last_send_s"] == 0.0
