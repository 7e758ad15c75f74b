"""The send pacer: no rolling second above Telegram's 30, one message a second per chat, 429s
honoured by every worker, on each slot book (this process, PostgreSQL, Redis).

The real PTB client talks to the local Bot API server, which counts in rolling windows as
Telegram does (sandbox/local_servers/bot_api_limits.py); assertions read the server's log.
"""

from __future__ import annotations

import asyncio
import itertools
import time
import uuid
from typing import Any

import pytest
from telegram.error import NetworkError
from telegram.ext import ExtBot

from bot.channels.send_pacing import SendPacer, budget, chat_interval, is_message, send_pacer
from bot.channels.send_slots import LocalSlots
from sandbox.local_servers.bot_api import LocalBotApi
from tests.bot.channels.pacing_books import (  # noqa: F401  (books_fixture: the fixture)
    BookFactory,
    books_fixture,
    limited_server_process,
    without_collector_pauses,
)

BUDGET = budget(29.3)  # the default
# Where a test asserts "no 429 at all" from a server in another process, on a machine that may
# be loaded: 28.5/s leaves 53 ms of jitter margin instead of the default's 24 (a rare 429 at
# the default is a benchmark figure, see benchmarks/dispatch.py, not a test's coin toss).
WIDE = 28.5


def test_which_requests_count_as_messages() -> None:
    assert is_message("sendMessage") and is_message("sendPhoto") and is_message("copyMessage")
    assert not is_message("sendChatAction") and not is_message("editMessageText")
    assert not is_message("answerCallbackQuery") and not is_message("setMyCommands")
    assert chat_interval(42) == 1.05  # one a second per chat, 50 ms to spare
    assert chat_interval(-1001234) == 3.05  # a group: 20 a minute, evenly spaced


class _Clock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


async def test_local_book_keeps_a_sliding_window_log_chats_apart_and_pauses() -> None:
    clock = _Clock()
    book = LocalSlots(3, 1.0, 0.1, clock)  # 3 slots in any second, 0.1 s apart at least
    slots = [await book.reserve(chat, 1.0, True) for chat in (1, 2, 3, 4)]
    assert [b.delay for b in slots] == pytest.approx([0.0, 0.1, 0.2, 1.0])  # the 4th: window
    assert all(b.granted for b in slots)
    again = await book.reserve(1, 1.0, True)  # chat 1 is free at 101.0; the log at 101.1
    assert again.granted and again.delay == pytest.approx(1.1)
    long = await book.reserve(5, 5.0, True)  # slot 101.2, chat 5 then busy until 106.2
    busy = await book.reserve(5, 1.0, True)
    assert long.granted and not busy.granted and busy.delay == pytest.approx(6.2)
    assert (await book.reserve(5, 1.0, True, held=True)).granted  # a slot given up, re-booked
    edit = await book.reserve(6, 1.0, False)  # an edit takes no overall slot
    assert edit.granted and edit.delay == 0.0
    await book.pause(5.0)
    assert (await book.reserve(7, 1.0, True)).delay == pytest.approx(5.0)
    clock.now = 200.0  # after a quiet spell: slots every gap until the window is full
    quiet = [await book.reserve(None, 0.0, True) for _ in range(4)]
    assert [b.delay for b in quiet] == pytest.approx([0.0, 0.1, 0.2, 1.0])


async def test_shared_book_semantics(books: BookFactory) -> None:
    """The same booking rules on every backend, on that backend's clock."""
    bot = f"t{uuid.uuid4().hex[:10]}"
    book = await books(bot, 3, 3.0, 0.5)
    slots = [await book.reserve(chat, 10.0 if chat == 1 else 0.5, True) for chat in (1, 2, 3, 4)]
    assert all(b.granted for b in slots)
    at = [b.now + b.delay for b in slots]
    assert [t - at[0] for t in at] == pytest.approx([0.0, 0.5, 1.0, 3.0], abs=1e-4)
    busy = await book.reserve(1, 1.0, True)  # chat 1 busy until at[0] + 10
    assert not busy.granted and busy.now + busy.delay == pytest.approx(at[0] + 10, abs=1e-4)
    assert (await book.reserve(1, 1.0, True, held=True)).granted
    await book.pause(20.0)
    paused = await book.reserve(5, 1.0, True)
    assert 19.9 < paused.delay <= 20.0
    other = await books(f"o{uuid.uuid4().hex[:10]}", 3, 3.0, 0.5)  # another bot: own budget
    assert (await other.reserve(1, 1.0, True)).delay < 0.05


async def _send_all(bot: ExtBot, chats: range) -> None:
    await asyncio.gather(*(bot.send_message(chat, "How was your delivery?") for chat in chats))


async def test_many_concurrent_sends_never_exceed_thirty_in_a_rolling_second() -> None:
    async with limited_server_process() as (base_url, server):
        pacer = SendPacer(rate=WIDE)
        async with ExtBot("1:PACE", base_url=base_url, rate_limiter=pacer) as bot:
            with without_collector_pauses():
                started = time.monotonic()
                await _send_all(bot, range(1000, 1090))
                elapsed = time.monotonic() - started
        stats = await server.stats()
    assert stats["accepted_sends"] == 90
    assert stats["rejected_429"] == 0 and pacer.retried_429 == 0
    assert stats["max_attempts_in_rolling_second"] <= 30
    assert elapsed >= 2 * budget(WIDE)[1]  # 90 messages: three full windows of 30


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
    assert other - times[0] < 0.9  # not held up by chat 77's 1.05 s


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
        refusing = SendPacer(await books(bot_id, *BUDGET))
        first = ExtBot(f"{bot_id}:A", base_url=server.base_url, rate_limiter=refusing)
        second = ExtBot(f"{bot_id}:B", base_url=server.base_url,
                        rate_limiter=SendPacer(await books(bot_id, *BUDGET)))  # fmt: skip
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
    async with limited_server_process() as (base_url, server):
        pacers = [SendPacer(await books(bot_id, *budget(WIDE))) for _ in range(2)]
        bots = [ExtBot(f"{bot_id}:TOKEN", base_url=base_url, rate_limiter=p) for p in pacers]
        async with bots[0], bots[1]:
            with without_collector_pauses():
                started = time.monotonic()
                await asyncio.gather(
                    _send_all(bots[0], range(45)), _send_all(bots[1], range(45, 90))
                )
                elapsed = time.monotonic() - started
        stats = await server.stats()
    assert stats["accepted_sends"] == 90
    assert stats["rejected_429"] == 0
    assert stats["max_attempts_in_rolling_second"] <= 30
    assert elapsed >= 2 * budget(WIDE)[1]  # together no faster than one


async def test_an_unreachable_shared_book_holds_sends_back_and_none_go_unpaced() -> None:
    """While the shared budget is away a send fails as a NetworkError (its sender retries it
    from where it waits) instead of going out paced by this worker alone: three workers alone
    would send three times the bot's rate. Once the book is back, the sends go."""

    class Away(LocalSlots):
        """A shared book on another clock that is away until told otherwise."""

        away = True
        calls = 0

        async def reserve(self, *args: Any) -> Any:
            self.calls += 1
            if self.away:
                raise ConnectionError("database away")
            return await super().reserve(*args)

    shared = Away(*BUDGET, clock=lambda: time.time() + 5000.0)
    pacer = SendPacer(shared)
    async with LocalBotApi(enforce_limits=True) as server:
        async with ExtBot("1:PACE", base_url=server.base_url, rate_limiter=pacer) as bot:
            with pytest.raises(NetworkError, match="shared send budget unavailable"):
                await bot.send_message(1000, "How was your delivery?")
            assert server.stats.sent == 0  # nothing went out unpaced
            shared.away = False
            started = time.monotonic()
            await _send_all(bot, range(10))
            elapsed = time.monotonic() - started
    assert server.stats.sent == 10 and server.stats.rejected_429 == 0
    assert shared.calls >= 11
    assert elapsed < 30  # the book's clock is mapped on its own (else: 5000 s)


def test_the_pacer_picks_its_book_from_the_config() -> None:
    local = send_pacer("123:SECRET", rate=29.0)
    assert isinstance(local.book, LocalSlots)
    assert (local.book.limit, local.book.window) == (30, pytest.approx(30 / 29))
    redis = send_pacer("123:SECRET", rate=29.0, redis_url="redis://127.0.0.1:6379/0")
    assert type(redis.book).__name__ == "RedisSlots" and redis.book.bot == "123"  # type: ignore[attr-defined]
    with pytest.raises(ValueError, match="redis_url"):
        send_pacer("123:SECRET", rate=29.0, backend="redis")
    with pytest.raises(ValueError, match="PostgreSQL"):
        send_pacer("123:SECRET", rate=29.0, backend="database")
