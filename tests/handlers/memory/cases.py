"""The Cases port in memory (:mod:`storage.desk.cases` and :mod:`storage.desk.targets`; closing
and reading a case are in ``case_closing`` and ``case_reading``)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from storage.desk.cases import OPEN_CASE, THREAD_FILE, ClaimResult
from storage.memory_tables import MemoryTables, clone
from storage.models import Answer, Case, CaseStatus, Event, OutboxMessage
from tests.handlers.memory.case_closing import MemoryCaseClosing
from tests.handlers.memory.case_reading import MemoryCaseReading
from tests.handlers.memory.shared import add_event, case_event, enqueue_post


class MemoryCases(MemoryCaseClosing, MemoryCaseReading):
    """Support cases: claimed, noted, resolved with a gesture, reminded, and shown on cards."""

    def __init__(self, tables: MemoryTables) -> None:
        self.tables = tables

    def _open_of(self, customer_id: int) -> Case | None:
        found = self.tables.rows(Case, lambda c: c.open_for_customer == customer_id)
        return found[0] if found else None

    async def get_case(self, case_id: int) -> Case | None:
        """One case by id."""
        case = self.tables.get(Case, case_id)
        return clone(case) if case else None

    async def case_for_thread(self, channel: str, thread_ts: str) -> Case | None:
        """The case whose card is the message ``thread_ts`` in ``channel``."""
        found = self.tables.rows(
            Case, lambda c: c.slack_channel == channel and c.slack_ts == thread_ts
        )
        return clone(found[0]) if found else None

    async def open_case_of(self, customer_id: int) -> Case | None:
        """The customer's open case, if any."""
        case = self._open_of(customer_id)
        return clone(case) if case else None

    async def case_touched_by(
        self, customer_id: int, *, checkin_id: int | None = None, answer_id: int | None = None
    ) -> Case | None:
        """The customer's open case if an answer of ``checkin_id`` (else the answer
        ``answer_id``) opened it or was added to it (a ``case.answer_added`` event)."""
        case = self._open_of(customer_id)
        if case is None:
            return None
        if checkin_id is not None:
            ids = {a.id for a in self.tables.rows(Answer, lambda a: a.checkin_id == checkin_id)}
        else:
            ids = {answer_id} if answer_id is not None else set()
        if case.answer_id in ids:
            return clone(case)
        actors = {f"answer:{i}" for i in ids}
        added = self.tables.rows(
            Event,
            lambda e: e.case_id == case.id and e.kind == "case.answer_added" and e.actor in actors,
        )
        return clone(case) if ids and added else None

    async def claim_case(self, case_id: int, staff_id: str, now: datetime) -> ClaimResult:
        """Give an open, unowned case to ``staff_id``; a second claim learns who has it."""
        case = self.tables.get(Case, case_id)
        if case is None:
            return ClaimResult(False, None, "missing")
        if case.owner is not None or case.status != CaseStatus.OPEN:
            return ClaimResult(False, case.owner, case.status)
        case.owner, case.status, case.claimed_at = staff_id, CaseStatus.CLAIMED, now
        case_event(self.tables, "case.claimed", now, case, staff_id)
        enqueue_post(self.tables, "card_update", now, case_id=case_id)
        return ClaimResult(True, staff_id, case.status)

    async def take_over_case(self, case_id: int, staff_id: str, now: datetime) -> ClaimResult:
        """Give an open case to ``staff_id`` whoever has it; ``owner`` is who had it before
        (``claimed`` False when the case is closed or already theirs)."""
        case = self.tables.get(Case, case_id)
        if case is None:
            return ClaimResult(False, None, "missing")
        if case.status not in OPEN_CASE or case.owner == staff_id:
            return ClaimResult(False, case.owner, case.status)
        previous, case.owner = case.owner, staff_id
        if case.status == CaseStatus.OPEN:
            case.status, case.claimed_at = CaseStatus.CLAIMED, now
        case_event(self.tables, "case.taken_over", now, case, staff_id, {"from": previous})
        enqueue_post(self.tables, "card_update", now, case_id=case_id)
        return ClaimResult(True, previous, case.status)

    async def note_staff_reply(self, case_id: int, staff_id: str, now: datetime) -> Case | None:
        """A staff reply went out: an open case waits on the customer (claimed if it was not);
        a closed case is returned unchanged."""
        case = self.tables.get(Case, case_id)
        if case is None or case.status not in OPEN_CASE:
            return clone(case) if case else None
        if case.owner is None:
            case.owner, case.claimed_at = staff_id, now
        case.status = CaseStatus.WAITING_ON_CUSTOMER
        case_event(self.tables, "case.replied", now, case, staff_id)
        enqueue_post(self.tables, "card_update", now, case_id=case_id)
        return clone(case)

    async def files_relayed_since(self, case_id: int, since: datetime) -> int:
        """How many ``thread_file`` posts were queued for the case since ``since``."""
        return len(
            self.tables.rows(
                OutboxMessage,
                lambda m: m.case_id == case_id and m.kind == THREAD_FILE and m.created_at >= since,
            )
        )

    async def note_customer_message(
        self, case_id: int, text: str, now: datetime, file: dict[str, Any] | None = None
    ) -> None:
        """Relay the customer's words (and ``file``, a ``thread_file`` post after them) to the
        thread; a case waiting on them goes back to staff (claimed if it has an owner, else
        open)."""
        case = self.tables.get(Case, case_id)
        if case is None:
            return
        enqueue_post(self.tables, "thread", now, case_id=case_id, text=text)
        if file is not None:
            enqueue_post(self.tables, THREAD_FILE, now, case_id=case_id, payload=dict(file))
        if case.status == CaseStatus.WAITING_ON_CUSTOMER:
            case.status = CaseStatus.CLAIMED if case.owner else CaseStatus.OPEN
            enqueue_post(self.tables, "card_update", now, case_id=case_id)

    async def unclaimed_cases(self, limit: int = 200) -> list[Case]:
        """Open cases nobody has claimed and that were not escalated yet (oldest first)."""
        found = self.tables.rows(
            Case,
            lambda c: c.status == CaseStatus.OPEN and c.owner is None and c.escalated_at is None,
        )
        return [clone(c) for c in sorted(found, key=lambda c: c.opened_at)[:limit]]

    async def mark_case_late(
        self, case_id: int, step: str, now: datetime, text: str, channel: str | None = None
    ) -> bool:
        """Record a reminder or an escalation once, while nobody owns the case; the post goes
        to ``channel`` or the case's thread."""
        column = "reminded_at" if step == "reminded" else "escalated_at"
        case = self.tables.get(Case, case_id)
        if case is None or getattr(case, column) is not None or case.owner is not None:
            return False
        setattr(case, column, now)
        if channel:
            enqueue_post(self.tables, "channel", now, case_id=case_id, channel=channel, text=text)
        else:
            enqueue_post(self.tables, "thread", now, case_id=case_id, text=text)
        add_event(self.tables, f"case.{step}", at=now, case_id=case_id, data={})
        return True
