"""The send pacer: no rolling second above Telegram's 30, one message a second per chat, 429s
honoured by every worker, on each slot book (this process, PostgreSQL, Redis).

The real PTB client talks to the local Bot API server, which counts in rolling windows as
Telegram does (bot/local_servers/bot_api_limits.py); assertions read the server's log.
"""

from __future__ import annotations

import asyncio
import itertools
import time
import uuid
from typing import Any

import pytest
from telegram.ext import ExtBot

from bot.channels.send_pacing import SendPacer, is_message, send_pacer
from bot.channels.send_slots import LocalSlots
from bot.local_servers.bot_api import LocalBotApi
from tests.bot.channels.pacing_books import BookFactory, books_fixture  # noqa: F401

SPACING = 1 / 29.3


def test_which_requests_count_as_messages() -> None:
    assert is_message("sendMessage") and is_message("sendPhoto") and is_message("copyMessage")
    assert not is_message("sendChatAction") and not is_message("editMessageText")
    assert not is_message("answerCallbackQuery") and not is_message("setMyCommands")


class _Clock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


async def test_local_book_spaces_slots_keeps_chats_apart_and_pauses() -> None:
    clock = _Clock()
    book = LocalSlots(0.5, clock)
    first = await book.reserve(1, 1.0, True)
    second = await book.reserve(2, 1.0, True)
    assert (first.delay, second.delay, first.granted, second.granted) == (0.0, 0.5, True, True)
    busy = await book.reserve(1, 2.0, True)  # chat 1 had a message at 100.0 (free at 101.0)
    assert busy.granted and busy.delay == pytest.approx(1.0)  # the queue reaches 101.0 anyway
    busy = await book.reserve(1, 2.0, True)  # now busy until 103.0; the queue is at 101.5
    assert not busy.granted and busy.delay == pytest.approx(3.0)
    assert (await book.reserve(1, 2.0, True, held=True)).granted  # a slot given up, re-booked
    edit = await book.reserve(3, 1.0, False)  # an edit takes no overall slot
    assert edit.granted and edit.delay == 0.0
    await book.pause(5.0)
    assert (await book.reserve(4, 1.0, True)).delay == pytest.approx(5.0)


async def test_shared_book_semantics(books: BookFactory) -> None:
    """The same booking rules on every backend, on that backend's clock."""
    bot = f"t{uuid.uuid4().hex[:10]}"
    book = await books(bot, 0.5)
    first = await book.reserve(1, 2.0, True)
    second = await book.reserve(2, 1.0, True)
    assert first.granted and second.granted
    assert second.delay - first.delay == pytest.approx(0.5, abs=0.05)
    busy = await book.reserve(1, 1.0, True)  # the queue is at +1.0, chat 1 busy until +2.0
    assert not busy.granted and 1.8 < busy.delay <= 2.0
    assert (await book.reserve(1, 1.0, True, held=True)).granted
    await book.pause(3.0)
    assert 2.9 < (await book.reserve(5, 1.0, True)).delay <= 3.0
    other = await books(f"o{uuid.uuid4().hex[:10]}", 0.5)  # another bot: its own budget
    assert (await other.reserve(1, 1.0, True)).delay < 0.05


async def _send_all(bot: ExtBot, chats: range) -> None:
    await asyncio.gather(*(bot.send_message(chat, "How was your delivery?") for chat in chats))


async def test_many_concurrent_sends_never_exceed_thirty_in_a_rolling_second() -> None:
    async with LocalBotApi(enforce_limits=True, history_per_chat=0) as server:
        pacer = SendPacer()
        async with ExtBot("1:PACE", base_url=server.base_url, rate_limiter=pacer) as bot:
            started = time.monotonic()
            await _send_all(bot, range(1000, 1090))
            elapsed = time.monotonic() - started
    assert server.stats.sent == 90
    assert server.stats.rejected_429 == 0 and pacer.retried_429 == 0
    assert server.send_windows.max_in_window(1.0) <= 30
    assert elapsed >= 89 * SPACING  # evenly spaced, not in bursts


async def test_one_message_a_second_per_chat_edits_included() -> None:
    async with LocalBotApi(enforce_limits=True) as server:
        async with ExtBot("1:PACE", base_url=server.base_url, rate_limiter=SendPacer()) as bot:
            question = await bot.send_message(77, "How was it?")
            await asyncio.gather(
                bot.edit_message_text("How was it? (answered)", 77, question.message_id),
                bot.send_message(77, "Thanks! One more question"),
                bot.send_message(78, "Another customer is not held up"),
            )
    assert server.stats.rejected_429 == 0
    times = [c.time for c in server.calls if c.chat_id == 77 and c.status == 200]
    assert len(times) == 3
    assert all(b - a >= 0.99 for a, b in itertools.pairwise(times))
    other = next(c.time for c in server.calls if c.chat_id == 78)
    assert other - times[0] < 0.5


async def test_a_429_is_honoured_and_the_message_still_goes() -> None:
    async with LocalBotApi(enforce_limits=True) as server:
        server.fail_next("sendMessage", 429, "Too Many Requests: retry after 1", retry_after=1)
        pacer = SendPacer()
        async with ExtBot("1:PACE", base_url=server.base_url, rate_limiter=pacer) as bot:
            started = time.monotonic()
            sent = await bot.send_message(5, "Hello")
            elapsed = time.monotonic() - started
    assert sent.text == "Hello" and pacer.retried_429 == 1
    assert elapsed >= 1.0
    assert [c.status for c in server.calls if c.method == "sendMessage"] == [429, 200]


async def test_a_429_seen_by_one_worker_pauses_the_other(books: BookFactory) -> None:
    bot_id = str(uuid.uuid4().int % 10**9)
    async with LocalBotApi(enforce_limits=True) as server:
        server.fail_next("sendMessage", 429, "Too Many Requests: retry after 2", retry_after=2)
        refusing = SendPacer(await books(bot_id, SPACING))
        first = ExtBot(f"{bot_id}:A", base_url=server.base_url, rate_limiter=refusing)
        second = ExtBot(f"{bot_id}:B", base_url=server.base_url,
                        rate_limiter=SendPacer(await books(bot_id, SPACING)))  # fmt: skip
        async with first, second:
            refused = asyncio.create_task(first.send_message(1, "first"))
            await server.wait_for(lambda c: c.status == 429)
            for _ in range(500):  # until the first worker has paused the book
                if refusing.retried_429:
                    break
                await asyncio.sleep(0.01)
            paused_at = time.monotonic()
            await second.send_message(2, "second")
            waited = time.monotonic() - paused_at
            await refused
    assert waited >= 1.7  # the other worker's 429 held this one back too
    assert server.stats.rejected_429 == 1 and server.stats.sent == 2


async def test_two_workers_sharing_a_book_stay_within_thirty(books: BookFactory) -> None:
    bot_id = str(uuid.uuid4().int % 10**9)
    async with LocalBotApi(enforce_limits=True, history_per_chat=0) as server:
        pacers = [SendPacer(await books(bot_id, SPACING)) for _ in range(2)]
        bots = [ExtBot(f"{bot_id}:TOKEN", base_url=server.base_url, rate_limiter=p) for p in pacers]
        async with bots[0], bots[1]:
            started = time.monotonic()
            await asyncio.gather(_send_all(bots[0], range(45)), _send_all(bots[1], range(45, 90)))
            elapsed = time.monotonic() - started
    assert server.stats.sent == 90
    assert server.stats.rejected_429 == 0
    assert server.send_windows.max_in_window(1.0) <= 30
    assert elapsed >= 89 * SPACING * 0.98  # together no faster than one


async def test_an_unreachable_shared_book_falls_back_to_pacing_alone() -> None:
    class Flaky(LocalSlots):
        """A shared book on another clock that fails every other booking."""

        calls = 0

        async def reserve(self, *args: Any) -> Any:
            self.calls += 1
            if self.calls % 2:
                raise ConnectionError("database away")
            return await super().reserve(*args)

    shared = Flaky(SPACING, clock=lambda: time.time() + 5000.0)
    pacer = SendPacer(shared, fallback=LocalSlots(SPACING))
    async with LocalBotApi(enforce_limits=True) as server:
        async with ExtBot("1:PACE", base_url=server.base_url, rate_limiter=pacer) as bot:
            started = time.monotonic()
            await _send_all(bot, range(10))
            elapsed = time.monotonic() - started
    assert server.stats.sent == 10 and server.stats.rejected_429 == 0
    assert shared.calls >= 10
    assert elapsed < 3  # each book's clock is mapped on its own


def test_the_pacer_picks_its_book_from_the_config() -> None:
    local = send_pacer("123:SECRET", rate=29.0)
    assert isinstance(local.book, LocalSlots) and local.book.spacing == pytest.approx(1 / 29)
    redis = send_pacer("123:SECRET", rate=29.0, redis_url="redis://127.0.0.1:6379/0")
    assert type(redis.book).__name__ == "RedisSlots" and redis.book.bot == "123"  # type: ignore[attr-defined]
    with pytest.raises(ValueError, match="redis_url"):
        send_pacer("123:SECRET", rate=29.0, backend="redis")
    with pytest.raises(ValueError, match="PostgreSQL"):
        send_pacer("123:SECRET", rate=29.0, backend="database")
