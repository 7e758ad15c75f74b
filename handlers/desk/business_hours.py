"""Response-time targets count business time only: a case opened on Friday evening is not late
on Saturday morning."""

from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from handlers.desk.port import BusinessHours


def _windows(since: datetime, hours: BusinessHours, max_days: int = 400):  # type: ignore[no-untyped-def]
    """The business-hour windows (start, end) from ``since`` on, as aware datetimes."""
    zone = ZoneInfo(hours.timezone)
    local = since.astimezone(zone)
    day = local.date()
    for _ in range(max_days):
        if day.weekday() in hours.days:
            start = datetime.combine(day, hours.start, zone)
            end = datetime.combine(day, hours.end, zone)
            if end > since:
                yield max(start, since), end
        day += timedelta(days=1)


def business_time_between(start: datetime, end: datetime, hours: BusinessHours) -> timedelta:
    """How much business time lies between ``start`` and ``end``."""
    total = timedelta()
    if end <= start:
        return total
    for w_start, w_end in _windows(start, hours):
        if w_start >= end:
            break
        total += min(w_end, end) - w_start
    return total


def add_business_time(start: datetime, amount: timedelta, hours: BusinessHours) -> datetime:
    """The moment ``amount`` of business time after ``start`` (e.g. a case's respond-by time)."""
    left = amount
    for w_start, w_end in _windows(start, hours):
        if w_end - w_start >= left:
            return w_start + left
        left -= w_end - w_start
    return start + amount  # no business hours within a year: fall back to wall time
