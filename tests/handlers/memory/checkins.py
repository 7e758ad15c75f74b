"""The CheckIns port in memory (:mod:`storage.checkins.lifecycle`)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta

from storage.checkins.lifecycle import CheckInContext
from storage.memory_tables import MemoryTables, clone
from storage.models import (
    AdvocacyAsk,
    Case,
    CheckIn,
    CheckInStatus,
    Customer,
    OptInState,
)
from tests.handlers.memory.checkin_sends import MemoryCheckInSends
from tests.handlers.memory.shared import add_event, checkin_contexts

OPEN = (CheckInStatus.SENT, CheckInStatus.REMINDED)


class MemoryCheckIns(MemoryCheckInSends):
    """Check-ins: claimed when due, sent, reminded, answered, expired, rescheduled."""

    def __init__(self, tables: MemoryTables) -> None:
        self.tables = tables

    def _claim(
        self,
        where: Callable[[CheckIn], bool],
        worker: str,
        now: datetime,
        limit: int,
        lease: timedelta,
        order: Callable[[CheckIn], datetime],
    ) -> list[CheckIn]:
        """Claim rows matching ``where`` whose claim is free (none, or run out before ``now``),
        in ``order`` then id, for ``worker`` until ``now + lease``."""
        free = self.tables.rows(
            CheckIn, lambda c: where(c) and (c.claimed_until is None or c.claimed_until < now)
        )
        chosen = sorted(free, key=lambda c: (order(c), c.id or 0))[:limit]
        for c in chosen:
            c.claimed_by, c.claimed_until = worker, now + lease
        return [clone(c) for c in chosen]

    async def claim_due_checkins(
        self, worker: str, now: datetime, limit: int, lease: timedelta
    ) -> list[CheckIn]:
        """Claim due scheduled check-ins of opted-in customers without an open case."""
        opted_in = {
            c.id
            for c in self.tables.rows(Customer, lambda c: c.opt_in_state == OptInState.OPTED_IN)
        }
        in_a_case = {c.open_for_customer for c in self.tables.rows(Case)} - {None}
        return self._claim(
            lambda c: (
                c.status == CheckInStatus.SCHEDULED
                and c.due_at <= now
                and c.customer_id in opted_in
                and c.customer_id not in in_a_case
            ),
            worker,
            now,
            limit,
            lease,
            lambda c: c.due_at,
        )

    async def claim_reminders(
        self, worker: str, now: datetime, reminder_after: timedelta, limit: int, lease: timedelta
    ) -> list[CheckIn]:
        """Claim sent check-ins unanswered for ``reminder_after`` that have not expired."""
        return self._claim(
            lambda c: (
                c.status == CheckInStatus.SENT
                and c.sent_at is not None
                and c.sent_at <= now - reminder_after
                and c.expires_at is not None
                and c.expires_at > now
            ),
            worker,
            now,
            limit,
            lease,
            lambda c: c.sent_at,  # type: ignore[arg-type,return-value]
        )

    async def expire_overdue(self, now: datetime) -> list[int]:
        """Mark sent or reminded check-ins past their expiry (at ``now`` too) as expired."""
        overdue = self.tables.rows(
            CheckIn, lambda c: c.status in OPEN and c.expires_at is not None and c.expires_at <= now
        )
        for c in overdue:
            c.status, c.claimed_by, c.claimed_until = CheckInStatus.EXPIRED, None, None
        return [c.id or 0 for c in overdue]

    async def checkin_context(self, checkin_id: int) -> CheckInContext | None:
        """The check-in, its customer, their chat and the product it is about."""
        return checkin_contexts(self.tables, [checkin_id]).get(checkin_id)

    async def checkin_contexts(self, checkin_ids: list[int]) -> dict[int, CheckInContext]:
        """``checkin_context`` for many check-ins."""
        return checkin_contexts(self.tables, checkin_ids)

    async def fatigue_facts_many(
        self, customer_ids: list[int]
    ) -> dict[int, tuple[datetime | None, datetime | None]]:
        """Per customer: (latest expiry of an open check-in, the last time a check-in or an
        advocacy ask was sent to them)."""
        facts: dict[int, tuple[datetime | None, datetime | None]] = {}
        for customer_id in customer_ids:
            mine = [c for c in self.tables.rows(CheckIn) if c.customer_id == customer_id]
            expiries = [c.expires_at for c in mine if c.status in OPEN and c.expires_at]
            sent = [c.sent_at for c in mine if c.sent_at is not None]
            asks = [a for a in self.tables.rows(AdvocacyAsk) if a.customer_id == customer_id]
            sent += [a.sent_at for a in asks if a.sent_at is not None]
            facts[customer_id] = (max(expiries, default=None), max(sent, default=None))
        return facts

    async def next_scheduled(self, customer_id: int) -> CheckIn | None:
        """The customer's scheduled check-in due first."""
        found = self.tables.rows(
            CheckIn,
            lambda c: c.customer_id == customer_id and c.status == CheckInStatus.SCHEDULED,
        )
        return clone(min(found, key=lambda c: c.due_at)) if found else None

    def _set(self, checkin_id: int, **values: object) -> CheckIn | None:
        checkin = self.tables.get(CheckIn, checkin_id)
        for name, value in values.items() if checkin is not None else ():
            setattr(checkin, name, value)
        return checkin

    async def reschedule(self, checkin_id: int, due_at: datetime, reason: str) -> None:
        """Move a claimed check-in to ``due_at`` and let it go."""
        self._set(
            checkin_id, due_at=due_at, claimed_by=None, claimed_until=None, last_error=reason[:500]
        )

    async def mark_reminded(self, checkin_id: int, now: datetime) -> None:
        """The one reminder went out."""
        self._set(
            checkin_id,
            status=CheckInStatus.REMINDED,
            reminded_at=now,
            claimed_by=None,
            claimed_until=None,
        )

    async def mark_answered(self, checkin_id: int, now: datetime) -> None:
        """The customer answered every question."""
        self._set(
            checkin_id,
            status=CheckInStatus.ANSWERED,
            answered_at=now,
            claimed_by=None,
            claimed_until=None,
        )

    async def mark_retry(self, checkin_id: int, retry_at: datetime, error: str) -> None:
        """Sending failed for a passing reason: keep the claim until ``retry_at``."""
        checkin = self._set(checkin_id, claimed_until=retry_at, last_error=error[:500])
        if checkin is not None:
            checkin.attempt_count += 1

    async def cancel_checkin(
        self, checkin_id: int, reason: str, status: CheckInStatus = CheckInStatus.CANCELLED
    ) -> None:
        """Stop a check-in for good; the audit log says so (even for an unknown id)."""
        self._set(
            checkin_id, status=status, last_error=reason[:500], claimed_by=None, claimed_until=None
        )
        add_event(
            self.tables,
            f"checkin.{status}",
            data={"checkin_id": checkin_id, "reason": reason[:200]},
        )
