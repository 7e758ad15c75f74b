"""Where the bot's send slots are booked: in this process, in PostgreSQL, or in Redis.

A *slot book* hands out send slots for one bot, evenly spaced ``spacing`` seconds apart, and
keeps each chat's next free moment (Telegram's one message a second per chat, three seconds per
group for its 20 a minute). A booking is answered in seconds from the book's own clock
("send in 0.12 s"), so workers whose clocks disagree still share one timeline: the database's
or Redis's. A 429 seen by any worker pushes the whole book back (:meth:`SlotBook.pause`).

- :class:`LocalSlots`: in memory, for one process (SQLite runs one anyway).
- :class:`PostgresSlots`: one call of ``mentorbot_reserve_send`` (migration 0008) per booking;
  the row lock on the bot's pace row serialises bookings across workers.
- :class:`RedisSlots`: one Lua script per booking, on Redis's clock.
"""

from __future__ import annotations

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


class LocalSlots:
    """A slot book in this process's memory."""

    def __init__(self, spacing: float, clock: Any = time.monotonic) -> None:
        self.spacing = spacing
        self.clock = clock
        self.next_at = 0.0
        self.chats: dict[int, float] = {}

    async def reserve(
        self, chat_id: int | None, chat_interval: float, overall: bool, held: bool = False
    ) -> Booking:
        """See :meth:`SlotBook.reserve`."""
        now = self.clock()
        slot = max(self.next_at, now) if overall else now
        if chat_id is not None:
            busy_until = self.chats.get(chat_id, 0.0)
            if busy_until > slot and not held:
                return Booking(busy_until - now, False, now)
            self.chats[chat_id] = slot + chat_interval
            if len(self.chats) > 10_000:  # forget chats that have been quiet for a while
                self.chats = {c: t for c, t in self.chats.items() if t > now}
        if overall:
            self.next_at = slot + self.spacing
        return Booking(slot - now, True, now)

    async def pause(self, seconds: float) -> None:
        """See :meth:`SlotBook.pause`."""
        self.next_at = max(self.next_at, self.clock() + seconds)

    async def now(self) -> float:
        """See :meth:`SlotBook.now`."""
        return float(self.clock())

    async def close(self) -> None:
        """Nothing to release."""


class PostgresSlots:
    """A slot book in PostgreSQL, shared by every worker on the database (migration 0008)."""

    _RESERVE = text(
        "SELECT delay, granted, now FROM mentorbot_reserve_send(:bot, :chat, :chat_interval, "
        ":spacing, :overall, :held)"
    )
    _PAUSE = text("SELECT mentorbot_pause_sends(:bot, :seconds)")
    _NOW = text("SELECT extract(epoch FROM clock_timestamp())::float8")
    _FORGET = text(
        "DELETE FROM telegram_send_chats WHERE bot = :bot"
        " AND next_at < extract(epoch FROM clock_timestamp()) - 60"
    )

    def __init__(self, engine: AsyncEngine, bot: str, spacing: float) -> None:
        self.engine, self.bot, self.spacing = engine, bot, spacing
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
            "spacing": self.spacing,
            "overall": overall,
        }
        async with self.engine.connect() as conn:
            # One statement, atomic on its own: no BEGIN/COMMIT round trips around it.
            conn = await conn.execution_options(isolation_level="AUTOCOMMIT")
            delay, granted, now = (await conn.execute(self._RESERVE, params)).one()
            self._bookings += 1
            if self._bookings % 1000 == 0:  # chats quiet for a minute need no row
                await conn.execute(self._FORGET, {"bot": self.bot})
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


# KEYS[1]: the bot's next slot; KEYS[2]: the chat's next free moment ("" without a chat).
# ARGV: chat_interval, spacing, overall (1/0), held (1/0). Times are Redis's clock, in seconds.
_RESERVE_LUA = """
local t = redis.call('TIME')
local now = tonumber(t[1]) + tonumber(t[2]) / 1000000
local overall = ARGV[3] == '1'
local slot = now
if overall then
  slot = math.max(tonumber(redis.call('GET', KEYS[1]) or '0'), now)
end
if KEYS[2] ~= '' then
  local busy = tonumber(redis.call('GET', KEYS[2]) or '0')
  if busy > slot and ARGV[4] ~= '1' then
    return {tostring(busy - now), 0, tostring(now)}
  end
  local until_ = slot + tonumber(ARGV[1])
  redis.call('SET', KEYS[2], tostring(until_), 'PX', math.ceil((until_ - now) * 1000) + 1000)
end
if overall then
  redis.call('SET', KEYS[1], tostring(slot + tonumber(ARGV[2])), 'EX', 3600)
end
return {tostring(slot - now), 1, tostring(now)}
"""
_PAUSE_LUA = """
local t = redis.call('TIME')
local now = tonumber(t[1]) + tonumber(t[2]) / 1000000
local until_ = math.max(tonumber(redis.call('GET', KEYS[1]) or '0'), now + tonumber(ARGV[1]))
redis.call('SET', KEYS[1], tostring(until_), 'EX', 3600)
return 1
"""


class RedisSlots:
    """A slot book in Redis (``telegram.redis_url``), shared by every worker that uses it."""

    def __init__(self, url: str, bot: str, spacing: float) -> None:
        self.url, self.bot, self.spacing = url, bot, spacing
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
        keys = [f"mentorbot:send:{self.bot}", ""]
        if chat_id is not None:
            keys[1] = f"mentorbot:send:{self.bot}:chat:{chat_id}"
        delay, granted, now = await self._reserve(
            keys=keys, args=[chat_interval, self.spacing, int(overall), int(held)]
        )
        return Booking(float(delay), bool(int(granted)), float(now))

    async def pause(self, seconds: float) -> None:
        """See :meth:`SlotBook.pause`."""
        self._connect()
        await self._pause(keys=[f"mentorbot:send:{self.bot}"], args=[seconds])

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
