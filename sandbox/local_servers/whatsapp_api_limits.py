"""The sending limits of a WhatsApp business number, as the local server enforces them.

From Meta's Cloud API docs ("Throughput", "Pair rate limits", "Messaging limits" and the error
codes page), as summarized in "WhatsApp Cloud API Rate Limits in Practice" (dev.to/wapgrowai_org,
which the search store holds; Meta's own limit pages were not in it):
- throughput: 80 messages a second per business phone number by default -> 130429;
- pair rate: one message to the same WhatsApp user every 6 seconds -> 131056. Meta tolerates
  short bursts and then penalizes; the docs give no burst size a sender may count on, so this
  server allows none (stricter reading);
- messaging limit: unique customers reached outside a customer-service window in a moving 24
  hours (1,000 by default here; Meta's tiers are 250, 1K, 10K, 100K, unlimited). The docs name no
  error code for it; this server answers 131048 (spam rate limit hit), as the WhatsApp design
  note for this project agreed, with details saying which limit.

Windows are rolling, wherever second boundaries fall. Only accepted messages count; every
attempt is kept apart (:attr:`SendLimiter.attempted`) for the benchmarks' "most in any second".
"""

from __future__ import annotations

import collections
from dataclasses import dataclass

from sandbox.local_servers.bot_api_limits import max_in_window
from sandbox.local_servers.whatsapp_api_errors import GraphError

__all__ = ["Limits", "SendLimiter", "max_in_window"]

DAY = 24 * 3600.0


@dataclass
class Limits:
    """Throughput (messages per rolling second), pair interval (s), daily tier (customers)."""

    throughput: int = 80
    pair_interval: float = 6.0
    daily_tier: int = 1000
    enforce: bool = True


class SendLimiter:
    """Counts accepted messages per rolling second, per customer and per moving day."""

    def __init__(self, limits: Limits | None = None, keep: int = 200_000) -> None:
        self.limits = limits or Limits()
        self.accepted: collections.deque[float] = collections.deque(maxlen=keep)
        self.attempted: collections.deque[float] = collections.deque(maxlen=keep)
        self._second: collections.deque[float] = collections.deque()
        self._last_to: dict[str, float] = {}
        self._reached: dict[str, float] = {}  # customers reached outside a window -> when
        self._reached_order: collections.deque[tuple[float, str]] = collections.deque()
        self.refused: collections.Counter[int] = collections.Counter()

    def check(self, wa_id: str, now: float, *, opens_conversation: bool) -> None:
        """Raise GraphError when a message to ``wa_id`` now would pass a limit."""
        self.attempted.append(now)
        limits = self.limits
        if not limits.enforce:
            return
        while self._second and self._second[0] <= now - 1.0:
            self._second.popleft()
        if len(self._second) >= limits.throughput:
            self._refuse(130429, f"more than {limits.throughput} messages in a second")
        last = self._last_to.get(wa_id)
        if last is not None and now - last < limits.pair_interval:
            self._refuse(
                131056,
                "Message failed to send because there were too many messages sent from this"
                f" phone number to the same phone number in a short period of time (one every"
                f" {limits.pair_interval:g} s)",
            )
        if opens_conversation and wa_id not in self._reached_since(now):
            if len(self._reached) >= limits.daily_tier:
                self._refuse(
                    131048,
                    f"messaging limit reached: {limits.daily_tier} customers outside a"
                    " customer-service window in a moving 24 hours",
                )

    def _reached_since(self, now: float) -> dict[str, float]:
        order = self._reached_order
        while order and order[0][0] <= now - DAY:
            when, wa_id = order.popleft()
            if self._reached.get(wa_id) == when:  # not reached again since
                del self._reached[wa_id]
        return self._reached

    def _refuse(self, code: int, details: str) -> None:
        self.refused[code] += 1
        raise GraphError(code, details)

    def record(self, wa_id: str, now: float, *, opens_conversation: bool) -> None:
        """Count an accepted message to ``wa_id``."""
        self.accepted.append(now)
        self._second.append(now)
        self._last_to[wa_id] = now
        if opens_conversation:
            self._reached[wa_id] = now
            self._reached_order.append((now, wa_id))

    def max_in_second(self) -> int:
        """The most accepted messages in any rolling second so far."""
        return max_in_window(list(self.accepted), 1.0)

    def max_attempts_in_second(self) -> int:
        """The most attempts (refused ones too) in any rolling second so far."""
        return max_in_window(list(self.attempted), 1.0)
