"""The acknowledgement's promise: relative while staff are at work, a day and a time otherwise,
in the customer's time zone and language."""

from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from handlers.desk.ack import promise_phrase
from handlers.desk.port import BusinessHours

AMS = ZoneInfo("Europe/Amsterdam")
HOURS = BusinessHours()  # Monday to Friday, 09:00-17:30 Amsterdam


@pytest.mark.parametrize(
    ("local", "within", "tz", "lang", "expected"),
    [
        (datetime(2026, 12, 1, 10, 0), timedelta(minutes=60), AMS.key, "en", "within an hour"),
        (datetime(2026, 12, 1, 10, 0), timedelta(minutes=15), AMS.key, "nl", "binnen 15 minuten"),
        (datetime(2026, 12, 1, 10, 0), timedelta(hours=4), AMS.key, "en", "within 4 hours"),
        # 17:00 Tuesday: half an hour today, the rest on Wednesday morning
        (datetime(2026, 12, 1, 17, 0), timedelta(hours=1), AMS.key, "en", "tomorrow before 09:30"),
        (datetime(2026, 12, 1, 7, 0), timedelta(hours=1), AMS.key, "nl", "vandaag voor 10:00"),
        # Friday evening: Monday; in London an hour earlier
        (
            datetime(2026, 12, 4, 20, 0),
            timedelta(hours=1),
            "Europe/London",
            "en",
            "on Monday before 09:00",
        ),
        (
            datetime(2026, 12, 5, 11, 0),
            timedelta(minutes=20),
            AMS.key,
            "nl",
            "op maandag voor 09:30",
        ),
    ],
)
def test_promise(local: datetime, within: timedelta, tz: str, lang: str, expected: str) -> None:
    assert promise_phrase(local.replace(tzinfo=AMS), within, HOURS, tz, lang) == expected
