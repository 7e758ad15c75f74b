"""Keeping under WhatsApp's send limits in this process: the number's throughput (messages per
second) and the pair rate (one message to the same customer every few seconds).

A send waits for its turn instead of being refused by Meta (130429, 131056); what waited, and
how long in all, is counted for the reports. The account's daily tier is kept by the check-in
opener (handlers/whatsapp/opener.py), which counts conversations in the database.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field


@dataclass
class PaceReport:
    """What waited for a limit, and for how long in all (seconds)."""

    throughput_waits: int = 0
    pair_waits: int = 0
    waited_s: float = 0.0
    sends: int = 0
    by_reason: dict[str, int] = field(default_factory=dict)


class WhatsAppPacer:
    """Spaces sends: at most ``rate`` a second in all, and ``pair_interval`` seconds apart to
    the same chat."""

    def __init__(
        self,
        rate: float,
        pair_interval: float,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
    ) -> None:
        self.interval = 1.0 / rate
        self.pair_interval = pair_interval
        self.clock = clock
        self.sleep = sleep
        self._next_slot = 0.0
        self._next_to: dict[int, float] = {}
        self.report = PaceReport()

    def _reserve(self, chat_id: int) -> tuple[float, str | None]:
        """The moment this send may go, reserved now (no await between read and write)."""
        now = self.clock()
        pair_at = self._next_to.get(chat_id, 0.0)
        at = max(now, self._next_slot, pair_at)
        reason = None
        if at > now:
            reason = "pair" if pair_at >= self._next_slot and pair_at > now else "throughput"
        self._next_slot = at + self.interval
        self._next_to[chat_id] = at + self.pair_interval
        if len(self._next_to) > 100_000:  # forget chats whose gap has long passed
            self._next_to = {c: t for c, t in self._next_to.items() if t > now}
        return at, reason

    async def wait(self, chat_id: int) -> None:
        """Wait until a message to ``chat_id`` may go."""
        at, reason = self._reserve(chat_id)
        self.report.sends += 1
        delay = at - self.clock()
        if reason is not None and delay > 0:
            if reason == "pair":
                self.report.pair_waits += 1
            else:
                self.report.throughput_waits += 1
            self.report.waited_s += delay
            await self.sleep(delay)

    def backoff(self, chat_id: int, seconds: float) -> None:
        """Meta refused a send as too fast: hold the chat (and the number) ``seconds``."""
        until = self.clock() + seconds
        self._next_to[chat_id] = max(self._next_to.get(chat_id, 0.0), until)
