"""Parsing managers' command text: periods, filters, and helpful errors."""

from __future__ import annotations

from datetime import UTC, datetime
from zoneinfo import ZoneInfo

import pytest

from handlers.insights.query import QueryError, parse_query, tokens

AMS = ZoneInfo("Europe/Amsterdam")
NOW = datetime(2026, 11, 18, 14, 30, tzinfo=UTC)  # a Wednesday, 15:30 in Amsterdam


def parse(text: str):  # type: ignore[no-untyped-def]
    return parse_query(text, NOW, AMS)


def test_defaults_to_stats_for_30_days() -> None:
    q = parse("")
    assert q.what == "stats" and q.period.label == "30d" and not q.period_given
    assert q.period.end == NOW
    # 30 days on the wall clock: across the end of summer time that is 30 days and an hour
    assert q.period.start == datetime(2026, 10, 19, 15, 30, tzinfo=AMS)


@pytest.mark.parametrize(
    ("text", "start", "end"),
    [
        (
            "stats 7d",
            datetime(2026, 11, 11, 15, 30, tzinfo=AMS),
            datetime(2026, 11, 18, 15, 30, tzinfo=AMS),
        ),
        (
            "stats 2w",
            datetime(2026, 11, 4, 15, 30, tzinfo=AMS),
            datetime(2026, 11, 18, 15, 30, tzinfo=AMS),
        ),
        (
            "stats this-month",
            datetime(2026, 11, 1, tzinfo=AMS),
            datetime(2026, 11, 18, 15, 30, tzinfo=AMS),
        ),
        ("stats last month", datetime(2026, 10, 1, tzinfo=AMS), datetime(2026, 11, 1, tzinfo=AMS)),
        (
            "stats this-week",
            datetime(2026, 11, 16, tzinfo=AMS),
            datetime(2026, 11, 18, 15, 30, tzinfo=AMS),
        ),
        ("stats last-week", datetime(2026, 11, 9, tzinfo=AMS), datetime(2026, 11, 16, tzinfo=AMS)),
        ("stats 2026-10", datetime(2026, 10, 1, tzinfo=AMS), datetime(2026, 11, 1, tzinfo=AMS)),
        ("stats 2026-12", datetime(2026, 12, 1, tzinfo=AMS), datetime(2027, 1, 1, tzinfo=AMS)),
        (
            "stats 2026-10-01..2026-10-15",
            datetime(2026, 10, 1, tzinfo=AMS),
            datetime(2026, 10, 16, tzinfo=AMS),
        ),
        ("stats 2026-10-05", datetime(2026, 10, 5, tzinfo=AMS), datetime(2026, 10, 6, tzinfo=AMS)),
        ("stats yesterday", datetime(2026, 11, 17, tzinfo=AMS), datetime(2026, 11, 18, tzinfo=AMS)),
    ],
)
def test_periods(text: str, start: datetime, end: datetime) -> None:
    q = parse(text)
    assert q.period.start == start and q.period.end == end and q.period_given


def test_previous_period_has_the_same_length() -> None:
    flt = parse("stats 2026-10-01..2026-10-15").filter()
    prev = flt.previous()
    assert prev.end == flt.start and prev.end - prev.start == flt.end - flt.start
    assert flt.start.tzinfo is UTC and flt.start == datetime(2026, 9, 30, 22, tzinfo=UTC)


def test_filters_with_quotes_and_aliases() -> None:
    q = parse('trend 90d product="Washing machine" tp=usage lang=NL')
    assert q.what == "trend" and q.period.label == "90d"
    assert (q.product, q.touchpoint, q.language) == ("Washing machine", "usage", "nl")
    smart = parse("stats product=“Washing machine”")
    assert smart.product == "Washing machine"
    assert parse("cases product:Kettle").product == "Kettle"


def test_what_aliases_and_leading_slash() -> None:
    assert parse("/mentor").what == "stats"
    assert parse("detractor 7d").what == "detractors"
    assert parse("touchpoints").what == "touchpoints"
    assert parse("HELP").what == "help"


def test_trend_defaults_to_weeks_from_a_monday() -> None:
    q = parse_query("trend", NOW, AMS, trend_weeks=4)
    assert q.period.start == datetime(2026, 10, 26, tzinfo=AMS)  # 3 Mondays before the 16th
    assert q.period.start.weekday() == 0 and q.period.label == "4w"


@pytest.mark.parametrize(
    ("text", "hint"),
    [
        ("stats 3od", "Did you mean 30d?"),
        ("stast", "Did you mean stats?"),
        ("stats las-month", "Did you mean last-month?"),
        ("trend prodcut=Kettle", "Did you mean product=Kettle?"),
        ("stats 2026-13", "not a month"),
        ("stats 2026-10-15..2026-10-01", "ends before it starts"),
        ("stats 2026-02-30", "not a date"),
        ("stats 0d", "between 1 and"),
        ("stats 7d 30d", "Two periods"),
        ("stats language=dutch", "two-letter code"),
        ("stats product=", "needs a value"),
        ("%%% ???", "I did not understand"),
    ],
)
def test_bad_input_gets_a_helpful_message(text: str, hint: str) -> None:
    with pytest.raises(QueryError) as caught:
        parse(text)
    assert hint in str(caught.value)


def test_unbalanced_quotes_do_not_crash() -> None:
    assert tokens('stats product="Washing machine') == ["stats", "product=", "Washing", "machine"]
    with pytest.raises(QueryError):
        parse('stats product="Washing machine')
