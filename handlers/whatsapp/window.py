"""WhatsApp's 24-hour customer-service window and the account's daily tier, as decisions."""

from __future__ import annotations

from datetime import datetime, timedelta

WINDOW = timedelta(hours=24)
# A message sent just before the window closes may reach Meta after it: treat the last minutes
# as closed and open with a template instead.
MARGIN = timedelta(minutes=10)


def window_open(last_inbound: datetime | None, now: datetime, length: timedelta = WINDOW) -> bool:
    """Whether free-form and interactive messages may be sent: the customer wrote within
    ``length`` (less the safety margin)."""
    return last_inbound is not None and now - last_inbound < length - MARGIN


def tier_left(opened_last_day: int, tier: int) -> int:
    """Business-initiated conversations the account may still open in the rolling day."""
    return max(tier - opened_last_day, 0)
