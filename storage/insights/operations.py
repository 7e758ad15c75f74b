"""SQL aggregates over check-ins, cases and advocacy for managers' insights.

Check-ins and cases carry no product or language of their own: with such a filter the query
joins the purchase, the customer or the answer that opened the case.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import (
    and_,
    case,
    exists,
    func,
    literal_column,
    or_,
    select,
)

from storage.db import Database
from storage.insights.aggregates import InsightFilter
from storage.models import (
    AdvocacyAsk,
    Answer,
    Case,
    CheckIn,
    Customer,
    LinkClick,
    Purchase,
    ReferralCredit,
    Testimonial,
    TrackedLink,
)

OPEN_STATUSES = ("open", "claimed", "waiting_on_customer")


def _count(condition: Any) -> Any:
    return func.coalesce(func.sum(case((condition, 1), else_=0)), 0)


@dataclass
class ResponseFigures:
    """Check-ins sent in a period and what became of them."""

    sent: int = 0
    answered: int = 0
    expired: int = 0
    reminded: int = 0  # waiting for an answer after the one reminder

    @property
    def rate(self) -> float | None:
        """Answered check-ins as a share of those sent, in percent."""
        return 100.0 * self.answered / self.sent if self.sent else None


CHECKIN_STATUSES = ("sent", "answered", "reminded", "expired", "cancelled", "scheduled")


async def _period_responses(s: Any, flt: InsightFilter) -> ResponseFigures:
    stmt = select(CheckIn.status, func.count()).where(
        CheckIn.status.in_(CHECKIN_STATUSES),
        CheckIn.sent_at >= flt.start,
        CheckIn.sent_at < flt.end,
    )
    if flt.touchpoint:
        stmt = stmt.where(CheckIn.touchpoint == flt.touchpoint)
    if flt.product:  # from the product's purchases to their check-ins, both by index
        stmt = stmt.where(
            CheckIn.purchase_id.in_(select(Purchase.id).where(Purchase.product == flt.product))
        )
    if flt.language:
        stmt = stmt.join(Customer, Customer.id == CheckIn.customer_id).where(
            Customer.language == flt.language
        )
    counts = {status: int(n) for status, n in (await s.execute(stmt.group_by(CheckIn.status)))}
    return ResponseFigures(
        sent=sum(counts.values()),
        answered=counts.get("answered", 0),
        expired=counts.get("expired", 0),
        reminded=counts.get("reminded", 0),
    )


async def response_figures(
    db: Database, flt: InsightFilter
) -> tuple[ResponseFigures, ResponseFigures]:
    """(current, previous) check-in figures, by the time each check-in was sent: counts per
    status (an index range scan per status), the two periods side by side on two connections."""

    async def one(period: InsightFilter) -> ResponseFigures:
        async with db.reading() as s:
            return await _period_responses(s, period)

    current, previous = await asyncio.gather(one(flt), one(flt.previous()))
    return current, previous


@dataclass
class CaseFigures:
    """Cases opened in a period: how fast they were handled and how they ended."""

    opened: int = 0
    still_open: int = 0
    resolved: int = 0
    missed_target: int = 0
    recovery_asked: int = 0
    recovered: int = 0
    gestures: int = 0
    """Resolved with a goodwill gesture that reached the customer (or before notes were sent)."""
    gesture_asked: int = 0
    gesture_recovered: int = 0
    """Of those, asked "did we fix it?" / came back as promoters."""
    median_claim_s: float | None = None
    median_resolve_s: float | None = None
    open_now: int = 0


def _case_filters(stmt: Any, flt: InsightFilter) -> Any:
    """Filter cases by the answer that opened them (EXISTS: one primary-key look-up a case)."""
    conditions = [
        column == value
        for column, value in (
            (Answer.product, flt.product),
            (Answer.touchpoint, flt.touchpoint),
            (Answer.language, flt.language),
        )
        if value
    ]
    if conditions:
        stmt = stmt.where(exists().where(Answer.id == Case.answer_id, *conditions))
    return stmt


def _seconds(db: Database, later: Any, earlier: Any) -> Any:
    if db.dialect == "postgresql":
        return func.extract("epoch", later - earlier)
    return (func.julianday(later) - func.julianday(earlier)) * 86400.0


async def _median(db: Database, s: Any, flt: InsightFilter, later: Any) -> float | None:
    """The median of ``later - opened_at`` over the period's cases (only the middle rows load)."""
    duration = _seconds(db, later, Case.opened_at).label("d")
    base = _case_filters(
        select(duration).where(
            Case.opened_at >= flt.start, Case.opened_at < flt.end, later.is_not(None)
        ),
        flt,
    )
    n = (await s.execute(select(func.count()).select_from(base.subquery()))).scalar_one()
    if not n:
        return None
    # PostgreSQL sorts by the float8 ``date_part`` (numeric EXTRACT sorts several times slower;
    # durations are whole microseconds, far apart for a double, so the order is the same) and
    # still returns the exact EXTRACT value of the middle rows.
    key = (
        func.date_part("epoch", later - Case.opened_at)
        if db.dialect == "postgresql"
        else literal_column("d")
    )
    middle = base.order_by(key).limit(2 - n % 2).offset((n - 1) // 2)
    values = [float(v) for v in (await s.execute(middle)).scalars().all()]
    return sum(values) / len(values)


async def case_figures(db: Database, flt: InsightFilter, now: datetime) -> CaseFigures:
    """Figures of the cases opened in the period, and how many cases are open now."""
    missed = or_(
        Case.escalated_at.is_not(None),
        and_(Case.respond_by.is_not(None), Case.claimed_at > Case.respond_by),
        and_(Case.respond_by.is_not(None), Case.claimed_at.is_(None), Case.respond_by < now),
    )
    # Cases resolved before notes were recorded (NULL) count as given too, and so do notes
    # queued while Telegram was away (the customers outbox delivers them).
    given = and_(
        Case.gesture.is_not(None),
        or_(Case.note_delivery.is_(None), Case.note_delivery.in_(("sent", "queued"))),
    )
    stmt = _case_filters(
        select(
            func.count().label("opened"),
            _count(Case.status.in_(OPEN_STATUSES)).label("still_open"),
            _count(Case.status == "resolved").label("resolved"),
            _count(missed).label("missed"),
            _count(Case.recovered.is_not(None)).label("asked"),
            _count(Case.recovered.is_(True)).label("recovered"),
            _count(given).label("gestures"),
            _count(and_(given, Case.recovered.is_not(None))).label("gesture_asked"),
            _count(and_(given, Case.recovered.is_(True))).label("gesture_recovered"),
        ).where(Case.opened_at >= flt.start, Case.opened_at < flt.end),
        flt,
    )
    open_now = _case_filters(
        select(func.count()).select_from(Case).where(Case.status.in_(OPEN_STATUSES)), flt
    )
    async with db.reading() as s:
        r = (await s.execute(stmt)).one()
        figures = CaseFigures(
            opened=int(r.opened),
            still_open=int(r.still_open),
            resolved=int(r.resolved),
            missed_target=int(r.missed),
            recovery_asked=int(r.asked),
            recovered=int(r.recovered),
            gestures=int(r.gestures),
            gesture_asked=int(r.gesture_asked),
            gesture_recovered=int(r.gesture_recovered),
        )
        figures.open_now = int((await s.execute(open_now)).scalar_one())
        if figures.opened:
            figures.median_claim_s = await _median(db, s, flt, Case.claimed_at)
            figures.median_resolve_s = await _median(db, s, flt, Case.resolved_at)
    return figures


@dataclass
class AdvocacyFigures:
    """Ambassadors and what they brought in a period."""

    ambassadors: int = 0
    """Customers who said yes to an ambassador ask in the period (the product brief's word)."""
    candidates: int = 0
    """Promoters whose words were positive: who may be asked."""
    asks_sent: int = 0
    asks_answered: int = 0
    asks_declined: int = 0
    referral_clicks: int = 0
    review_clicks: int = 0
    referred_purchases: int = 0
    testimonials: int = 0


async def advocacy_figures(db: Database, flt: InsightFilter) -> AdvocacyFigures:
    """Counts for the ``ambassadors`` command (product, touchpoint and language filter only the
    ambassadors themselves: clicks and credits carry no product)."""
    period = (flt.start, flt.end)
    candidates = select(func.count(func.distinct(Answer.customer_id))).where(
        Answer.created_at >= flt.start,
        Answer.created_at < flt.end,
        Answer.segment.in_(("ambassador", "ambassador_candidate")),
        *([Answer.product == flt.product] if flt.product else []),
        *([Answer.touchpoint == flt.touchpoint] if flt.touchpoint else []),
        *([Answer.language == flt.language] if flt.language else []),
    )
    asks = select(
        func.count(),
        _count(AdvocacyAsk.status == "answered").label("answered"),
        _count(AdvocacyAsk.status == "declined").label("declined"),
    ).where(
        AdvocacyAsk.kind == "ambassador",
        AdvocacyAsk.sent_at >= period[0],
        AdvocacyAsk.sent_at < period[1],
    )
    ambassadors = select(func.count(func.distinct(AdvocacyAsk.customer_id))).where(
        AdvocacyAsk.kind == "ambassador",
        AdvocacyAsk.status == "answered",
        AdvocacyAsk.answered_at >= period[0],
        AdvocacyAsk.answered_at < period[1],
    )
    clicks = (
        select(
            _count(TrackedLink.kind == "referral").label("referral"),
            _count(TrackedLink.kind == "review").label("review"),
        )
        .select_from(LinkClick)
        .join(TrackedLink, TrackedLink.code == LinkClick.code)
        .where(LinkClick.at >= period[0], LinkClick.at < period[1])
    )
    credits = select(func.count()).where(
        ReferralCredit.credited_at >= period[0], ReferralCredit.credited_at < period[1]
    )
    testimonials = select(func.count()).where(
        Testimonial.consent.is_(True),
        Testimonial.created_at >= period[0],
        Testimonial.created_at < period[1],
    )
    async with db.reading() as s:
        asked = (await s.execute(asks)).one()
        clicked = (await s.execute(clicks)).one()
        return AdvocacyFigures(
            ambassadors=int((await s.execute(ambassadors)).scalar_one()),
            candidates=int((await s.execute(candidates)).scalar_one()),
            asks_sent=int(asked[0]),
            asks_answered=int(asked[1]),
            asks_declined=int(asked[2]),
            referral_clicks=int(clicked.referral),
            review_clicks=int(clicked.review),
            referred_purchases=int((await s.execute(credits)).scalar_one()),
            testimonials=int((await s.execute(testimonials)).scalar_one()),
        )
