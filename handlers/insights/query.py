"""Managers' command text, parsed: what to show, for which period, with which filters.

Tolerant on purpose: ``stats 30d product="Washing machine" language=nl``, ``/mentor trend``,
``cases last month``, ``2026-10``, ``2026-10-01..2026-10-15``. Anything it cannot read becomes a
:class:`QueryError` whose message says what would work ("did you mean 30d?").
"""

from __future__ import annotations

import difflib
import re
import shlex
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from storage.insights.aggregates import InsightFilter

WHATS = (
    "stats",
    "trend",
    "detractors",
    "ambassadors",
    "themes",
    "cases",
    "touchpoints",
    "products",
    "languages",
    "channels",
    "help",
)
WHAT_ALIASES = {
    "summary": "stats",
    "stat": "stats",
    "nps": "stats",
    "chart": "trend",
    "trends": "trend",
    "detractor": "detractors",
    "ambassador": "ambassadors",
    "theme": "themes",
    "case": "cases",
    "touchpoint": "touchpoints",
    "product": "products",
    "language": "languages",
    "channel": "channels",
    "kanalen": "channels",
    "?": "help",
}
PERIOD_WORDS = (
    "7d",
    "30d",
    "90d",
    "today",
    "yesterday",
    "this-week",
    "last-week",
    "this-month",
    "last-month",
)
FILTER_KEYS = {
    "product": "product",
    "prod": "product",
    "touchpoint": "touchpoint",
    "tp": "touchpoint",
    "language": "language",
    "lang": "language",
    "taal": "language",
}
MAX_DAYS = 3660
_DAYS = re.compile(r"^(\d{1,4})(d|day|days|dag|dagen|w|wk|week|weeks|weken)$")
_MONTH = re.compile(r"^(\d{4})-(\d{1,2})$")
_DAY = re.compile(r"^\d{4}-\d{1,2}-\d{1,2}$")
_QUOTES = str.maketrans({"“": '"', "”": '"', "„": '"', "‘": "'", "’": "'"})


class QueryError(ValueError):
    """The command text could not be read; the message is a helpful reply."""


@dataclass(frozen=True)
class Period:
    """A period [start, end) in the managers' time zone, with the words that named it."""

    start: datetime
    end: datetime
    label: str

    @property
    def days(self) -> float:
        """Length in days."""
        return (self.end - self.start) / timedelta(days=1)


@dataclass(frozen=True)
class InsightQuery:
    """One parsed command: what, period and filters."""

    what: str
    period: Period
    product: str | None = None
    touchpoint: str | None = None
    language: str | None = None
    period_given: bool = False

    def filter(self) -> InsightFilter:
        """The storage filter (period in UTC)."""
        from datetime import UTC

        return InsightFilter(
            self.period.start.astimezone(UTC),
            self.period.end.astimezone(UTC),
            self.product,
            self.touchpoint,
            self.language,
        )


def suggest(word: str, options: list[str] | tuple[str, ...]) -> str | None:
    """The closest of ``options`` to ``word`` (difflib), or None."""
    found = difflib.get_close_matches(word.lower(), list(options), n=1, cutoff=0.6)
    return found[0] if found else None


def _midnight(day: date, tz: ZoneInfo) -> datetime:
    return datetime.combine(day, time(0), tzinfo=tz)


def _month_start(year: int, month: int, tz: ZoneInfo) -> datetime:
    return _midnight(date(year, month, 1), tz)


def _next_month(start: datetime) -> datetime:
    year, month = (start.year + 1, 1) if start.month == 12 else (start.year, start.month + 1)
    return start.replace(year=year, month=month)


def _parse_day(word: str) -> date:
    try:
        return date.fromisoformat("-".join(p.zfill(2) for p in word.split("-")))
    except ValueError:
        raise QueryError(f"{word} is not a date; use e.g. 2026-10-01") from None


def parse_period(word: str, now: datetime, tz: ZoneInfo) -> Period | None:
    """A period from one word, or None if the word is not a period at all.

    Raises QueryError for a word that looks like a period but is not a valid one.
    """
    now = now.astimezone(tz)
    today = _midnight(now.date(), tz)
    w = word.lower()
    if m := _DAYS.match(w):
        n = int(m.group(1)) * (7 if m.group(2).startswith("w") else 1)
        if not 1 <= n <= MAX_DAYS:
            raise QueryError(f"{word}: use between 1 and {MAX_DAYS} days, e.g. 30d")
        return Period(now - timedelta(days=n), now, f"{n}d")
    if w == "today":
        return Period(today, now, "today")
    if w == "yesterday":
        return Period(today - timedelta(days=1), today, "yesterday")
    if w in ("this-week", "last-week"):
        monday = today - timedelta(days=now.weekday())
        if w == "this-week":
            return Period(monday, now, w)
        return Period(monday - timedelta(days=7), monday, w)
    if w in ("this-month", "last-month"):
        first = _month_start(now.year, now.month, tz)
        if w == "this-month":
            return Period(first, now, w)
        prev = first - timedelta(days=1)
        return Period(_month_start(prev.year, prev.month, tz), first, w)
    if m := _MONTH.match(w):
        year, month = int(m.group(1)), int(m.group(2))
        if not 1 <= month <= 12:
            raise QueryError(f"{word} is not a month; use e.g. {now:%Y-%m}")
        start = _month_start(year, month, tz)
        return Period(start, _next_month(start), f"{year}-{month:02d}")
    if ".." in w:
        a, _, b = w.partition("..")
        if not (_DAY.match(a) and _DAY.match(b)):
            raise QueryError(f"{word}: write a date range as 2026-10-01..2026-10-15")
        first, last = _parse_day(a), _parse_day(b)
        if last < first:
            raise QueryError(f"{word}: the range ends before it starts")
        if (last - first).days >= MAX_DAYS:
            raise QueryError(f"{word}: at most {MAX_DAYS} days, please")
        return Period(_midnight(first, tz), _midnight(last + timedelta(days=1), tz), w)
    if _DAY.match(w):
        day = _parse_day(w)
        return Period(_midnight(day, tz), _midnight(day + timedelta(days=1), tz), w)
    return None


def default_period(what: str, now: datetime, tz: ZoneInfo, trend_weeks: int = 12) -> Period:
    """30 days, or for a trend the last ``trend_weeks`` weeks from a Monday."""
    now = now.astimezone(tz)
    if what == "trend":
        monday = _midnight(now.date() - timedelta(days=now.weekday()), tz)
        return Period(monday - timedelta(days=7 * (trend_weeks - 1)), now, f"{trend_weeks}w")
    return Period(now - timedelta(days=30), now, "30d")


def tokens(text: str) -> list[str]:
    """Split command text into words; quotes keep a value with spaces together."""
    text = text.translate(_QUOTES).replace("\u00a0", " ").strip()
    try:
        words = shlex.split(text)
    except ValueError:  # an unbalanced quote: split on spaces and drop the quotes
        words = text.replace('"', " ").replace("'", " ").split()
    merged: list[str] = []
    for word in words:
        if merged and merged[-1].lower() in ("this", "last", "deze", "vorige") and "=" not in word:
            merged[-1] = f"{merged[-1]}-{word}"
        else:
            merged.append(word)
    return [w.lstrip("/") if i == 0 else w for i, w in enumerate(merged)]


def _filter_pair(word: str) -> tuple[str, str] | None:
    for sep in ("=", ":"):
        if sep in word and not word.startswith(sep):
            key, _, value = word.partition(sep)
            return key.lower(), value.strip()
    return None


def _unknown(word: str) -> QueryError:
    options = [*WHATS, *PERIOD_WORDS]
    best = suggest(word, options)
    if best is None and word.lower().startswith(("last-", "this-")):
        best = suggest(word, [w for w in PERIOD_WORDS if "-" in w])
    hint = f" Did you mean {best}?" if best else ""
    return QueryError(
        f"I did not understand “{word}”.{hint} Try e.g. stats 30d, trend, "
        "cases last-month, stats 2026-10 product=Kettle (or help)."
    )


def parse_query(text: str, now: datetime, tz: ZoneInfo, trend_weeks: int = 12) -> InsightQuery:
    """Parse command text; raises QueryError with a helpful message."""
    words = tokens(text)
    what = "stats"
    if words:
        first = words[0].lower()
        if first in ("mentor", "mentorbot") and len(words) > 1:
            words = words[1:]
            first = words[0].lower()
        name = (
            first
            if first in WHATS
            else WHAT_ALIASES.get(first, "stats" if first in ("mentor", "mentorbot") else None)
        )
        if name is not None:
            what = name
            words = words[1:]
    period: Period | None = None
    filters: dict[str, str] = {}
    for word in words:
        pair = _filter_pair(word)
        if pair is not None:
            key, value = pair
            canonical = FILTER_KEYS.get(key)
            if canonical is None:
                best = suggest(key, ["product", "touchpoint", "language"])
                hint = f" Did you mean {best}={value}?" if best else ""
                raise QueryError(
                    f"I can filter by product, touchpoint and language, not “{key}”.{hint}"
                )
            if not value:
                raise QueryError(f"{canonical}= needs a value, e.g. {canonical}=" + _EXAMPLE[key])
            if canonical == "language":
                value = value.lower()
                if not re.fullmatch(r"[a-z]{2}", value):
                    raise QueryError(f"language={value}: use a two-letter code such as en or nl")
            filters[canonical] = value
            continue
        found = parse_period(word, now, tz)
        if found is not None:
            if period is not None:
                raise QueryError(f"Two periods ({period.label} and {word}); give one.")
            period = found
            continue
        raise _unknown(word)
    return InsightQuery(
        what=what,
        period=period or default_period(what, now, tz, trend_weeks),
        product=filters.get("product"),
        touchpoint=filters.get("touchpoint"),
        language=filters.get("language"),
        period_given=period is not None,
    )


_EXAMPLE = {
    "product": '"Washing machine"',
    "prod": '"Washing machine"',
    "touchpoint": "usage",
    "tp": "usage",
    "language": "nl",
    "lang": "nl",
    "taal": "nl",
}
