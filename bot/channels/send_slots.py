"""Where the bot's send slots are booked: in this process, in PostgreSQL, or in Redis.

A *slot book* is a sliding-window log of one bot's send slots: a new slot is at least ``gap``
seconds after the latest one, and no earlier than ``window`` seconds after the ``limit``-th
latest, so no window of that length ever holds more than ``limit`` slots (30 in 1.024 s: 30 in
a second with 24 ms to spare for jitter). After a quiet spell slots come every ``gap`` seconds
until the window is full again, so a pause between two batches is made up (evenly spaced slots
could not), without a burst of 30 requests at once (they would leave, and arrive, spread out
over tens of milliseconds anyway). The book also keeps each chat's next free moment (one
message a second per chat, 20 a minute per group).

A booking is answered on the book's own clock ("now is N, send at N + 0.12"), so workers whose
clocks disagree still share one timeline: the database's or Redis's. A 429 seen by any worker
holds the whole book back (:meth:`SlotBook.pause`).

- :class:`LocalSlots`: in memory, for one process (SQLite runs one anyway).
- :class:`PostgresSlots`: one call of ``mentorbot_reserve_send`` (migration 0008) per booking;
  the row lock on the bot's pace row serialises bookings across workers.
- :class:`RedisSlots`: one Lua script per booking, on Redis's clock.
"""

from __future__ import annotations

import collections
import time
from dataclasses import dataclass
from typing import Any, Protocol

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine


@dataclass(frozen=True, slots=True)
class Booking:
    """``granted``: send in ``delay`` seconds. Otherwise the chat is busy: ask again in
    ``delay`` seconds (nothing was booked). ``now``: the book's clock when it booked."""

    delay: float
    granted: bool
    now: float = 0.0


class SlotBook(Protocol):
    """Send slots of one bot, shared by whoever shares the book."""

    async def reserve(
        self, chat_id: int | None, chat_interval: float, overall: bool, held: bool = False
    ) -> Booking:
        """Book the next slot: an overall one (if ``overall``) no earlier than the chat's next
        free moment; the chat is then busy for ``chat_interval`` seconds after it. ``held``:
        the caller gave up a slot it had for this chat, so the chat's moment is its own."""
        ...

    async def pause(self, seconds: float) -> None:
        """No slot before ``seconds`` from now (Telegram answered 429 with ``retry_after``)."""
        ...

    async def now(self) -> float:
        """The book's clock, in seconds."""
        ...

    async def close(self) -> None:
        """Release connections."""
        ...


class BookClock:
    """Maps a slot book's clock onto this process's monotonic clock, as NTP does.

    A booking asked at ``asked`` and answered at ``answered`` read the book's clock somewhere in
    between: the midpoint is off by at most half the round trip. Round trips stretch while the
    event loop is busy, so the estimate comes from the recent sample whose error bound (half its
    round trip, plus 50 ppm of drift for every second of age) is smallest; samples taken while
    the loop was quiet (:meth:`SendPacer.initialize`) stay good for minutes.
    """

    DRIFT = 50e-6

    def __init__(self, keep: int = 256) -> None:
        self._samples: collections.deque[tuple[float, float, float]] = collections.deque(
            maxlen=keep
        )

    def observe(self, asked: float, answered: float, book_now: float) -> None:
        """A booking or clock reading between ``asked`` and ``answered`` (monotonic) saw the
        book's clock at ``book_now``."""
        middle = (asked + answered) / 2
        self._samples.append((middle, (answered - asked) / 2, book_now - middle))

    def local(self, book_time: float) -> float:
        """``book_time`` on this process's monotonic clock."""
        now = time.monotonic()
        _when, _bound, offset = min(self._samples, key=lambda s: s[1] + (now - s[0]) * self.DRIFT)
        return book_time - offset


class LocalSlots:
    """A slot book in this process's memory."""

    def __init__(
        self, limit: int, window: float, gap: float = 0.0, clock: Any = time.monotonic
    ) -> None:
        self.limit, self.window, self.gap, self.clock = limit, window, gap, clock
        self.slots: collections.deque[float] = collections.deque(maxlen=limit)
        self.paused_until = 0.0
        self.chats: dict[int, float] = {}

    async def reserve(
        self, chat_id: int | None, chat_interval: float, overall: bool, held: bool = False
    ) -> Booking:
        """See :meth:`SlotBook.reserve`."""
        now = self.clock()
        slot = now
        if overall:
            slot = max(now, self.paused_until, self.slots[-1] + self.gap if self.slots else now)
            if len(self.slots) == self.limit:
                slot = max(slot, self.slots[0] + self.window)
        if chat_id is not None:
            busy_until = self.chats.get(chat_id, 0.0)
            if busy_until > slot and not held:
                return Booking(busy_until - now, False, now)
            self.chats[chat_id] = slot + chat_interval
            if len(self.chats) > 10_000:  # forget chats that have been quiet for a while
                self.chats = {c: t for c, t in self.chats.items() if t > now}
        if overall:
            self.slots.append(slot)
        return Booking(slot - now, True, now)

    async def pause(self, seconds: float) -> None:
        """See :meth:`SlotBook.pause`."""
        self.paused_until = max(self.paused_until, self.clock() + seconds)

    async def now(self) -> float:
        """See :meth:`SlotBook.now`."""
        return float(self.clock())

    async def close(self) -> None:
        """Nothing to release."""


class PostgresSlots:
    """A slot book in PostgreSQL, shared by every worker on the database (migration 0008)."""

    _RESERVE = text(
        "SELECT delay, granted, now FROM mentorbot_reserve_send(:bot, :chat, :chat_interval, "
        ":slot_limit, :slot_window, :slot_gap, :overall, :held)"
    )
    _PAUSE = text("SELECT mentorbot_pause_sends(:bot, :seconds)")
    _NOW = text("SELECT extract(epoch FROM clock_timestamp())::float8")
    _FORGET_CHATS = text(
        "DELETE FROM telegram_send_chats WHERE bot = :bot"
        " AND next_at < extract(epoch FROM clock_timestamp()) - 60"
    )
    _FORGET_SLOTS = text(
        "DELETE FROM telegram_send_slots WHERE bot = :bot"
        " AND slot_at < extract(epoch FROM clock_timestamp()) - 60"
    )

    def __init__(
        self, engine: AsyncEngine, bot: str, limit: int, window: float, gap: float = 0.0
    ) -> None:
        self.engine, self.bot, self.limit, self.window, self.gap = engine, bot, limit, window, gap
        self._bookings = 0

    async def reserve(
        self, chat_id: int | None, chat_interval: float, overall: bool, held: bool = False
    ) -> Booking:
        """See :meth:`SlotBook.reserve`: one round trip."""
        params = {
            "held": held,
            "bot": self.bot,
            "chat": chat_id,
            "chat_interval": chat_interval,
            "slot_limit": self.limit,
            "slot_window": self.window,
            "slot_gap": self.gap,
            "overall": overall,
        }
        async with self.engine.connect() as conn:
            # One statement, atomic on its own: no BEGIN/COMMIT round trips around it.
            conn = await conn.execution_options(isolation_level="AUTOCOMMIT")
            delay, granted, now = (await conn.execute(self._RESERVE, params)).one()
            self._bookings += 1
            if self._bookings % 500 == 0:  # slots and chats a minute old need no row
                await conn.execute(self._FORGET_SLOTS, {"bot": self.bot})
                await conn.execute(self._FORGET_CHATS, {"bot": self.bot})
        return Booking(float(delay), bool(granted), float(now))

    async def pause(self, seconds: float) -> None:
        """See :meth:`SlotBook.pause`."""
        async with self.engine.begin() as conn:
            await conn.execute(self._PAUSE, {"bot": self.bot, "seconds": seconds})

    async def now(self) -> float:
        """See :meth:`SlotBook.now`: the database's clock."""
        async with self.engine.connect() as conn:
            conn = await conn.execution_options(isolation_level="AUTOCOMMIT")
            return float((await conn.execute(self._NOW)).scalar_one())

    async def close(self) -> None:
        """The engine belongs to the bot's database; nothing to release here."""


# KEYS[1]: the bot's slot log (a list), KEYS[2]: paused until, KEYS[3]: the chat's next free
# moment ("" without a chat). ARGV: chat_interval, limit, window, overall (1/0), held (1/0),
# gap.
# Times are Redis's clock, in seconds.
_RESERVE_LUA = """
local t = redis.call('TIME')
local now = tonumber(t[1]) + tonumber(t[2]) / 1000000
local limit = tonumber(ARGV[2])
local overall = ARGV[4] == '1'
local slot = now
if overall then
  slot = math.max(slot, tonumber(redis.call('GET', KEYS[2]) or '0'))
  local n = redis.call('LLEN', KEYS[1])
  if n > 0 then
    slot = math.max(slot, tonumber(redis.call('LINDEX', KEYS[1], -1)) + tonumber(ARGV[6]))
  end
  if n >= limit then
    slot = math.max(slot, tonumber(redis.call('LINDEX', KEYS[1], n - limit)) + tonumber(ARGV[3]))
  end
end
if KEYS[3] ~= '' then
  local busy = tonumber(redis.call('GET', KEYS[3]) or '0')
  if busy > slot and ARGV[5] ~= '1' then
    return {string.format('%.6f', busy - now), 0, string.format('%.6f', now)}
  end
  local free_at = slot + tonumber(ARGV[1])
  redis.call('SET', KEYS[3], string.format('%.6f', free_at),
             'PX', math.ceil((free_at - now) * 1000) + 1000)
end
if overall then
  redis.call('RPUSH', KEYS[1], string.format('%.6f', slot))
  redis.call('LTRIM', KEYS[1], -limit, -1)
  redis.call('EXPIRE', KEYS[1], 3600)
end
return {string.format('%.6f', slot - now), 1, string.format('%.6f', now)}
"""
_PAUSE_LUA = """
local t = redis.call('TIME')
local now = tonumber(t[1]) + tonumber(t[2]) / 1000000
local until_ = math.max(tonumber(redis.call('GET', KEYS[1]) or '0'), now + tonumber(ARGV[1]))
redis.call('SET', KEYS[1], string.format('%.6f', until_), 'EX', 3600)
return 1
"""


class RedisSlots:
    """A slot book in Redis (``telegram.redis_url``), shared by every worker that uses it."""

    def __init__(self, url: str, bot: str, limit: int, window: float, gap: float = 0.0) -> None:
        self.url, self.bot, self.limit, self.window, self.gap = url, bot, limit, window, gap
        self._client: Any = None
        self._reserve: Any = None
        self._pause: Any = None

    def _connect(self) -> None:
        if self._client is None:
            import redis.asyncio as aioredis  # the optional extra: pip install mentorbot[redis]

            self._client = aioredis.from_url(self.url)
            self._reserve = self._client.register_script(_RESERVE_LUA)
            self._pause = self._client.register_script(_PAUSE_LUA)

    async def reserve(
        self, chat_id: int | None, chat_interval: float, overall: bool, held: bool = False
    ) -> Booking:
        """See :meth:`SlotBook.reserve`: one round trip."""
        self._connect()
        keys = [f"mentorbot:send:{self.bot}:slots", f"mentorbot:send:{self.bot}:paused", ""]
        if chat_id is not None:
            keys[2] = f"mentorbot:send:{self.bot}:chat:{chat_id}"
        delay, granted, now = await self._reserve(
            keys=keys,
            args=[chat_interval, self.limit, self.window, int(overall), int(held), self.gap],
        )
        return Booking(float(delay), bool(int(granted)), float(now))

    async def pause(self, seconds: float) -> None:
        """See :meth:`SlotBook.pause`."""
        self._connect()
        await self._pause(keys=[f"mentorbot:send:{self.bot}:paused"], args=[seconds])

    async def now(self) -> float:
        """See :meth:`SlotBook.now`: Redis's clock."""
        self._connect()
        seconds, micros = await self._client.time()
        return float(seconds) + float(micros) / 1e6

    async def close(self) -> None:
        """Close the Redis connection pool."""
        if self._client is not None:
            await self._client.aclose()
            self._client = None
