"""SQL aggregates over answers for managers' insights: NPS, CSAT, CES, sentiment, segments.

Every figure is computed by the database (``SUM(CASE ...)``, ``COUNT``, ``GROUP BY``); only the
aggregated rows come back. A query covers the period asked for and the previous period of the
same length in one scan, told apart by a ``bucket`` column (1 = current, 0 = previous).
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field, replace
from datetime import datetime
from typing import Any

from sqlalchemy import (
    ColumnElement,
    Integer,
    and_,
    case,
    cast,
    func,
    literal,
    literal_column,
    select,
)

from storage.db import Database
from storage.models import Answer

WORDS = ("text",)  # question types whose answers are a customer's own words
SEGMENTS = ("detractor", "passive", "promoter", "ambassador_candidate", "ambassador")


@dataclass(frozen=True)
class InsightFilter:
    """Which answers a figure covers: a period [start, end) in UTC and optional filters."""

    start: datetime
    end: datetime
    product: str | None = None
    touchpoint: str | None = None
    language: str | None = None

    def previous(self) -> InsightFilter:
        """The period of the same length just before this one, with the same filters."""
        length = self.end - self.start
        return replace(self, start=self.start - length, end=self.start)

    def describe(self) -> str:
        """The filters as ``key=value`` words (empty without filters)."""
        parts = [
            f"{k}={v}"
            for k, v in (
                ("product", self.product),
                ("touchpoint", self.touchpoint),
                ("language", self.language),
            )
            if v
        ]
        return " ".join(parts)


@dataclass
class AnswerFigures:
    """Counts over the answers of one period; shares and scores are derived from them."""

    answers: int = 0
    nps_n: int = 0
    promoters: int = 0
    passives: int = 0
    detractors: int = 0
    csat_n: int = 0
    csat_good: int = 0
    ces_n: int = 0
    ces_good: int = 0
    words_n: int = 0
    polarity_sum: float = 0.0
    positive: int = 0
    negative: int = 0
    segments: dict[str, int] = field(default_factory=dict)

    @property
    def nps(self) -> float | None:
        """Net Promoter Score, -100..100 (None without NPS answers)."""
        if not self.nps_n:
            return None
        return 100.0 * (self.promoters - self.detractors) / self.nps_n

    @property
    def csat(self) -> float | None:
        """Share of CSAT answers that are 4 or 5, in percent."""
        return 100.0 * self.csat_good / self.csat_n if self.csat_n else None

    @property
    def ces(self) -> float | None:
        """Share of CES answers that are 5, 6 or 7, in percent."""
        return 100.0 * self.ces_good / self.ces_n if self.ces_n else None

    @property
    def sentiment(self) -> float | None:
        """Average polarity of the customers' words, -1..1."""
        return self.polarity_sum / self.words_n if self.words_n else None


def _count(condition: ColumnElement[bool]) -> Any:
    return func.coalesce(func.sum(case((condition, 1), else_=0)), 0)


def filter_clauses(flt: InsightFilter, start: datetime | None = None) -> list[Any]:
    """WHERE clauses on answers for a filter (``start`` overrides the period start)."""
    clauses: list[Any] = [
        Answer.created_at >= (start or flt.start),
        Answer.created_at < flt.end,
    ]
    if flt.product:
        clauses.append(Answer.product == flt.product)
    if flt.touchpoint:
        clauses.append(Answer.touchpoint == flt.touchpoint)
    if flt.language:
        clauses.append(Answer.language == flt.language)
    return clauses


def bucket(flt: InsightFilter) -> Any:
    """1 for answers in the current period, 0 for the previous one."""
    return cast(Answer.created_at >= flt.start, Integer).label("bucket")


def _figure_columns() -> list[Any]:
    qt, score = Answer.question_type, Answer.score
    words = and_(qt.in_(WORDS), Answer.polarity.is_not(None))
    return [
        func.count().label("answers"),
        _count(and_(qt == "nps", score.is_not(None))).label("nps_n"),
        _count(and_(qt == "nps", score >= 9)).label("promoters"),
        _count(and_(qt == "nps", score.between(7, 8))).label("passives"),
        _count(and_(qt == "nps", score <= 6)).label("detractors"),
        _count(and_(qt == "csat", score.is_not(None))).label("csat_n"),
        _count(and_(qt == "csat", score >= 4)).label("csat_good"),
        _count(and_(qt == "ces", score.is_not(None))).label("ces_n"),
        _count(and_(qt == "ces", score >= 5)).label("ces_good"),
        _count(words).label("words_n"),
        func.coalesce(func.sum(case((words, Answer.polarity), else_=literal(0.0))), 0.0).label(
            "polarity_sum"
        ),
        _count(and_(qt.in_(WORDS), Answer.sentiment == "positive")).label("positive"),
        _count(and_(qt.in_(WORDS), Answer.sentiment == "negative")).label("negative"),
        *[_count(Answer.segment == s).label(f"seg_{s}") for s in SEGMENTS],
    ]


def _to_figures(row: Any) -> AnswerFigures:
    data = row._mapping  # SQLAlchemy's public Row API (underscored so no column name hides it)
    return AnswerFigures(
        answers=int(data["answers"]),
        nps_n=int(data["nps_n"]),
        promoters=int(data["promoters"]),
        passives=int(data["passives"]),
        detractors=int(data["detractors"]),
        csat_n=int(data["csat_n"]),
        csat_good=int(data["csat_good"]),
        ces_n=int(data["ces_n"]),
        ces_good=int(data["ces_good"]),
        words_n=int(data["words_n"]),
        polarity_sum=float(data["polarity_sum"] or 0.0),
        positive=int(data["positive"]),
        negative=int(data["negative"]),
        segments={s: int(data[f"seg_{s}"]) for s in SEGMENTS if data[f"seg_{s}"]},
    )


SCORED = ("nps", "csat", "ces")
SCORES = tuple(range(11))
# Score -> segment per scale, the cut-offs of the metrics (as in sentiment's thresholds.yaml):
# NPS 0-6 / 7-8 / 9-10, CSAT 1-2 / 3 / 4-5, CES 1-3 / 4 / 5-7.
PASSIVE_FROM = {"nps": 7, "csat": 3, "ces": 4}
PROMOTER_FROM = {"nps": 9, "csat": 4, "ces": 5}


def add_score_counts(fig: AnswerFigures, question_type: str, score: int, n: int) -> None:
    """Put ``n`` answers of one score into the NPS / CSAT / CES and segment counts of ``fig``."""
    if question_type not in PROMOTER_FROM:
        return
    fig.answers += n
    segment = (
        "promoter"
        if score >= PROMOTER_FROM[question_type]
        else "passive"
        if score >= PASSIVE_FROM[question_type]
        else "detractor"
    )
    fig.segments[segment] = fig.segments.get(segment, 0) + n
    if question_type == "nps":
        fig.nps_n += n
        fig.promoters += n if segment == "promoter" else 0
        fig.passives += n if segment == "passive" else 0
        fig.detractors += n if segment == "detractor" else 0
    elif question_type == "csat":
        fig.csat_n += n
        fig.csat_good += n if segment == "promoter" else 0
    else:
        fig.ces_n += n
        fig.ces_good += n if segment == "promoter" else 0


async def period_figures(s: Any, flt: InsightFilter) -> AnswerFigures:
    """The figures of one period from two index range scans: answers per (question type,
    score), and the customers' words (count, polarity, labels, ambassador candidates).

    Segments are those of the ratings (by the cut-offs above) plus, from the words, the
    ambassador candidates: promoters whose words are positive.
    """
    qt, score = Answer.question_type, Answer.score
    if flt.product:
        # One product is a small slice: read it through ix_answers_product_created, not the
        # whole period through the score index (``|| ''`` keeps the planner off that index).
        qt, score = literal_column("answers.question_type || ''"), Answer.score + 0
    return await figures_where(s, filter_clauses(flt), qt, score)


async def figures_where(s: Any, where: list[Any], qt: Any, score: Any) -> AnswerFigures:
    """The figures of the answers matching ``where``; ``qt`` and ``score`` are the question
    type and score as the WHERE clause reads them (plain columns, or expressions that keep
    the planner off an index)."""
    scored = (  # grouped by ``qt`` and ``score`` too: SQLite would read an index for the order
        select(qt, score, func.count())
        .where(qt.in_(SCORED), score.in_(SCORES), *where)
        .group_by(qt, score)
    )
    words = select(
        func.count(),
        func.count(Answer.polarity),
        func.coalesce(func.sum(Answer.polarity), 0.0),
        _count(Answer.sentiment == "positive"),
        _count(Answer.sentiment == "negative"),
        _count(Answer.segment.in_(("ambassador_candidate", "ambassador"))),
    ).where(qt.in_(WORDS), *where)
    fig = AnswerFigures()
    for question_type, value, n in (await s.execute(scored)).all():
        add_score_counts(fig, question_type, int(value), int(n))
    total, with_polarity, polarity, positive, negative, ambassadors = (await s.execute(words)).one()
    fig.answers += int(total)
    fig.words_n, fig.polarity_sum = int(with_polarity), float(polarity or 0.0)
    fig.positive, fig.negative = int(positive), int(negative)
    if ambassadors:
        fig.segments["ambassador_candidate"] = int(ambassadors)
    return fig


async def answer_figures(db: Database, flt: InsightFilter) -> tuple[AnswerFigures, AnswerFigures]:
    """(current, previous) figures of the answers to check-in questions, read from ``answers``
    alone (``storage.insights.rollup`` reads complete days from the daily rollup), the two
    periods side by side on two connections."""

    async def one(period: InsightFilter) -> AnswerFigures:
        async with db.reading() as s:
            return await period_figures(s, period)

    current, previous = await asyncio.gather(one(flt), one(flt.previous()))
    return current, previous


BREAKDOWNS = {
    "product": Answer.product,
    "touchpoint": Answer.touchpoint,
    "language": Answer.language,
    "channel": Answer.channel,
}


async def breakdown(
    db: Database, flt: InsightFilter, by: str, limit: int = 25
) -> list[tuple[str, AnswerFigures, AnswerFigures]]:
    """Per value of ``by`` (product, touchpoint or language): (value, current, previous),
    the values with most answers in the current period first."""
    column = BREAKDOWNS[by]
    prev = flt.previous()
    stmt = (
        select(column.label("dim"), bucket(flt), *_figure_columns())
        .where(*filter_clauses(flt, start=prev.start))
        .group_by(literal_column("dim"), literal_column("bucket"))
    )
    async with db.reading() as s:
        rows = (await s.execute(stmt)).all()
    current: dict[str, AnswerFigures] = {}
    previous: dict[str, AnswerFigures] = {}
    for row in rows:
        target = current if int(row.bucket) else previous
        target[row.dim or "(none)"] = _to_figures(row)
    ranked = sorted(current, key=lambda k: (-current[k].answers, k))[:limit]
    return [(k, current[k], previous.get(k, AnswerFigures())) for k in ranked]


@dataclass(frozen=True)
class WeekPoint:
    """NPS counts of one week of a trend."""

    start: datetime
    nps_n: int
    promoters: int
    detractors: int
    answers: int


def _week_index(db: Database, start: datetime) -> Any:
    if db.dialect == "postgresql":
        seconds = func.extract("epoch", Answer.created_at) - start.timestamp()
        return cast(func.floor(seconds / 604800.0), Integer)
    stamp = start.strftime("%Y-%m-%d %H:%M:%S")
    days = func.julianday(Answer.created_at) - func.julianday(stamp)
    return cast(days / 7.0, Integer)  # never negative here: the WHERE starts at ``start``


async def weekly_nps(db: Database, flt: InsightFilter) -> list[WeekPoint]:
    """NPS counts per week from ``flt.start`` (every week, empty ones included)."""
    from datetime import timedelta

    week = _week_index(db, flt.start).label("week")
    qt, score = Answer.question_type, Answer.score
    stmt = (
        select(
            week,
            _count(and_(qt == "nps", score.is_not(None))).label("nps_n"),
            _count(and_(qt == "nps", score >= 9)).label("promoters"),
            _count(and_(qt == "nps", score <= 6)).label("detractors"),
            func.count().label("answers"),
        )
        .where(*filter_clauses(flt))
        .group_by(literal_column("week"))
    )
    async with db.reading() as s:
        rows = {int(r.week): r for r in (await s.execute(stmt)).all()}
    weeks = max(1, -(-(flt.end - flt.start) // timedelta(days=7)))
    points = []
    for i in range(weeks):
        r = rows.get(i)
        points.append(
            WeekPoint(
                start=flt.start + timedelta(days=7 * i),
                nps_n=int(r.nps_n) if r else 0,
                promoters=int(r.promoters) if r else 0,
                detractors=int(r.detractors) if r else 0,
                answers=int(r.answers) if r else 0,
            )
        )
    return points
