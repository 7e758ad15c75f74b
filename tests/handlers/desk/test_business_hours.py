"""Business time: only the hours staff work count towards response-time targets."""

from __future__ import annotations

from datetime import UTC, datetime, time, timedelta

from handlers.desk.business_hours import add_business_time, business_time_between
from handlers.desk.port import BusinessHours

HOURS = BusinessHours(start=time(9), end=time(17, 30), timezone="Europe/Amsterdam")
FRIDAY_1700 = datetime(2026, 11, 27, 16, 0, tzinfo=UTC)  # 17:00 in Amsterdam


def test_within_one_day() -> None:
    start = datetime(2026, 11, 23, 9, 0, tzinfo=UTC)  # Monday 10:00
    assert business_time_between(start, start + timedelta(minutes=45), HOURS) == timedelta(
        minutes=45
    )


def test_the_weekend_and_nights_do_not_count() -> None:
    monday_0930 = datetime(2026, 11, 30, 8, 30, tzinfo=UTC)
    # Friday 17:00-17:30 and Monday 09:00-09:30: one hour of business time.
    assert business_time_between(FRIDAY_1700, monday_0930, HOURS) == timedelta(hours=1)


def test_before_opening_counts_nothing() -> None:
    saturday = datetime(2026, 11, 28, 12, 0, tzinfo=UTC)
    assert business_time_between(saturday, saturday + timedelta(hours=20), HOURS) == timedelta()


def test_respond_by_moves_over_the_weekend() -> None:
    due = add_business_time(FRIDAY_1700, timedelta(minutes=45), HOURS)
    assert due == datetime(2026, 11, 30, 8, 15, tzinfo=UTC)  # Monday 09:15 in Amsterdam


def test_backwards_or_equal_is_zero() -> None:
    assert business_time_between(FRIDAY_1700, FRIDAY_1700, HOURS) == timedelta()
    assert (
        business_time_between(FRIDAY_1700, FRIDAY_1700 - timedelta(hours=1), HOURS) == timedelta()
    )
