"""A daily rollup of answers, so the managers' summary reads a few hundred pre-counted rows
instead of every answer of two periods.

``answer_rollups`` holds, per UTC day, the answers counted per (question type, score, product,
touchpoint, language) with the sums the words figures need, and the day's totals per (question
type, score) (``totals``: read when no product, touchpoint or language is asked for);
``answer_rollup_days`` lists the days rolled up and, per day, the highest answer id counted
(the high-water mark).

Reading a period: the complete UTC days inside it that are rolled up come from the rollup; the
rest (the partial first and last day, days not rolled up yet) is read live from ``answers``,
and so are answers of rolled-up days with an id above the day's high-water mark (stored after
the rollup ran, e.g. back-dated). The figures are the same as ``insights.period_figures`` over
the whole period.

Writing: ``storage.insights.rollup_job``.
"""

from __future__ import annotations

import asyncio
from datetime import UTC, date, datetime, time, timedelta
from itertools import groupby
from typing import Any

from sqlalchemy import and_, func, literal_column, or_, select

from storage.db import Database
from storage.insights.aggregates import (
    SCORED,
    SCORES,
    WORDS,
    AnswerFigures,
    InsightFilter,
    add_score_counts,
    figures_where,
    period_figures,
)
from storage.models import Answer, AnswerRollup, AnswerRollupDay

DAY = timedelta(days=1)


def as_utc(moment: datetime) -> datetime:
    """``moment`` in UTC (a naive one taken as UTC)."""
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)


def midnight(day: date) -> datetime:
    """The start of ``day`` in UTC."""
    return datetime.combine(day, time(), tzinfo=UTC)


def add_figures(total: AnswerFigures, part: AnswerFigures) -> None:
    """Add the counts and sums of ``part`` to ``total``."""
    for name in (
        "answers",
        "nps_n",
        "promoters",
        "passives",
        "detractors",
        "csat_n",
        "csat_good",
        "ces_n",
        "ces_good",
        "words_n",
        "positive",
        "negative",
    ):
        setattr(total, name, getattr(total, name) + getattr(part, name))
    total.polarity_sum += part.polarity_sum
    for segment, n in part.segments.items():
        total.segments[segment] = total.segments.get(segment, 0) + n


def split_period(
    start: datetime, end: datetime, marks: dict[date, int]
) -> tuple[list[tuple[datetime, datetime]], list[tuple[date, date, int]]]:
    """The period [start, end) cut into the ranges read live and the runs of rolled-up days:
    ``(live, runs)``, ``runs`` as (first day, day after the last, high-water mark)."""
    start, end = as_utc(start), as_utc(end)
    live: list[tuple[datetime, datetime]] = []
    runs: list[tuple[date, date, int]] = []
    cursor = start  # everything before it is placed
    day = start.date() if midnight(start.date()) == start else start.date() + DAY
    while midnight(day + DAY) <= end:
        mark = marks.get(day)
        if mark is not None:
            if cursor < midnight(day):
                live.append((cursor, midnight(day)))
            if runs and runs[-1][1] == day and runs[-1][2] == mark:
                runs[-1] = (runs[-1][0], day + DAY, mark)
            else:
                runs.append((day, day + DAY, mark))
            cursor = midnight(day + DAY)
        day += DAY
    if cursor < end:
        live.append((cursor, end))
    return live, runs


def _filters(flt: InsightFilter, columns: dict[str, Any]) -> list[Any]:
    return [
        columns[name] == value
        for name, value in (
            ("product", flt.product),
            ("touchpoint", flt.touchpoint),
            ("language", flt.language),
        )
        if value
    ]


async def _rolled_figures(
    s: Any, flt: InsightFilter, runs: list[tuple[date, date, int]]
) -> AnswerFigures:
    """The figures of the rolled-up days in ``runs``, from the rollup."""
    r = AnswerRollup
    filters = _filters(
        flt, {"product": r.product, "touchpoint": r.touchpoint, "language": r.language}
    )
    stmt = (
        select(
            r.question_type,
            r.score,
            func.sum(r.answers),
            func.sum(r.polarity_n),
            func.sum(r.polarity_sum),
            func.sum(r.positive),
            func.sum(r.negative),
            func.sum(r.ambassadors),
        )
        .where(
            r.totals == (not filters),  # the day totals unless a filter needs the details
            or_(*[and_(r.day >= first, r.day < after) for first, after, _ in runs]),
            r.question_type.in_(SCORED + WORDS),
            *filters,
        )
        .group_by(r.question_type, r.score)
    )
    fig = AnswerFigures()
    ambassadors = 0
    for qt, score, n, pol_n, pol_sum, positive, negative, amb in (await s.execute(stmt)).all():
        if qt in WORDS:
            fig.answers += int(n)
            fig.words_n += int(pol_n)
            fig.polarity_sum += float(pol_sum or 0.0)
            fig.positive += int(positive)
            fig.negative += int(negative)
            ambassadors += int(amb)
        elif score in SCORES:
            add_score_counts(fig, qt, int(score), int(n))
    if ambassadors:
        fig.segments["ambassador_candidate"] = ambassadors
    return fig


def unindexed(s: Any) -> tuple[Any, Any, Any, dict[str, Any]]:
    """(created_at, question_type, score, filter columns) in a form SQLite's planner cannot
    read through an index, so an ``id > mark`` query reads the few newest answers by primary
    key (PostgreSQL's planner sees how few ids are above the mark by itself)."""
    columns: dict[str, Any] = {
        "product": Answer.product,
        "touchpoint": Answer.touchpoint,
        "language": Answer.language,
    }
    if s.bind.dialect.name != "sqlite":
        return Answer.created_at, Answer.question_type, Answer.score, columns
    created = literal_column("+answers.created_at", Answer.__table__.c.created_at.type)  # type: ignore[attr-defined]
    hidden = {name: literal_column(f"answers.{name} || ''") for name in columns}
    return created, literal_column("answers.question_type || ''"), Answer.score + 0, hidden


async def _late_figures(
    s: Any, flt: InsightFilter, mark: int, runs: list[tuple[date, date, int]]
) -> AnswerFigures:
    created, qt, score, columns = unindexed(s)
    where = [
        Answer.id > mark,
        or_(*[and_(created >= midnight(a), created < midnight(b)) for a, b, _ in runs]),
        *_filters(flt, columns),
    ]
    return await figures_where(s, where, qt, score)


async def rolled_period_figures(s: Any, flt: InsightFilter) -> AnswerFigures:
    """The figures of one period, equal to ``insights.period_figures``: complete rolled-up
    days from the rollup, everything else from ``answers``."""
    start, end = as_utc(flt.start), as_utc(flt.end)
    first = start.date() if midnight(start.date()) == start else start.date() + DAY
    last = end.date()
    marks: dict[date, int] = {}
    newest = 0
    if first < last:
        stmt = select(
            AnswerRollupDay.day,
            AnswerRollupDay.max_answer_id,
            select(func.max(Answer.id)).scalar_subquery(),
        ).where(AnswerRollupDay.day >= first, AnswerRollupDay.day < last)
        for day, mark, top in (await s.execute(stmt)).all():
            marks[day], newest = int(mark), int(top or 0)
    if not marks:
        return await period_figures(s, flt)
    live, runs = split_period(start, end, marks)
    fig = await _rolled_figures(s, flt, runs)
    for a, b in live:
        add_figures(fig, await period_figures(s, InsightFilter(a, b, *_values(flt))))
    for mark, group in groupby(sorted(runs, key=lambda r: r[2]), key=lambda r: r[2]):
        if mark < newest:
            add_figures(fig, await _late_figures(s, flt, mark, list(group)))
    return fig


def _values(flt: InsightFilter) -> tuple[str | None, str | None, str | None]:
    return flt.product, flt.touchpoint, flt.language


async def answer_figures(db: Database, flt: InsightFilter) -> tuple[AnswerFigures, AnswerFigures]:
    """(current, previous) answer figures through the rollup, the two periods side by side on
    two connections."""

    async def one(period: InsightFilter) -> AnswerFigures:
        async with db.reading() as s:
            return await rolled_period_figures(s, period)

    current, previous = await asyncio.gather(one(flt), one(flt.previous()))
    return current, previous
