"""Queries on check-ins that several workers share: claiming due ones safely."""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import and_, or_, select, update

from storage.db import Database
from storage.models import CheckIn, CheckInStatus

CHECKINS = CheckIn.__table__
_CLAIMABLE = (CheckInStatus.SCHEDULED,)


async def claim_due_checkins(
    db: Database, worker: str, now: datetime, limit: int, lease: timedelta
) -> list[CheckIn]:
    """Claim up to ``limit`` due check-ins for ``worker`` until ``now + lease``.

    On PostgreSQL rows are locked with ``FOR UPDATE SKIP LOCKED``, so workers never take the
    same check-in; on SQLite the write lock taken first makes the claim single-writer. A claim
    whose lease ran out (a worker died) can be taken again.
    """
    free = or_(CHECKINS.c.claimed_until.is_(None), CHECKINS.c.claimed_until < now)
    due = and_(CHECKINS.c.status.in_(_CLAIMABLE), CHECKINS.c.due_at <= now, free)
    async with db.session() as s:
        if db.dialect == "sqlite":
            # BEGIN IMMEDIATE equivalent: take the write lock before reading what to claim.
            await s.execute(update(CHECKINS).where(CHECKINS.c.id == -1).values(attempt_count=0))
        pick = select(CHECKINS.c.id).where(due).order_by(CHECKINS.c.due_at, CHECKINS.c.id)
        pick = pick.limit(limit)
        if db.dialect == "postgresql":
            pick = pick.with_for_update(skip_locked=True)
        ids = [r[0] for r in (await s.execute(pick)).all()]
        if not ids:
            return []
        await s.execute(
            update(CHECKINS).where(CHECKINS.c.id.in_(ids))
            .values(claimed_by=worker, claimed_until=now + lease)
        )
        rows = (await s.execute(select(CheckIn).where(CheckIn.id.in_(ids))
                                .order_by(CheckIn.due_at, CheckIn.id))).scalars().all()
    return list(rows)


async def release_claim(db: Database, checkin_id: int, worker: str) -> None:
    """Give a claimed check-in back (e.g. sending failed and it should be retried later)."""
    async with db.session() as s:
        await s.execute(
            update(CHECKINS).where(CHECKINS.c.id == checkin_id, CHECKINS.c.claimed_by == worker)
            .values(claimed_by=None, claimed_until=None)
        )


async def count_by_status(db: Database) -> dict[str, int]:
    """How many check-ins there are in each status."""
    from sqlalchemy import func

    async with db.session() as s:
        rows = await s.execute(select(CHECKINS.c.status, func.count()).group_by(CHECKINS.c.status))
        return {r[0]: r[1] for r in rows.all()}
