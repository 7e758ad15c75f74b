"""Keeping under WhatsApp's send limits, for one worker or many: the number's throughput
(messages per second) and the pair rate (one message to the same customer every few seconds).

Both limits belong to the phone number, not to a process, so the slots come from the same
shared slot book as Telegram's (:mod:`bot.channels.send_slots`: in PostgreSQL, in Redis, or in
this process alone on SQLite), under a key of its own: ``wa:<phone number id>``. The number's
throughput is a sliding-window log (``limit`` slots in any ``limit / rate`` seconds plus a
margin for the network's jitter), the pair rate the book's per-chat spacing.

A send waits for its slot instead of being refused by Meta (130429, 131056); what waited, and
how long in all, is counted for the reports. A throttle error from Meta pauses the whole book
(130429) or holds the one chat (the rest). The account's daily tier is kept by the channel's
template sends, counted in the database (:mod:`storage.whatsapp.sent`).
"""

from __future__ import annotations

import asyncio
import logging
import math
import time
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy.ext.asyncio import AsyncEngine

from bot.channels.send_slots import BookClock, LocalSlots, SlotBook
from handlers.messages import ChannelUnavailable

log = logging.getLogger(__name__)
# Meta counts a message when it arrives: arrivals jitter, so a rolling second of the log is
# this much longer than one second, and two messages to one customer this much further apart.
WINDOW_MARGIN = 0.025
PAIR_MARGIN = 0.05
CATCH_UP = 1.5  # after a quiet spell, slots come this much faster than the rate
THROUGHPUT_CODE = 130429  # the number's throughput; the other throttle codes hold one chat


@dataclass
class PaceReport:
    """What waited for a limit, and for how long in all (seconds)."""

    throughput_waits: int = 0
    pair_waits: int = 0
    waited_s: float = 0.0
    sends: int = 0
    by_reason: dict[str, int] = field(default_factory=dict)


def budget(rate: float) -> tuple[int, float, float]:
    """(limit, window, gap) of the slot log for ``rate`` messages a second: ``rate`` rounded
    up slots in ``limit / rate`` seconds and the jitter margin, at least ``1 / (1.5 rate)``
    apart."""
    limit = max(1, math.ceil(rate))
    return limit, limit / rate + WINDOW_MARGIN, 1.0 / (CATCH_UP * rate)


def book_key(phone_number_id: str) -> str:
    """The number's key in a shared book (Telegram's keys are a bot's id, digits only)."""
    return f"wa:{phone_number_id}"[:40]


class WhatsAppPacer:
    """Spaces sends through a slot book: at most ``rate`` a second in all, and
    ``pair_interval`` seconds apart to the same chat.

    Args:
        rate: messages a second, whole number (only used to build the default book).
        pair_interval: seconds between two messages to one customer.
        book: where slots are booked (by default this process's own).
        late_tolerance: a slot woken up to later than this many seconds is given up.
    """

    def __init__(
        self,
        rate: float,
        pair_interval: float,
        book: SlotBook | None = None,
        *,
        late_tolerance: float = 0.010,
    ) -> None:
        self.rate = rate
        self.pair_interval = pair_interval
        self.book = book or LocalSlots(*budget(rate))
        self.late_tolerance = late_tolerance
        self.clock = BookClock()
        self.report = PaceReport()
        self.forfeited = 0
        self._unreachable_logged = 0.0

    async def initialize(self) -> None:
        """Read the book's clock a few times while the event loop is quiet; a book out of
        reach now is tried again at the first send."""
        try:
            for _ in range(5):
                asked = time.monotonic()
                book_now = await self.book.now()
                self.clock.observe(asked, time.monotonic(), book_now)
        except Exception as exc:
            log.warning("whatsapp send budget: cannot read the shared book's clock (%s)", exc)

    async def close(self) -> None:
        """Release the book's connections."""
        await self.book.close()

    async def wait(self, chat_id: int) -> None:
        """Wait until a message to ``chat_id`` may go (its slot in the book)."""
        self.report.sends += 1
        held = False
        while True:
            asked = time.monotonic()
            booking = await self._call(
                "reserve", chat_id, self.pair_interval + PAIR_MARGIN, True, held
            )
            self.clock.observe(asked, time.monotonic(), booking.now)
            if not booking.granted:  # the customer had a message less than pair_interval ago
                self.report.pair_waits += 1
                self.report.waited_s += booking.delay
                await asyncio.sleep(max(booking.delay, 0.001))
                continue
            at = self.clock.local(booking.now + booking.delay)
            wait = at - time.monotonic()
            if wait > 0:
                if booking.delay > 0.001:
                    self.report.throughput_waits += 1
                self.report.waited_s += wait
                await asyncio.sleep(wait)
            if time.monotonic() - at <= self.late_tolerance:
                return
            self.forfeited += 1
            held = True  # the chat is ours until a new slot is booked for it

    async def backoff(self, chat_id: int, seconds: float, code: int | None = None) -> None:
        """Meta refused a send as too fast: the number's throughput (130429) pauses every
        worker's sends ``seconds``; any other throttle holds the chat that long."""
        if code == THROUGHPUT_CODE:
            await self._call("pause", seconds)
        else:
            await self._call("reserve", chat_id, seconds, False, True)

    async def _call(self, method: str, *args: Any) -> Any:
        """``method`` on the book; a shared book out of reach holds sends back (the send
        fails as ChannelUnavailable and is retried from where it waits): pacing each worker
        alone meanwhile would let N workers send N times the number's rate."""
        try:
            return await getattr(self.book, method)(*args)
        except Exception as exc:
            now = time.monotonic()
            if now - self._unreachable_logged > 60:
                self._unreachable_logged = now
                log.warning("whatsapp send budget unavailable (%s); sends wait for it", exc)
            raise ChannelUnavailable(
                f"shared WhatsApp send budget unavailable ({type(exc).__name__})"
            ) from exc


def whatsapp_pacer(
    phone_number_id: str,
    *,
    rate: float,
    pair_interval: float,
    backend: str = "auto",
    redis_url: str | None = None,
    engine: AsyncEngine | None = None,
) -> WhatsAppPacer:
    """The pacer of one WhatsApp number; ``backend`` as for Telegram's pacer (``auto``: Redis
    with a URL, else the database on PostgreSQL, else this process alone)."""
    from bot.channels.slot_books import slot_book

    book = slot_book(
        book_key(phone_number_id),
        *budget(rate),
        backend=backend,
        redis_url=redis_url,
        engine=engine,
    )
    return WhatsAppPacer(rate, pair_interval, book)
