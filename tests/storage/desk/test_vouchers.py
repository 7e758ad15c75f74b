"""Voucher codes on both backends: each handed out once, even by two workers (two engines) at
once; an empty pool refuses and changes nothing; an undelivered code goes back."""

from __future__ import annotations

import asyncio
import itertools

import pytest
from sqlalchemy import select

from storage.db import Database
from storage.desk.vouchers import VoucherRequest, VouchersExhausted
from storage.models import Case, CaseStatus, VoucherCode
from storage.repositories import Repositories
from tests.storage.desk.test_cases import NOW, customer_with_answers, open_for

POOL = ("CODE-1", "CODE-2", "CODE-3")


async def open_cases(store: Repositories, n: int) -> list[int]:
    ids = []
    for _ in range(n):
        customer_id, (answer,) = await customer_with_answers(store, 1)
        await open_for(store, customer_id, answer)
        case = await store.cases.open_case_of(customer_id)
        assert case is not None
        ids.append(case.id or 0)
    return ids


async def resolve(store: Repositories, case_id: int, request: VoucherRequest) -> Case | None:
    return await store.cases.close_case(
        case_id,
        status=CaseStatus.RESOLVED,
        staff_id="U1",
        now=NOW,
        note="done",
        gesture=request.gesture,
        voucher=request,
    )


async def test_two_workers_hand_out_different_codes(
    store: Repositories, db_url: tuple[str, str | None]
) -> None:
    # a second worker, its own engine
    other = Repositories.on(Database(db_url[0], schema=db_url[1]))
    try:
        cases = await open_cases(store, 3)
        assert await store.cases.stock_vouchers("V10", POOL, NOW) == 3
        assert await other.cases.stock_vouchers("V10", POOL, NOW) == 0  # stocked once
        request = VoucherRequest("V10", POOL)
        done = await asyncio.gather(
            resolve(store, cases[0], request),
            resolve(other, cases[1], request),
            resolve(store, cases[2], request),
        )
        codes = [c.gesture_code for c in done if c is not None]
        assert sorted(codes) == sorted(POOL)
        fourth = (await open_cases(store, 1))[0]
        with pytest.raises(VouchersExhausted):
            await resolve(other, fourth, request)
        case = await store.cases.get_case(fourth)
        assert case is not None and case.status == CaseStatus.OPEN  # nothing changed
    finally:
        await other.db.dispose()


async def test_the_same_case_resolved_twice_at_once_takes_one_code(
    store: Repositories, db_url: tuple[str, str | None]
) -> None:
    other = Repositories.on(Database(db_url[0], schema=db_url[1]))
    try:
        (case_id,) = await open_cases(store, 1)
        await store.cases.stock_vouchers("V10", POOL, NOW)
        request = VoucherRequest("V10", POOL)
        results = await asyncio.gather(
            resolve(store, case_id, request), resolve(other, case_id, request)
        )
        assert sum(r is not None for r in results) == 1
        async with store.db.session() as s:
            taken = await s.execute(
                select(VoucherCode.code).where(VoucherCode.case_id.is_not(None))
            )
            assert taken.scalars().all() == ["CODE-1"]
    finally:
        await other.db.dispose()


async def test_generated_codes_never_repeat_and_undelivered_codes_go_back(
    store: Repositories,
) -> None:
    cases = await open_cases(store, 2)
    await store.cases.stock_vouchers("V10", ("ONLY-1",), NOW)
    # A pattern that repeats itself: the second case must get a different code.
    made = itertools.chain(["GEN-AAAAAA", "GEN-AAAAAA"], (f"GEN-{i:06}" for i in itertools.count()))
    request = VoucherRequest("V25", (), lambda: next(made))
    first = await resolve(store, cases[0], request)
    second = await resolve(store, cases[1], request)
    assert first is not None and second is not None
    assert first.gesture_code == "GEN-AAAAAA" and second.gesture_code == "GEN-000000"
    await store.cases.record_resolve_note(
        cases[1], text=None, delivery="blocked", thread_text="x", now=NOW, release_code=True
    )
    async with store.db.session() as s:
        rows = (await s.execute(select(VoucherCode.code, VoucherCode.case_id))).all()
    assert sorted(rows, key=str) == sorted(
        [("GEN-AAAAAA", cases[0]), ("ONLY-1", None)], key=str
    )  # the generated code of the blocked customer is dropped, never handed out again
    case = await store.cases.get_case(cases[1])
    assert case is not None and case.gesture_code is None and case.note_delivery == "blocked"
