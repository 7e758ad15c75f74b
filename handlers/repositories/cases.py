"""The Cases port: support cases as the desk's handlers read and change them.

Storage implements it (:class:`storage.repositories.CaseRepository`).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any, Protocol

from storage.desk.case_view import CaseView
from storage.desk.cases import ClaimResult
from storage.desk.resolution import RecoveryPlan
from storage.desk.vouchers import VoucherRequest
from storage.models import Answer, Case, CaseStatus, CheckIn, Customer


class Cases(Protocol):
    """Support cases as the desk's handlers read and change them."""

    async def get_case(self, case_id: int) -> Case | None:
        """One case by id."""
        ...

    async def case_for_thread(self, channel: str, thread_ts: str) -> Case | None:
        """The case whose card is the message ``thread_ts`` in ``channel``."""
        ...

    async def open_case_of(self, customer_id: int) -> Case | None:
        """The customer's open case, if any."""
        ...

    async def case_touched_by(
        self, customer_id: int, *, checkin_id: int | None = None, answer_id: int | None = None
    ) -> Case | None:
        """The customer's open case if an answer of check-in ``checkin_id`` (or the answer
        ``answer_id``) opened it or was added to it; else None.
        """
        ...

    async def claim_case(self, case_id: int, staff_id: str, now: datetime) -> ClaimResult:
        """Give an open, unowned case to ``staff_id``; a second claim learns who has it."""
        ...

    async def take_over_case(self, case_id: int, staff_id: str, now: datetime) -> ClaimResult:
        """Give an open case to ``staff_id`` whoever has it; ``owner`` is who had it before."""
        ...

    async def note_staff_reply(self, case_id: int, staff_id: str, now: datetime) -> Case | None:
        """A staff reply went to the customer: the case waits on them (claimed if it was not)."""
        ...

    async def note_customer_message(
        self, case_id: int, text: str, now: datetime, file: dict[str, Any] | None = None
    ) -> None:
        """The customer wrote while the case is open: relay it to the thread, back to staff.
        ``file`` (a :meth:`FileRef.to_payload`): the file they sent follows ``text`` as a
        ``thread_file`` post, queued in the same transaction."""
        ...

    async def files_relayed_since(self, case_id: int, since: datetime) -> int:
        """How many of the customer's files were queued for the case's thread since ``since``
        (``thread_file`` posts, whatever became of them)."""
        ...

    async def close_case(
        self,
        case_id: int,
        *,
        status: CaseStatus,
        staff_id: str,
        now: datetime,
        note: str | None = None,
        gesture: str | None = None,
        recovery: RecoveryPlan | None = None,
        voucher: VoucherRequest | None = None,
    ) -> Case | None:
        """Resolve a case (or call it not an issue); resolving schedules the recovery check-in
        and, with ``voucher``, hands the case a code (VouchersExhausted: nothing changed).
        """
        ...

    async def record_resolve_note(
        self,
        case_id: int,
        *,
        text: str | None,
        delivery: str,
        thread_text: str,
        now: datetime,
        release_code: bool = False,
    ) -> None:
        """What became of the resolve note (sent, blocked, erased...): kept with the case, told
        in its thread, shown on its card; ``release_code`` gives an undelivered voucher
        back.
        """
        ...

    async def unclaimed_cases(self, limit: int = 200) -> list[Case]:
        """Open cases nobody has claimed and that were not escalated yet (oldest first)."""
        ...

    async def mark_case_late(
        self, case_id: int, step: str, now: datetime, text: str, channel: str | None = None
    ) -> bool:
        """Record a reminder or an escalation once (``step``: "reminded" or "escalated")."""
        ...

    async def case_view(self, case_id: int, previous: int = 5) -> CaseView | None:
        """The case with its customer, order, answers and history (``previous`` answers)."""
        ...

    async def answer_with_checkin(self, answer_id: int) -> tuple[Answer, CheckIn | None] | None:
        """An answer and the check-in it belongs to (None for words sent outside a check-in)."""
        ...

    async def customer_chat(self, customer_id: int) -> tuple[Customer, int | None] | None:
        """A customer and their Telegram chat (None when not linked or forgotten)."""
        ...

    async def stock_vouchers(self, gesture: str, codes: tuple[str, ...], now: datetime) -> int:
        """Add the configured pool codes the table does not have yet; returns how many."""
        ...
