"""The CheckIns port: check-ins as the check-in handlers read and move them.

Storage implements it (:class:`storage.repositories.CheckInRepository`).
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Protocol

from storage.checkins.conversations import StorageKey
from storage.checkins.lifecycle import CheckInContext
from storage.models import CheckIn, CheckInStatus


class CheckIns(Protocol):
    """Check-ins as the check-in handlers read and move them."""

    async def claim_due_checkins(
        self, worker: str, now: datetime, limit: int, lease: timedelta
    ) -> list[CheckIn]:
        """Claim scheduled check-ins that are due, of customers who opted in and have no open
        support case (a customer talking to support is not surveyed; their check-ins wait).
        """
        ...

    async def claim_reminders(
        self, worker: str, now: datetime, reminder_after: timedelta, limit: int, lease: timedelta
    ) -> list[CheckIn]:
        """Claim sent check-ins unanswered for ``reminder_after`` that had no reminder yet."""
        ...

    async def expire_overdue(self, now: datetime) -> list[int]:
        """Mark sent or reminded check-ins past their expiry as expired; returns their ids."""
        ...

    async def checkin_context(self, checkin_id: int) -> CheckInContext | None:
        """The check-in, its customer, their chat and the product it is about."""
        ...

    async def checkin_contexts(self, checkin_ids: list[int]) -> dict[int, CheckInContext]:
        """``checkin_context`` for many check-ins in one query."""
        ...

    async def fatigue_facts_many(
        self, customer_ids: list[int]
    ) -> dict[int, tuple[datetime | None, datetime | None]]:
        """Per customer: (expiry of their open check-in, when we last asked them something)."""
        ...

    async def begin_conversations(self, starts: list[tuple[StorageKey, int]]) -> None:
        """Put each chat at question 0 of its check-in (before the question is sent, so an
        answer arriving right after the send finds its state).
        """
        ...

    async def mark_sent(
        self, key: StorageKey, checkin_id: int, message_id: int, now: datetime, expires_at: datetime
    ) -> None:
        """Mark one check-in sent the moment Telegram took it (``finish_sends`` for one); marks
        made at the same moment share a transaction (see :mod:`storage.coalesce`).
        """
        ...

    async def renew_checkin_claims(
        self, worker: str, checkin_ids: list[int], until: datetime
    ) -> None:
        """Extend ``worker``'s claims on those check-ins it still holds (it is alive). A claim
        already held longer (a failed send's retry time, see ``mark_retry``) is left alone.
        """
        ...

    async def next_scheduled(self, customer_id: int) -> CheckIn | None:
        """The customer's next scheduled check-in."""
        ...

    async def reschedule(self, checkin_id: int, due_at: datetime, reason: str) -> None:
        """Move a claimed check-in to ``due_at`` and let it go."""
        ...

    async def mark_reminded(self, checkin_id: int, now: datetime) -> None:
        """The one reminder went out."""
        ...

    async def mark_answered(self, checkin_id: int, now: datetime) -> None:
        """The customer answered every question."""
        ...

    async def mark_retry(self, checkin_id: int, retry_at: datetime, error: str) -> None:
        """Sending failed for a passing reason: keep the claim until ``retry_at``."""
        ...

    async def cancel_checkin(
        self, checkin_id: int, reason: str, status: CheckInStatus = CheckInStatus.CANCELLED
    ) -> None:
        """Stop a check-in for good (cancelled, or expired when it is too late to ask)."""
        ...
