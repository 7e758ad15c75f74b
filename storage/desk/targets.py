"""Response-time targets on cases: which are waiting unclaimed, and marking each reminder or
escalation exactly once (with its post queued in the same transaction)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import and_, select, update

from storage.db import Database
from storage.desk.outbox import enqueue_in
from storage.models import Case, CaseStatus, Event


class CaseTargetQueries:
    """Queries for response-time targets."""

    db: Database

    async def unclaimed_cases(self, limit: int = 200) -> list[Case]:
        """Open cases nobody has claimed and that were not escalated yet (oldest first)."""
        async with self.db.session() as s:
            rows = await s.execute(
                select(Case)
                .where(
                    and_(
                        Case.status == CaseStatus.OPEN,
                        Case.owner.is_(None),
                        Case.escalated_at.is_(None),
                    )
                )
                .order_by(Case.opened_at)
                .limit(limit)
            )
            return list(rows.scalars().all())

    async def mark_case_late(
        self, case_id: int, step: str, now: datetime, text: str, channel: str | None = None
    ) -> bool:
        """Record a reminder or an escalation once (``step``: "reminded" or "escalated").

        The post goes into the case thread, or to ``channel`` when given. False when another
        worker did it already or the case was claimed meanwhile.
        """
        column = Case.reminded_at if step == "reminded" else Case.escalated_at
        async with self.db.session() as s:
            done = await s.execute(
                update(Case)
                .where(Case.id == case_id, column.is_(None), Case.owner.is_(None))
                .values({column.key: now})
            )
            if not done.rowcount:  # type: ignore[attr-defined]
                return False
            if channel:
                enqueue_in(s, "channel", now, case_id=case_id, channel=channel, text=text)
            else:
                enqueue_in(s, "thread", now, case_id=case_id, text=text)
            s.add(Event(kind=f"case.{step}", at=now, case_id=case_id, data={}))
            return True
