"""Keeping the daily rollup of answers up to date (the ``insights_rollup`` job).

A day is rolled up once it ended ``settle`` ago: its answers are stored and scored by then
(scoring runs the moment an answer is stored; ``/forget`` erases words but none of the fields
counted). Each day is recomputed whole, answers with ids up to the run's high-water mark, in
one transaction that first upserts the day's row in ``answer_rollup_days``: that row stays
locked until commit, so workers running the job at once serialize per day and never double a
count. Answers stored later into a rolled-up day (back-dated, a worker's clock behind) are
read live by the summary (ids above the mark) until the next run recomputes that day.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta
from itertools import groupby
from typing import Any

from sqlalchemy import Date, case, cast, delete, false, func, insert, literal, select, true, update

from storage.db import Database
from storage.insights.rollup import DAY, as_utc, midnight, unindexed
from storage.models import Answer, AnswerRollup, AnswerRollupDay

SETTLE = timedelta(hours=3)
"""How long after its end a day is rolled up: every answer of it is stored and scored by then."""
AMBASSADOR_SEGMENTS = ("ambassador_candidate", "ambassador")
_DIMENSIONS = ("product", "touchpoint", "language")
_SUMS = ("answers", "polarity_n", "polarity_sum", "positive", "negative", "ambassadors")


def _count(condition: Any) -> Any:
    return func.coalesce(func.sum(case((condition, 1), else_=0)), 0)


def _day_counts(db: Database, day: date, top: int, totals: bool) -> tuple[list[Any], Any]:
    """(rollup columns, SELECT of their values) for one day: per question type and score,
    and unless ``totals`` also per product, touchpoint and language."""
    a = Answer
    day_value: Any = literal(day, Date)  # CAST(... AS DATE) would leave SQLite a number
    if db.dialect == "postgresql":
        day_value = cast(day_value, Date)
    groups = [a.question_type, a.score] + ([] if totals else [getattr(a, d) for d in _DIMENSIONS])
    values = [
        day_value,
        true() if totals else false(),
        *groups,
        func.count(),
        func.count(a.polarity),
        func.coalesce(func.sum(a.polarity), 0.0),
        _count(a.sentiment == "positive"),
        _count(a.sentiment == "negative"),
        _count(a.segment.in_(AMBASSADOR_SEGMENTS)),
    ]
    names = ["day", "totals", "question_type", "score"]
    names += ([] if totals else list(_DIMENSIONS)) + list(_SUMS)
    stmt = (
        select(*values)
        .where(a.created_at >= midnight(day), a.created_at < midnight(day + DAY), a.id <= top)
        .group_by(*groups)
    )
    return [getattr(AnswerRollup, n) for n in names], stmt


async def _roll_day(db: Database, day: date, top: int, now: datetime) -> None:
    """Recompute one day's rollup (answers with ids up to ``top``) in one transaction."""
    if db.dialect == "postgresql":
        from sqlalchemy.dialects.postgresql import insert as upsert
    else:
        from sqlalchemy.dialects.sqlite import insert as upsert
    mark = upsert(AnswerRollupDay).values(day=day, max_answer_id=top, rolled_at=now)
    mark = mark.on_conflict_do_update(
        index_elements=["day"], set_={"max_answer_id": top, "rolled_at": now}
    )
    async with db.session() as s:
        await s.execute(mark)  # first: holds the day's row until commit
        await s.execute(delete(AnswerRollup).where(AnswerRollup.day == day))
        for totals in (False, True):
            columns, counts = _day_counts(db, day, top, totals)
            await s.execute(insert(AnswerRollup).from_select(columns, counts))


async def _late_days(s: Any, marks: dict[date, int], top: int) -> set[date]:
    """Rolled-up days that received answers (ids up to ``top``) above their mark."""
    if not marks:
        return set()
    created, _, _, _ = unindexed(s)
    late = select(Answer.id, Answer.created_at).where(
        Answer.id > min(marks.values()),
        Answer.id <= top,
        created < midnight(max(marks) + DAY),
    )
    days = set()
    for answer_id, created_at in (await s.execute(late)).all():
        day = as_utc(created_at).date()
        if day in marks and answer_id > marks[day]:
            days.add(day)
    return days


async def roll_up(db: Database, now: datetime, settle: timedelta = SETTLE) -> int:
    """Bring the rollup up to date: roll up every day that ended ``settle`` before ``now``
    and is not rolled up yet, recompute rolled-up days that received answers since, then
    raise the other days' high-water marks to the newest answer id. Returns the days
    recomputed. Safe from several workers at once."""
    cutoff = as_utc(now - settle).date()  # days before it ended at least ``settle`` ago
    async with db.session() as s:
        top = int((await s.execute(select(func.max(Answer.id)))).scalar_one() or 0)
        oldest = (await s.execute(select(func.min(Answer.created_at)))).scalar_one()
        rows = await s.execute(select(AnswerRollupDay.day, AnswerRollupDay.max_answer_id))
        marks = {d: int(m) for d, m in rows}
        todo = await _late_days(s, marks, top)
    if oldest is not None:
        day = as_utc(oldest).date()
        while day < cutoff:
            if day not in marks:
                todo.add(day)
            day += DAY
    for day in sorted(todo):
        await _roll_day(db, day, top, as_utc(now))
    verified = sorted((m, d) for d, m in marks.items() if d not in todo and m < top)
    async with db.session() as s:  # none of these days has an answer in (its mark, top]
        for mark, group in groupby(verified, key=lambda v: v[0]):
            await s.execute(
                update(AnswerRollupDay)
                .where(
                    AnswerRollupDay.day.in_([d for _, d in group]),
                    AnswerRollupDay.max_answer_id == mark,  # unless another run changed it
                )
                .values(max_answer_id=top)
            )
    return len(todo)
