"""Streaming exports of answers and testimonials: keyset pagination (``WHERE id > last ORDER BY
id LIMIT n``), so memory stays flat whatever the table size, on SQLite and PostgreSQL alike.

Personal data (name, e-mail, phone) is only joined in when asked for; otherwise a row carries
the customer's internal id, which means nothing outside this database.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import datetime
from typing import Any

from sqlalchemy import func, select

from storage.db import Database
from storage.models import Answer, Customer, Testimonial

ANSWER_FIELDS = [
    "answer_id",
    "customer_id",
    "created_at",
    "checkin_id",
    "question_id",
    "question_type",
    "score",
    "text",
    "language",
    "touchpoint",
    "product",
    "sentiment",
    "polarity",
    "segment",
    "escalate",
    "themes",
    "channel",
]
TESTIMONIAL_FIELDS = [
    "testimonial_id",
    "customer_id",
    "created_at",
    "text",
    "language",
    "consent_at",
]
PERSONAL_FIELDS = ["name", "email", "phone"]


def _period(column: Any, start: datetime | None, end: datetime | None) -> list[Any]:
    clauses = []
    if start is not None:
        clauses.append(column >= start)
    if end is not None:
        clauses.append(column < end)
    return clauses


async def count_answers(db: Database, start: datetime | None, end: datetime | None) -> int:
    """How many answers an export of the period will write."""
    stmt = select(func.count()).select_from(Answer).where(*_period(Answer.created_at, start, end))
    async with db.reading() as s:
        return int((await s.execute(stmt)).scalar_one())


async def _pages(
    db: Database,
    model: Any,
    columns: list[Any],
    where: list[Any],
    personal: bool,
    batch: int,
) -> AsyncIterator[list[Any]]:
    """Rows of ``model`` matching ``where`` in id order, ``batch`` at a time (keyset paging),
    with the customer's name, e-mail and phone added when ``personal``."""
    extra = [Customer.name, Customer.email, Customer.phone] if personal else []
    last = 0
    while True:
        stmt = select(*columns, *extra).where(model.id > last, *where)
        if personal:
            stmt = stmt.outerjoin(Customer, Customer.id == model.customer_id)
        async with db.reading() as s:
            rows = (await s.execute(stmt.order_by(model.id).limit(batch))).all()
        if not rows:
            return
        last = rows[-1].id
        yield rows


def _with_person(row: dict[str, Any], r: Any, personal: bool) -> dict[str, Any]:
    if personal:
        row.update(name=r.name, email=r.email, phone=r.phone)
    return row


async def stream_answers(
    db: Database,
    start: datetime | None = None,
    end: datetime | None = None,
    *,
    personal: bool = False,
    batch: int = 2000,
) -> AsyncIterator[list[dict[str, Any]]]:
    """Answers of the period in id order, ``batch`` rows at a time."""
    columns = [
        Answer.id,
        Answer.customer_id,
        Answer.created_at,
        Answer.checkin_id,
        Answer.question_id,
        Answer.question_type,
        Answer.score,
        Answer.text,
        Answer.language,
        Answer.touchpoint,
        Answer.product,
        Answer.sentiment,
        Answer.polarity,
        Answer.segment,
        Answer.escalate,
        Answer.analysis,
        Answer.channel,
    ]
    where = _period(Answer.created_at, start, end)
    async for rows in _pages(db, Answer, columns, where, personal, batch):
        out = []
        for r in rows:
            analysis = r.analysis if isinstance(r.analysis, dict) else {}
            row = dict(zip(ANSWER_FIELDS[:15], r[:15], strict=True))
            row["themes"] = list(analysis.get("themes") or [])
            row["channel"] = r.channel
            out.append(_with_person(row, r, personal))
        yield out


async def count_testimonials(db: Database, start: datetime | None, end: datetime | None) -> int:
    """How many testimonials (with consent) an export will write."""
    stmt = (
        select(func.count())
        .select_from(Testimonial)
        .where(Testimonial.consent.is_(True), *_period(Testimonial.created_at, start, end))
    )
    async with db.reading() as s:
        return int((await s.execute(stmt)).scalar_one())


async def stream_testimonials(
    db: Database,
    start: datetime | None = None,
    end: datetime | None = None,
    *,
    personal: bool = False,
    batch: int = 2000,
) -> AsyncIterator[list[dict[str, Any]]]:
    """Testimonials customers allowed us to quote, in id order, ``batch`` at a time."""
    columns = [
        Testimonial.id,
        Testimonial.customer_id,
        Testimonial.created_at,
        Testimonial.text,
        Testimonial.language,
        Testimonial.consent_at,
    ]
    where = [Testimonial.consent.is_(True), *_period(Testimonial.created_at, start, end)]
    async for rows in _pages(db, Testimonial, columns, where, personal, batch):
        yield [
            _with_person(dict(zip(TESTIMONIAL_FIELDS, r[:6], strict=True)), r, personal)
            for r in rows
        ]
