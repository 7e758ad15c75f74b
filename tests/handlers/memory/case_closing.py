"""Closing a case in memory: the resolution, its voucher and recovery check-in, the note to the
customer, and stocking voucher pools (:mod:`storage.desk.resolution`, ``vouchers``)."""

from __future__ import annotations

from datetime import datetime

from storage.desk.cases import CLOSED_CASE
from storage.desk.resolution import RecoveryPlan
from storage.desk.vouchers import VoucherRequest, VouchersExhausted
from storage.memory_tables import MemoryTables, clone
from storage.models import Answer, Case, CaseStatus, CheckIn, CheckInStatus, VoucherCode
from tests.handlers.memory.shared import case_event, enqueue_post


def hand_out(tables: MemoryTables, request: VoucherRequest, case_id: int, now: datetime) -> str:
    """The oldest free code of the gesture's pool, else a generated one not taken yet (ten
    tries); :class:`VouchersExhausted` when neither (nothing changed then)."""
    free = tables.rows(VoucherCode, lambda v: v.gesture == request.gesture and v.case_id is None)
    if free:
        free[0].case_id, free[0].handed_out_at = case_id, now
        return free[0].code
    if request.make_code is None:
        raise VouchersExhausted(request.gesture)
    for _ in range(10):
        code = request.make_code()
        if code not in {v.code for v in tables.rows(VoucherCode)}:
            tables.insert(
                VoucherCode(
                    gesture=request.gesture,
                    code=code,
                    case_id=case_id,
                    generated=True,
                    created_at=now,
                    handed_out_at=now,
                )
            )
            return code
    raise VouchersExhausted(request.gesture)


def _purchase_of(tables: MemoryTables, case: Case) -> int | None:
    """The purchase of the check-in of the answer that opened the case."""
    answer = tables.get(Answer, case.answer_id) if case.answer_id is not None else None
    checkin = tables.get(CheckIn, answer.checkin_id) if answer and answer.checkin_id else None
    return checkin.purchase_id if checkin else None


class MemoryCaseClosing:
    """Closing cases and recording the note that went to the customer."""

    tables: MemoryTables

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
        """Resolve a case (or call it not an issue); None when it is missing or closed.
        Resolving hands out ``voucher``'s code and schedules ``recovery``."""
        case = self.tables.get(Case, case_id)
        if case is None or case.status in CLOSED_CASE:
            return None
        code = None
        if voucher is not None and status == CaseStatus.RESOLVED:
            code = hand_out(self.tables, voucher, case_id, now)  # raises before any change
        case.status, case.closed_by, case.resolved_at = status, staff_id, now
        case.open_for_customer = None
        case_event(
            self.tables, f"case.{status}", now, case, staff_id, {"gesture": gesture, "code": code}
        )
        enqueue_post(self.tables, "card_update", now, case_id=case.id)
        case.owner = case.owner or staff_id
        case.resolution_note, case.gesture, case.gesture_code = note, gesture, code
        if recovery is not None and status == CaseStatus.RESOLVED:
            checkin = CheckIn(
                customer_id=case.customer_id,
                purchase_id=_purchase_of(self.tables, case),
                case_id=case.id,
                journey=recovery.journey,
                touchpoint=recovery.touchpoint,
                due_at=recovery.due_at,
                status=CheckInStatus.SCHEDULED,
                created_at=now,
            )
            case.recovery_checkin_id = self.tables.insert(checkin).id
        return clone(case)

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
        """Keep what became of the resolve note, tell it in the thread, update the card;
        ``release_code`` gives the code back (a pool code is free again, a generated one goes)."""
        case = self.tables.get(Case, case_id)
        if case is None:
            return
        case.customer_note, case.note_delivery = text, delivery
        if release_code and case.gesture_code:
            self.tables.delete(VoucherCode, lambda v: v.case_id == case_id and v.generated)
            for v in self.tables.rows(VoucherCode, lambda v: v.case_id == case_id):
                v.case_id = v.handed_out_at = None
            case.gesture_code = None
        case_event(self.tables, "case.note_" + delivery, now, case, None, {"text": text})
        enqueue_post(self.tables, "thread", now, case_id=case_id, text=thread_text)
        enqueue_post(self.tables, "card_update", now, case_id=case_id)

    async def stock_vouchers(self, gesture: str, codes: tuple[str, ...], now: datetime) -> int:
        """Add the configured pool codes the table does not have yet (of any gesture); returns
        how many were added (a code configured twice is added and counted once)."""
        have = {v.code for v in self.tables.rows(VoucherCode)}
        missing = list(dict.fromkeys(c for c in codes if c not in have))
        for code in missing:
            self.tables.insert(
                VoucherCode(gesture=gesture, code=code, generated=False, created_at=now)
            )
        return len(missing)
