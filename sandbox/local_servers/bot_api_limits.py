"""Telegram's send limits as the local Bot API server enforces them: rolling windows.

Telegram documents about 30 messages a second per bot, one a second per chat and 20 a minute
per group; it does not say how it counts, so this server counts as strictly as the wording
allows: a send is refused (429 with ``retry_after``) when the last rolling second (or minute,
for a group) already holds the limit, wherever the second boundaries fall. Only accepted sends
count. :attr:`SendWindows.accepted` keeps when each accepted send arrived, so tests and
benchmarks can check that no rolling second ever held more than the limit;
:attr:`SendWindows.attempted` keeps every send, refused ones too (what the bot tried).
"""

from __future__ import annotations

import collections
import math
from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class SendLimits:
    """How many sends fit in a rolling window: overall, per private chat, per group."""

    overall: int = 30
    overall_window: float = 1.0
    per_chat: int = 1
    per_chat_window: float = 1.0
    per_group: int = 20
    per_group_window: float = 60.0


class _Window:
    """The arrival times of accepted sends inside one rolling window of ``length`` seconds."""

    __slots__ = ("length", "limit", "times")

    def __init__(self, limit: int, length: float) -> None:
        self.limit, self.length = limit, length
        self.times: collections.deque[float] = collections.deque()

    def expire(self, now: float) -> int:
        """Drop sends that left the window ending at ``now``; how many are left."""
        times = self.times
        while times and times[0] <= now - self.length:
            times.popleft()
        return len(times)

    def wait(self, now: float) -> float:
        """0 if one more send fits in the window ending at ``now``; else seconds until it does."""
        times = self.times
        if self.expire(now) < self.limit:
            return 0.0
        return times[len(times) - self.limit] + self.length - now


class SendWindows:
    """Rolling-window send limits per bot token and per chat (see the module docstring)."""

    def __init__(self, limits: SendLimits | None = None, keep: int = 200_000) -> None:
        self.limits = limits or SendLimits()
        self._overall: dict[str, _Window] = {}
        self._chats: dict[tuple[str, int], _Window] = {}
        self.accepted: collections.deque[float] = collections.deque(maxlen=keep)
        self.attempted: collections.deque[float] = collections.deque(maxlen=keep)

    def take(self, token: str, chat_id: int | None, now: float) -> int:
        """Count a send at ``now`` (monotonic seconds) and return 0, or return the whole
        seconds to wait (``retry_after``) when a window is full; a refused send is not counted."""
        limits = self.limits
        self.attempted.append(now)
        overall = self._overall.get(token)
        if overall is None:
            overall = self._overall[token] = _Window(limits.overall, limits.overall_window)
        wait = overall.wait(now)
        chat = None
        if chat_id is not None:
            chat = self._chats.get((token, chat_id))
            if chat is None:
                chat = self._chats[(token, chat_id)] = (
                    _Window(limits.per_group, limits.per_group_window)
                    if chat_id < 0
                    else _Window(limits.per_chat, limits.per_chat_window)
                )
            wait = max(wait, chat.wait(now))
        if wait > 0:
            return max(1, math.ceil(wait))
        overall.times.append(now)
        if chat is not None:
            chat.times.append(now)
        self.accepted.append(now)
        if len(self._chats) > 50_000:  # forget chats whose window is empty
            self._chats = {k: w for k, w in self._chats.items() if w.expire(now)}
        return 0

    def max_in_window(self, length: float = 1.0) -> int:
        """The most accepted sends (all tokens) that any rolling window of ``length`` held."""
        return max_in_window(list(self.accepted), length)

    def span(self) -> float:
        """Seconds from the first accepted send to the last (0 with fewer than two)."""
        return self.accepted[-1] - self.accepted[0] if len(self.accepted) > 1 else 0.0

    def per_second(self) -> dict[int, int]:
        """Accepted sends per whole second since the first one (fixed buckets, for a picture)."""
        if not self.accepted:
            return {}
        first = self.accepted[0]
        return dict(collections.Counter(int(t - first) for t in self.accepted))


def max_in_window(times: list[float], length: float = 1.0) -> int:
    """The most of the sorted ``times`` that fall inside any half-open window of ``length``."""
    best, lo = 0, 0
    for hi, t in enumerate(times):
        while times[lo] <= t - length:
            lo += 1
        best = max(best, hi - lo + 1)
    return best
