"""What customers said, aggregated: top themes with one typical quote each, detractors' words.

Themes live in ``answers.analysis`` (the sentiment analysis as JSON, ``{"themes": [...]}``);
the database expands them (``json_each`` on SQLite, ``json_array_elements_text`` on
PostgreSQL), counts them and picks the quote whose polarity is closest to the theme's average.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import and_, func, select, true

from storage.db import Database
from storage.insights.aggregates import WORDS, InsightFilter, filter_clauses
from storage.models import Answer, Case


@dataclass(frozen=True)
class Theme:
    """One theme: how often it came up, its average polarity and a typical quote."""

    name: str
    count: int
    polarity: float | None
    quote: str | None


@dataclass(frozen=True)
class Quote:
    """A customer's words with where they came from."""

    text: str
    product: str | None
    touchpoint: str | None
    language: str | None
    created_at: datetime
    case_status: str | None


def _theme_values(db: Database, analysis: Any) -> Any:
    if db.dialect == "postgresql":
        return func.json_array_elements_text(analysis["themes"]).table_valued("value")
    return func.json_each(analysis, "$.themes").table_valued("value")


async def top_themes(
    db: Database, flt: InsightFilter, limit: int = 5, sample: int | None = None
) -> list[Theme]:
    """The ``limit`` most frequent themes in the customers' words of the period, each with a
    typical quote; with ``sample``, only the newest ``sample`` words are read."""
    src = select(Answer.id, Answer.analysis, Answer.polarity, Answer.text).where(
        Answer.question_type.in_(WORDS), *filter_clauses(flt)
    )
    if sample is not None:
        src = src.order_by(Answer.created_at.desc()).limit(sample)
    words = src.subquery("words")
    values = _theme_values(db, words.c.analysis)
    t = (
        select(
            values.c.value.label("theme"),
            words.c.polarity.label("polarity"),
            words.c.text.label("text"),
            words.c.id.label("id"),
        )
        .select_from(words)
        .join(values, true())
        .cte("t")
    )
    agg = (
        select(t.c.theme, func.count().label("n"), func.avg(t.c.polarity).label("avgp"))
        .group_by(t.c.theme)
        .order_by(func.count().desc(), t.c.theme)
        .limit(limit)
        .cte("agg")
    )
    distance = func.abs(func.coalesce(t.c.polarity, 0.0) - func.coalesce(agg.c.avgp, 0.0))
    ranked = (
        select(
            t.c.theme,
            t.c.text,
            func.row_number()
            .over(partition_by=t.c.theme, order_by=(distance, func.length(t.c.text), t.c.id))
            .label("rn"),
        )
        .join(agg, agg.c.theme == t.c.theme)
        .where(t.c.text.is_not(None), func.length(t.c.text) >= 3)
        .subquery()
    )
    stmt = (
        select(agg.c.theme, agg.c.n, agg.c.avgp, ranked.c.text)
        .outerjoin(ranked, and_(ranked.c.theme == agg.c.theme, ranked.c.rn == 1))
        .order_by(agg.c.n.desc(), agg.c.theme)
    )
    async with db.reading() as s:
        rows = (await s.execute(stmt)).all()
    return [
        Theme(
            str(r.theme),
            int(r.n),
            float(r.avgp) if r.avgp is not None else None,
            r.text,
        )
        for r in rows
    ]


async def detractor_quotes(db: Database, flt: InsightFilter, limit: int = 5) -> list[Quote]:
    """The newest words of detractors in the period, with the state of their case if any."""
    stmt = (
        select(
            Answer.text,
            Answer.product,
            Answer.touchpoint,
            Answer.language,
            Answer.created_at,
            Case.status,
        )
        .outerjoin(Case, Case.answer_id == Answer.id)
        .where(
            *filter_clauses(flt),
            Answer.segment == "detractor",
            Answer.question_type.in_(WORDS),
            Answer.text.is_not(None),
        )
        .order_by(Answer.created_at.desc(), Answer.id.desc())
        .limit(limit)
    )
    async with db.reading() as s:
        rows = (await s.execute(stmt)).all()
    return [Quote(r[0], r[1], r[2], r[3], r[4], r[5]) for r in rows]


async def known_values(db: Database, by: str, limit: int = 500) -> list[str]:
    """Distinct stored values of product, touchpoint or language (for "did you mean")."""
    column = {"product": Answer.product, "touchpoint": Answer.touchpoint}.get(by, Answer.language)
    stmt = select(column).where(column.is_not(None)).distinct().limit(limit)
    async with db.reading() as s:
        return [str(v) for v in (await s.execute(stmt)).scalars().all()]


async def value_exists(db: Database, by: str, value: str) -> bool:
    """Whether any answer carries this product, touchpoint or language."""
    column = {"product": Answer.product, "touchpoint": Answer.touchpoint}.get(by, Answer.language)
    async with db.reading() as s:
        found = await s.execute(select(Answer.id).where(column == value).limit(1))
    return found.first() is not None
