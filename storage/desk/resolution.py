"""Resolving a case: closing it with what was done, the goodwill gesture and its voucher code,
scheduling the recovery check-in, and recording what became of the note to the customer."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from storage.db import Database
from storage.desk.cases import CLOSED_CASE, case_event, close_in
from storage.desk.outbox import enqueue_in
from storage.desk.vouchers import VoucherRequest, hand_out_in, release_in
from storage.models import Answer, Case, CaseStatus, CheckIn, CheckInStatus

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class RecoveryPlan:
    """The recovery check-in a resolved case schedules."""

    journey: str
    touchpoint: str
    due_at: datetime


class CaseResolutionQueries:
    """Closing cases and recording the note that went to the customer."""

    db: Database

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

        Returns None when the case is missing or already closed (nothing changes then).
        """
        for attempt in range(3):
            try:
                return await self._close_case_once(
                    case_id, status, staff_id, now, note, gesture, recovery, voucher
                )
            except IntegrityError:  # two generated codes alike at the same moment: once more
                if attempt == 2:
                    raise
                log.info("closing case %s raced on a voucher code; trying again", case_id)
        return None

    async def _close_case_once(
        self,
        case_id: int,
        status: CaseStatus,
        staff_id: str,
        now: datetime,
        note: str | None,
        gesture: str | None,
        recovery: RecoveryPlan | None,
        voucher: VoucherRequest | None,
    ) -> Case | None:
        async with self.db.session() as s:
            # Locked (PostgreSQL): a second resolver waits, then sees the case closed.
            locked = select(Case).where(Case.id == case_id).with_for_update()
            found = await s.execute(locked.execution_options(populate_existing=True))
            case = found.scalar_one_or_none()
            if case is None or case.status in CLOSED_CASE:
                return None
            code = None
            if voucher is not None and status == CaseStatus.RESOLVED:
                code = await hand_out_in(s, self.db.dialect, voucher, case_id, now)
            close_in(s, case, status, staff_id, now, {"gesture": gesture, "code": code})
            case.owner = case.owner or staff_id
            case.resolution_note, case.gesture, case.gesture_code = note, gesture, code
            if recovery is not None and status == CaseStatus.RESOLVED:
                checkin = CheckIn(
                    customer_id=case.customer_id,
                    purchase_id=await _purchase_of(s, case),
                    case_id=case.id,
                    journey=recovery.journey,
                    touchpoint=recovery.touchpoint,
                    due_at=recovery.due_at,
                    status=CheckInStatus.SCHEDULED,
                    created_at=now,
                )
                s.add(checkin)
                await s.flush()
                case.recovery_checkin_id = checkin.id
            return case

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
        in its thread, shown on its card; ``release_code`` gives an undelivered voucher back."""
        async with self.db.session() as s:
            case = await s.get(Case, case_id)
            if case is None:
                return
            case.customer_note, case.note_delivery = text, delivery
            if release_code and case.gesture_code:
                await release_in(s, case_id)
                case.gesture_code = None
            s.add(case_event("case.note_" + delivery, now, case, None, {"text": text}))
            enqueue_in(s, "thread", now, case_id=case_id, text=thread_text)
            enqueue_in(s, "card_update", now, case_id=case_id)


async def _purchase_of(s: Any, case: Case) -> int | None:
    """The purchase the case is about: the flagged answer's check-in's purchase."""
    if case.answer_id is None:
        return None
    row = (
        await s.execute(
            select(CheckIn.purchase_id)
            .join(Answer, Answer.checkin_id == CheckIn.id)
            .where(Answer.id == case.answer_id)
        )
    ).first()
    return row[0] if row else None
