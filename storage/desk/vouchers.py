"""Voucher codes of goodwill gestures: the configured pool is stocked into ``voucher_codes``
and each code is handed out to one case at most, even with two staff members resolving at once
or two workers (a row lock where the database has one, and a conditional update anyway)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import delete, func, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from storage.advocacy.links import insert_for
from storage.db import Database
from storage.models import VoucherCode

VOUCHERS = VoucherCode.__table__  # type: ignore[attr-defined]


class VouchersExhausted(Exception):
    """A gesture's pool has no code left (and it has no pattern to generate one)."""


@dataclass(frozen=True)
class VoucherRequest:
    """A code wanted for a gesture: its pool (as configured) and how to make one without it."""

    gesture: str
    codes: tuple[str, ...] = ()
    make_code: Callable[[], str] | None = None


async def hand_out_in(
    s: AsyncSession, dialect: str, request: VoucherRequest, case_id: int, now: datetime
) -> str:
    """A code for ``case_id`` in the session's transaction: the oldest free pool code, else a
    generated one; VouchersExhausted when neither is possible."""
    free = (
        select(VoucherCode.id, VoucherCode.code)
        .where(VoucherCode.gesture == request.gesture, VoucherCode.case_id.is_(None))
        .order_by(VoucherCode.id)
        .limit(1)
    )
    if dialect == "postgresql":  # a second resolver takes the next code instead of waiting
        free = free.with_for_update(skip_locked=True)
    for _ in range(10):
        row = (await s.execute(free)).first()
        if row is None:
            break
        won = await s.execute(
            update(VoucherCode)
            .where(VoucherCode.id == row.id, VoucherCode.case_id.is_(None))
            .values(case_id=case_id, handed_out_at=now)
        )
        if won.rowcount:  # type: ignore[attr-defined]
            return str(row.code)
    if request.make_code is None:
        raise VouchersExhausted(request.gesture)
    for _ in range(10):
        code = request.make_code()
        taken = await s.execute(select(VoucherCode.id).where(VoucherCode.code == code))
        if taken.first() is None:  # a collision at the same moment fails the unique index
            s.add(
                VoucherCode(
                    gesture=request.gesture,
                    code=code,
                    case_id=case_id,
                    generated=True,
                    created_at=now,
                    handed_out_at=now,
                )
            )
            await s.flush()
            return code
    raise VouchersExhausted(request.gesture)


async def release_in(s: AsyncSession, case_id: int) -> None:
    """Give a case's code back: a pool code becomes free again, a generated one is dropped."""
    await s.execute(
        delete(VoucherCode).where(VoucherCode.case_id == case_id, VoucherCode.generated)
    )
    await s.execute(
        update(VoucherCode)
        .where(VoucherCode.case_id == case_id)
        .values(case_id=None, handed_out_at=None)
    )


class VoucherQueries:
    """Stocking and counting voucher pools."""

    db: Database

    async def stock_vouchers(self, gesture: str, codes: tuple[str, ...], now: datetime) -> int:
        """Add the configured pool codes the table does not have yet; returns how many (a code
        configured twice counts once)."""
        if not codes:
            return 0
        async with self.db.session() as s:
            known = await s.execute(select(VoucherCode.code).where(VoucherCode.code.in_(codes)))
            have = set(known.scalars())
            missing = list(dict.fromkeys(c for c in codes if c not in have))  # once each
            if not missing:
                return 0
            rows = [
                {"gesture": gesture, "code": c, "generated": False, "created_at": now}
                for c in missing
            ]
            await s.execute(
                insert_for(self.db.dialect, VOUCHERS)
                .values(rows)
                .on_conflict_do_nothing(index_elements=[VOUCHERS.c.code])
            )
            return len(missing)

    async def vouchers_left(self, gesture: str) -> int:
        """How many pool codes of ``gesture`` are still free."""
        async with self.db.session() as s:
            found = await s.execute(
                select(func.count())
                .select_from(VoucherCode)
                .where(VoucherCode.gesture == gesture, VoucherCode.case_id.is_(None))
            )
            return int(found.scalar_one())
