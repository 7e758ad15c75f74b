"""Paces the bot's sends to Telegram's limits, for one worker or many: PTB's rate-limiter hook.

Telegram's Bot FAQ: about 30 messages a second to different chats, no more than one a second
in one chat, 20 a minute in one group. Telegram counts in a rolling window, so a limiter that
lets 30 out at once and then 30 a second (PTB's AIORateLimiter, a leaky bucket) has 31 in
flight inside one second and draws 429s. :class:`SendPacer` instead books every message a
slot in a sliding-window log (:mod:`bot.channels.send_slots`): never more than 30 slots in any
``30 / rate`` seconds (1.024 s at 29.3/s). All workers of one bot share the log (PostgreSQL or
Redis; in memory for a single process), so three workers together send no faster than one.

The log holds only if a message leaves at its slot. Slots are in the book's clock; each worker
maps it onto its own (:class:`BookClock`, to within half a quick booking's round trip), so a
slow booking does not shift the message. A worker that wakes up late (a busy event loop) would
bunch its message with later ones: such a slot is given up and a new one booked
(``late_tolerance``), so a message leaves at most that late. What is left of the 24 ms after
the tolerance absorbs the network's jitter on the way to Telegram.

Which requests are paced: messages (``send*`` but chat actions, ``copyMessage``,
``forwardMessage``) take an overall slot and their chat's; edits take their chat's only; the
rest (callback answers, commands, webhooks) go straight out. A 429 pauses the shared book for
``retry_after`` and the request is tried again, up to ``max_retries`` times.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable, Coroutine
from datetime import timedelta
from typing import Any

from sqlalchemy.ext.asyncio import AsyncEngine
from telegram.error import NetworkError, RetryAfter
from telegram.ext import BaseRateLimiter

from bot.channels.send_slots import BookClock, LocalSlots, SlotBook

log = logging.getLogger(__name__)

_MESSAGE_METHODS = frozenset({"copymessage", "copymessages", "forwardmessage", "forwardmessages"})
TELEGRAM_PER_SECOND = 30
CATCH_UP = 1.5  # after a pause, slots come this much faster than the rate until the window fills
# One message a second in one chat, 20 a minute in a group (evenly spaced), each with 50 ms to
# spare: Telegram counts when a message arrives, and arrivals jitter.
PRIVATE_CHAT_INTERVAL = 1.05
GROUP_CHAT_INTERVAL = 3.05


def is_message(endpoint: str) -> bool:
    """Whether a Bot API method sends a message (counts toward the 30 a second)."""
    method = endpoint.lower()
    return (method.startswith("send") and method != "sendchataction") or method in _MESSAGE_METHODS


def chat_interval(chat_id: int) -> float:
    """Seconds between two messages to one chat: groups (negative ids) get their 20 a minute."""
    return GROUP_CHAT_INTERVAL if chat_id < 0 else PRIVATE_CHAT_INTERVAL


def budget(rate: float) -> tuple[int, float, float]:
    """(limit, window, gap) of the slot log for ``rate`` messages a second: Telegram's 30, in a
    window stretched to ``30 / rate`` seconds, slots at least ``1 / (CATCH_UP * rate)`` apart."""
    return TELEGRAM_PER_SECOND, TELEGRAM_PER_SECOND / rate, 1.0 / (CATCH_UP * rate)


def _seconds(retry_after: int | timedelta) -> float:
    return retry_after.total_seconds() if isinstance(retry_after, timedelta) else float(retry_after)


class SendPacer(BaseRateLimiter[None]):
    """PTB rate limiter: message slots from a shared :class:`SlotBook`.

    Args:
        book: where slots are booked (by default a :class:`LocalSlots` for ``rate``).
        rate: messages a second, whole bot (only used to build the default book).
        late_tolerance: a slot woken up to later than this many seconds is given up.
        max_retries: how often a request answered 429 is tried again.
    """

    def __init__(
        self,
        book: SlotBook | None = None,
        *,
        rate: float = 29.3,
        late_tolerance: float = 0.010,
        max_retries: int = 3,
    ) -> None:
        self.book = book or LocalSlots(*budget(rate))
        self.late_tolerance = late_tolerance
        self.max_retries = max_retries
        self._clocks: dict[int, BookClock] = {}  # per book
        self.forfeited = 0
        self.retried_429 = 0
        self._unreachable_logged = 0.0

    async def initialize(self) -> None:
        """Read the book's clock a few times while the event loop is quiet (see
        :class:`BookClock`); a book out of reach now is tried again at the first message."""
        clock = self._clocks.setdefault(id(self.book), BookClock())
        try:
            for _ in range(5):
                asked = time.monotonic()
                book_now = await self.book.now()
                clock.observe(asked, time.monotonic(), book_now)
        except Exception as exc:
            log.warning("send budget: cannot read the shared book's clock yet (%s)", exc)

    async def shutdown(self) -> None:
        """Release the book's connections."""
        await self.book.close()

    async def process_request(
        self,
        callback: Callable[..., Coroutine[Any, Any, bool | dict[str, Any] | list[dict[str, Any]]]],
        args: Any,
        kwargs: dict[str, Any],
        endpoint: str,
        data: dict[str, Any],
        rate_limit_args: None,
    ) -> bool | dict[str, Any] | list[dict[str, Any]]:
        """Wait for the request's slot(s), then make it; on a 429 pause everyone and retry."""
        message = is_message(endpoint)
        chat_id = data.get("chat_id")
        chat = chat_id if isinstance(chat_id, int) and not isinstance(chat_id, bool) else None
        paced = message or (chat is not None and endpoint.lower().startswith("edit"))
        attempt = 0
        while True:
            if paced:
                await self.wait_for_slot(chat, message)
            try:
                return await callback(*args, **kwargs)
            except RetryAfter as exc:
                seconds = _seconds(exc.retry_after)
                log.warning("Telegram asked to wait %.0f s (%s); pausing all sends", seconds,
                            endpoint)  # fmt: skip
                await self._book_call("pause", seconds)
                if attempt >= self.max_retries:
                    raise
                attempt += 1
                self.retried_429 += 1

    async def wait_for_slot(self, chat_id: int | None, overall: bool) -> None:
        """Book a slot and sleep until it; give up slots this worker woke up to too late."""
        interval = chat_interval(chat_id) if chat_id is not None else 0.0
        held = False
        while True:
            asked = time.monotonic()
            book, booking = await self._book_call("reserve", chat_id, interval, overall, held)
            clock = self._clocks.setdefault(id(book), BookClock())
            clock.observe(asked, time.monotonic(), booking.now)
            if not booking.granted:  # the chat had a message less than a second ago
                await asyncio.sleep(max(booking.delay, 0.001))
                continue
            at = clock.local(booking.now + booking.delay)
            wait = at - time.monotonic()
            if wait > 0:
                await asyncio.sleep(wait)
            late = time.monotonic() - at
            if not overall or late <= self.late_tolerance:
                if overall and log.isEnabledFor(logging.DEBUG):
                    # slot: the book's clock; left: this process's wall clock (the chaos test
                    # compares both with the server's arrival stamps)
                    log.debug("slot %.6f left %.6f late %.6f chat %s",
                              booking.now + booking.delay, time.time(), late, chat_id)  # fmt: skip
                return
            self.forfeited += 1
            held = True  # the chat is ours until a new slot is booked for it

    async def _book_call(self, method: str, *args: Any) -> tuple[SlotBook, Any]:
        """(book, result) of ``method`` on the book.

        A shared book out of reach holds the sends back: the send fails as a ``NetworkError``,
        which every sender retries later from where the message waits (the check-in, the
        customers' outbox). Pacing each worker alone meanwhile would let N workers send N times
        Telegram's rate for the bot (the chaos test saw 34 in a second during a database cut)."""
        try:
            return self.book, await getattr(self.book, method)(*args)
        except Exception as exc:
            now = time.monotonic()
            if now - self._unreachable_logged > 60:
                self._unreachable_logged = now
                log.warning("shared send budget unavailable (%s); sends wait for it", exc)
            raise NetworkError(f"shared send budget unavailable ({type(exc).__name__})") from exc


def send_pacer(
    token: str,
    *,
    rate: float,
    backend: str = "auto",
    redis_url: str | None = None,
    engine: AsyncEngine | None = None,
) -> SendPacer:
    """The pacer for one bot (``token``: only its id, before the colon, names the budget).

    ``backend``: ``redis`` (needs ``redis_url``), ``database`` (needs a PostgreSQL ``engine``),
    ``local``, or ``auto``: redis with a URL, else the database on PostgreSQL, else local.
    While a shared book cannot be reached, sends wait for it (see ``SendPacer._book_call``).
    """
    from bot.channels.slot_books import slot_book

    bot = token.split(":", 1)[0][:40]
    book = slot_book(bot, *budget(rate), backend=backend, redis_url=redis_url, engine=engine)
    return SendPacer(book)
