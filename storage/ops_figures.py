"""What the database says about how the bot is doing, for metrics (counts, ages, leases).

Each query is a grouped count over an indexed status column or a min/max over a few rows; no
customer data leaves here, only statuses, touchpoints, channels and internal names.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import case, func, select

from storage.db import Database
from storage.models import (
    Case,
    CheckIn,
    CheckInStatus,
    Customer,
    CustomerMessage,
    Lease,
    OutboxMessage,
    OutboxStatus,
)


@dataclass
class OpsFigures:
    """One snapshot of the database's gauges."""

    checkins: dict[tuple[str, str, str], int] = field(default_factory=dict)
    """(journey, touchpoint, status) -> check-ins."""
    checkins_due: int = 0
    last_checkin_sent: datetime | None = None
    customers: dict[str, int] = field(default_factory=dict)
    cases: dict[str, int] = field(default_factory=dict)
    cases_escalated_open: int = 0
    outbox_pending: dict[str, int] = field(default_factory=dict)
    outbox_oldest: dict[str, datetime] = field(default_factory=dict)
    outbox_failed: dict[str, int] = field(default_factory=dict)
    outbox_retrying: dict[str, int] = field(default_factory=dict)
    """Waiting messages that failed at least once and wait for their next try."""
    leases: dict[str, str] = field(default_factory=dict)
    """Unexpired lease -> its holder."""


def _aware(value: datetime | None) -> datetime | None:
    # SQLite hands back naive datetimes for what was stored as UTC.
    if value is not None and value.tzinfo is None:
        from datetime import UTC

        return value.replace(tzinfo=UTC)
    return value


async def ops_figures(db: Database, now: datetime) -> OpsFigures:
    """Read every gauge in one short transaction."""
    out = OpsFigures()
    async with db.session() as s:
        rows = await s.execute(
            select(CheckIn.journey, CheckIn.touchpoint, CheckIn.status, func.count()).group_by(
                CheckIn.journey, CheckIn.touchpoint, CheckIn.status
            )
        )
        out.checkins = {(j, t, st): n for j, t, st, n in rows}
        out.checkins_due = (
            await s.execute(
                select(func.count()).where(
                    CheckIn.status == CheckInStatus.SCHEDULED, CheckIn.due_at <= now
                )
            )
        ).scalar_one()
        out.last_checkin_sent = _aware(
            (
                await s.execute(
                    select(func.max(CheckIn.sent_at)).where(
                        CheckIn.status.in_(
                            (
                                CheckInStatus.SENT,
                                CheckInStatus.REMINDED,
                                CheckInStatus.ANSWERED,
                                CheckInStatus.EXPIRED,
                            )
                        )
                    )
                )
            ).scalar_one()
        )
        rows = await s.execute(
            select(Customer.opt_in_state, func.count()).group_by(Customer.opt_in_state)
        )
        out.customers = {state: n for state, n in rows}
        rows = await s.execute(select(Case.status, func.count()).group_by(Case.status))
        out.cases = {status: n for status, n in rows}
        out.cases_escalated_open = (
            await s.execute(
                select(func.count()).where(
                    Case.escalated_at.is_not(None), Case.open_for_customer.is_not(None)
                )
            )
        ).scalar_one()
        await _outboxes(s, out)
        rows = await s.execute(select(Lease.name, Lease.holder).where(Lease.until > now))
        out.leases = {name: holder for name, holder in rows}
    return out


async def _outboxes(s: object, out: OpsFigures) -> None:
    """Depth, oldest pending message and failures of the Slack outbox and the customers'."""
    retried = case((OutboxMessage.attempts > 0, 1), else_=0)
    slack = (
        await s.execute(  # type: ignore[attr-defined]
            select(
                func.count(),
                func.min(OutboxMessage.created_at),
                func.coalesce(func.sum(retried), 0),
            ).where(OutboxMessage.status == OutboxStatus.PENDING)
        )
    ).one()
    out.outbox_pending["slack"] = slack[0]
    out.outbox_retrying["slack"] = int(slack[2])
    if slack[1] is not None:
        out.outbox_oldest["slack"] = _aware(slack[1])  # type: ignore[assignment]
    out.outbox_failed["slack"] = (
        await s.execute(  # type: ignore[attr-defined]
            select(func.count()).where(OutboxMessage.status == OutboxStatus.FAILED)
        )
    ).scalar_one()
    retried = case((CustomerMessage.attempts > 0, 1), else_=0)
    rows = await s.execute(  # type: ignore[attr-defined]
        select(
            CustomerMessage.channel,
            func.count(),
            func.min(CustomerMessage.created_at),
            func.coalesce(func.sum(retried), 0),
        )
        .where(CustomerMessage.status == OutboxStatus.PENDING)
        .group_by(CustomerMessage.channel)
    )
    for channel, count, oldest, retrying in rows:
        out.outbox_pending[channel] = count
        out.outbox_retrying[channel] = int(retrying)
        if oldest is not None:
            out.outbox_oldest[channel] = _aware(oldest)  # type: ignore[assignment]
    rows = await s.execute(  # type: ignore[attr-defined]
        select(CustomerMessage.channel, func.count())
        .where(CustomerMessage.status == OutboxStatus.FAILED)
        .group_by(CustomerMessage.channel)
    )
    for channel, count in rows:
        out.outbox_failed[channel] = count
    out.outbox_pending.setdefault("telegram", 0)
    out.outbox_failed.setdefault("telegram", 0)
    out.outbox_retrying.setdefault("telegram", 0)
