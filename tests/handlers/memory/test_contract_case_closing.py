"""Contract: closing a case (voucher, recovery check-in, the note to the customer), alike in
memory, on SQLite and on PostgreSQL (the card's view: ``..._case_view``)."""

from __future__ import annotations

from datetime import timedelta
from itertools import count

import pytest

from storage.desk.resolution import RecoveryPlan
from storage.desk.vouchers import VoucherRequest, VouchersExhausted
from storage.models import (
    Case,
    CaseStatus,
    CheckIn,
    Event,
    OutboxMessage,
    VoucherCode,
)
from tests.handlers.memory.backends import PortsBackend
from tests.handlers.memory.contract_data import (
    MINUTE,
    NOW,
    answer,
    case,
    checkin,
    customer,
    purchase,
)

DAY = timedelta(days=1)


async def opened_case(ports: PortsBackend, **fields: object) -> Case:
    """Kim's case, opened by an answer of a check-in about her order."""
    kim = await ports.one(customer())
    bought = await ports.one(purchase(kim.id, "A-1"))
    about = await ports.one(checkin(kim.id, purchase_id=bought.id))
    flagged = await ports.one(answer(kim.id, checkin_id=about.id))
    return await ports.one(case(kim.id, answer_id=flagged.id, **fields))


async def test_resolving_hands_out_a_code_and_schedules_the_recovery(ports: PortsBackend) -> None:
    opened = await opened_case(ports)
    await ports.repos.cases.stock_vouchers("10% off", ("P1", "P2"), NOW)
    plan = RecoveryPlan("recovery", "recovery", NOW + 2 * DAY)
    closed = await ports.repos.cases.close_case(
        opened.id,
        status=CaseStatus.RESOLVED,
        staff_id="U1",
        now=NOW,
        note="Sent a new one",
        gesture="10% off",
        recovery=plan,
        voucher=VoucherRequest("10% off", ("P1", "P2")),
    )
    assert closed is not None
    assert (closed.status, closed.closed_by, closed.owner, closed.resolved_at) == (
        "resolved",
        "U1",
        "U1",
        NOW,
    )
    assert (closed.open_for_customer, closed.gesture_code, closed.resolution_note) == (
        None,
        "P1",
        "Sent a new one",
    )
    recovery = [c for c in await ports.rows(CheckIn) if c.case_id == opened.id]
    assert [(c.id, c.journey, c.due_at, c.status) for c in recovery] == [
        (closed.recovery_checkin_id, "recovery", NOW + 2 * DAY, "scheduled")
    ]
    first_purchase = recovery[0].purchase_id
    assert first_purchase is not None  # the flagged answer's order
    (event,) = await ports.rows(Event)
    assert (event.kind, event.actor, event.data) == (
        "case.resolved",
        "U1",
        {"gesture": "10% off", "code": "P1"},
    )
    assert [(m.kind, m.case_id) for m in await ports.rows(OutboxMessage)] == [
        ("card_update", opened.id)
    ]
    again = await ports.repos.cases.close_case(
        opened.id, status=CaseStatus.NOT_AN_ISSUE, staff_id="U2", now=NOW
    )
    assert again is None and len(await ports.rows(Event)) == 1  # closed once
    assert (
        await ports.repos.cases.close_case(999, status=CaseStatus.RESOLVED, staff_id="U1", now=NOW)
        is None
    )


async def test_not_an_issue_takes_no_code_and_schedules_nothing(ports: PortsBackend) -> None:
    opened = await opened_case(ports, owner="U9", status=CaseStatus.CLAIMED)
    await ports.repos.cases.stock_vouchers("10% off", ("P1",), NOW)
    closed = await ports.repos.cases.close_case(
        opened.id,
        status=CaseStatus.NOT_AN_ISSUE,
        staff_id="U1",
        now=NOW,
        recovery=RecoveryPlan("recovery", "recovery", NOW + DAY),
        voucher=VoucherRequest("10% off", ("P1",)),
    )
    assert closed is not None
    assert (closed.status, closed.owner, closed.gesture_code, closed.recovery_checkin_id) == (
        "not_an_issue",
        "U9",
        None,
        None,
    )
    assert [v.case_id for v in await ports.rows(VoucherCode)] == [None]
    assert len(await ports.rows(CheckIn)) == 1  # only the one that was there


async def test_when_codes_run_out_nothing_changes_until_one_is_generated(
    ports: PortsBackend,
) -> None:
    first = await opened_case(ports)
    sam = await ports.one(customer(name="Sam"))
    second = await ports.one(case(sam.id))
    await ports.repos.cases.stock_vouchers("card", ("ONLY",), NOW)
    resolve = ports.repos.cases.close_case
    pool = VoucherRequest("card", ("ONLY",))
    await resolve(first.id, status=CaseStatus.RESOLVED, staff_id="U1", now=NOW, voucher=pool)
    with pytest.raises(VouchersExhausted):
        await resolve(second.id, status=CaseStatus.RESOLVED, staff_id="U1", now=NOW, voucher=pool)
    still = await ports.repos.cases.get_case(second.id)
    assert still is not None and (still.status, still.open_for_customer) == ("open", sam.id)
    taken = iter(["ONLY", "ONLY", "GEN-1"])  # the first two collide with the pool's code
    made = VoucherRequest("card", ("ONLY",), make_code=lambda: next(taken))
    closed = await resolve(
        second.id, status=CaseStatus.RESOLVED, staff_id="U1", now=NOW, voucher=made
    )
    assert closed is not None and closed.gesture_code == "GEN-1"
    codes = [(v.code, v.case_id, v.generated) for v in await ports.rows(VoucherCode)]
    assert codes == [("ONLY", first.id, False), ("GEN-1", second.id, True)]


async def test_an_undelivered_note_gives_its_code_back(ports: PortsBackend) -> None:
    opened = await opened_case(ports)
    sam = await ports.one(customer(name="Sam"))
    other = await ports.one(case(sam.id))
    await ports.repos.cases.stock_vouchers("card", ("P1",), NOW)
    numbers = count(1)
    request = VoucherRequest("card", ("P1",), make_code=lambda: f"G{next(numbers)}")
    cases = ports.repos.cases
    for which in (opened, other):
        await cases.close_case(
            which.id, status=CaseStatus.RESOLVED, staff_id="U1", now=NOW, voucher=request
        )
    for which in (opened, other):
        await cases.record_resolve_note(
            which.id,
            text="Sorry, Kim",
            delivery="blocked",
            thread_text="⚠️ not delivered",
            now=NOW + MINUTE,
            release_code=True,
        )
    await cases.record_resolve_note(
        999, text=None, delivery="sent", thread_text="x", now=NOW, release_code=True
    )
    assert [(v.code, v.case_id, v.handed_out_at) for v in await ports.rows(VoucherCode)] == [
        ("P1", None, None)  # the pool code is free again; the generated one is gone
    ]
    stored = await cases.get_case(opened.id)
    assert stored is not None
    assert (stored.customer_note, stored.note_delivery, stored.gesture_code) == (
        "Sorry, Kim",
        "blocked",
        None,
    )
    notes = [(e.kind, e.case_id, e.data) for e in await ports.rows(Event) if e.actor is None]
    assert notes == [
        ("case.note_blocked", opened.id, {"text": "Sorry, Kim"}),
        ("case.note_blocked", other.id, {"text": "Sorry, Kim"}),
    ]
    posted = [(m.kind, m.text) for m in await ports.rows(OutboxMessage)][-2:]
    assert posted == [("thread", "⚠️ not delivered"), ("card_update", None)]


async def test_a_sent_note_keeps_its_code(ports: PortsBackend) -> None:
    opened = await opened_case(ports)
    await ports.repos.cases.stock_vouchers("card", ("P1",), NOW)
    await ports.repos.cases.close_case(
        opened.id,
        status=CaseStatus.RESOLVED,
        staff_id="U1",
        now=NOW,
        voucher=VoucherRequest("card", ("P1",)),
    )
    await ports.repos.cases.record_resolve_note(
        opened.id, text="Hi", delivery="sent", thread_text="✅", now=NOW
    )
    assert [v.case_id for v in await ports.rows(VoucherCode)] == [opened.id]
    stored = await ports.repos.cases.get_case(opened.id)
    assert stored is not None and (stored.gesture_code, stored.note_delivery) == ("P1", "sent")


async def test_stocking_adds_only_the_codes_not_there_yet(ports: PortsBackend) -> None:
    stock = ports.repos.cases.stock_vouchers
    assert await stock("card", ("A", "B"), NOW) == 2
    assert await stock("card", ("A", "B", "C"), NOW) == 1
    assert await stock("other", ("C", "D"), NOW) == 1  # a code is unique across gestures
    assert await stock("card", (), NOW) == 0
    rows = [(v.gesture, v.code, v.generated) for v in await ports.rows(VoucherCode)]
    assert rows == [
        ("card", "A", False),
        ("card", "B", False),
        ("card", "C", False),
        ("other", "D", False),
    ]


async def test_a_code_configured_twice_is_counted_once(ports: PortsBackend) -> None:
    assert await ports.repos.cases.stock_vouchers("card", ("A", "A", "B"), NOW) == 2


async def test_a_code_configured_twice_is_stored_once(ports: PortsBackend) -> None:
    await ports.repos.cases.stock_vouchers("card", ("A", "A", "B"), NOW)
    assert [v.code for v in await ports.rows(VoucherCode)] == ["A", "B"]
