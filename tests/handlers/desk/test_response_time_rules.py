"""Response-time targets against the in-memory ports: each runs in milliseconds.

An unclaimed case is reminded once after ``remind_after``, escalated once after
``escalate_after`` (to the escalation group in its thread, or to the managers' channel), and a
claimed or escalated case is left alone. The same round runs end to end over Slack's fake
server in tests/bot/support/test_response_times.py.
"""

from __future__ import annotations

from datetime import timedelta

from handlers.desk.sla import check_response_times
from storage.models import Case, CaseStatus, Customer, Event, OutboxMessage
from tests.handlers.desk.memory_desk import NOW, MemoryDesk, memory_desk

MINUTE = timedelta(minutes=1)


def opened(desk: MemoryDesk, minutes_ago: int, **fields: object) -> int:
    """An open case of a new customer, opened ``minutes_ago`` before NOW, with its card."""
    kim = desk.ports.tables.insert(Customer(name="Kim")).id or 0
    values: dict[str, object] = {"slack_channel": "C-support", "slack_ts": "1.1"} | fields
    case = Case(
        customer_id=kim,
        opened_at=NOW - minutes_ago * MINUTE,
        open_for_customer=kim,
        **values,  # type: ignore[arg-type]
    )
    return desk.ports.tables.insert(case).id or 0


async def checked(desk: MemoryDesk) -> tuple[int, int]:
    """One round of checking: (reminded, escalated)."""
    report = await check_response_times(desk.deps)
    return report.reminded, report.escalated


def posts(desk: MemoryDesk) -> list[tuple[str, int | None, str | None]]:
    """The posts queued: (kind, case id, channel)."""
    return [(m.kind, m.case_id, m.channel) for m in desk.ports.tables.rows(OutboxMessage)]


async def test_a_case_is_reminded_once_then_escalated_once() -> None:
    desk = memory_desk(escalation_usergroup="S-leads")
    case_id = opened(desk, 10)
    assert await checked(desk) == (0, 0)
    desk.clock.now = NOW + 6 * MINUTE
    assert await checked(desk) == (1, 0)
    assert await checked(desk) == (0, 0)  # once only
    desk.clock.now = NOW + 50 * MINUTE
    assert await checked(desk) == (0, 1)
    assert await checked(desk) == (0, 0)  # escalated cases leave the list
    assert posts(desk) == [("thread", case_id, None), ("thread", case_id, None)]
    texts = [m.text or "" for m in desk.ports.tables.rows(OutboxMessage)]
    assert texts[0].startswith(f"⏰ Reminder: case #{case_id} has waited 16 minutes")
    assert texts[1].startswith("🚨 @@S-leads: case #")
    assert [(c.case_id, c.change) for c in desk.changes] == [
        (case_id, "reminded"),
        (case_id, "escalated"),
    ]
    assert [e.kind for e in desk.ports.tables.rows(Event)] == ["case.reminded", "case.escalated"]


async def test_without_a_group_the_managers_channel_hears_it() -> None:
    desk = memory_desk(manager_channel="C-managers")
    case_id = opened(desk, 61)  # past both targets: escalated, not reminded first
    assert await checked(desk) == (0, 1)
    assert posts(desk) == [("channel", case_id, "C-managers")]
    assert (desk.ports.tables.rows(OutboxMessage)[0].text or "").startswith("🚨 Managers: case")
    case = desk.ports.tables.get(Case, case_id)
    assert case is not None and (case.reminded_at, case.escalated_at) == (None, NOW)


async def test_claimed_and_already_escalated_cases_are_left_alone() -> None:
    desk = memory_desk()
    opened(desk, 120, owner="U1", status=CaseStatus.CLAIMED)
    opened(desk, 120, escalated_at=NOW - MINUTE)
    waiting = opened(desk, 20)
    assert await checked(desk) == (1, 0)
    assert posts(desk) == [("thread", waiting, None)]


async def test_a_case_claimed_between_the_read_and_the_mark_is_not_reminded() -> None:
    desk = memory_desk()
    case_id = opened(desk, 20)
    real = desk.ports.cases.unclaimed_cases

    async def read_then_claim(limit: int = 200) -> list[Case]:
        found = await real(limit)
        await desk.ports.cases.claim_case(case_id, "U1", NOW)  # staff were quicker
        return found

    desk.deps.cases.unclaimed_cases = read_then_claim  # type: ignore[method-assign]
    assert await checked(desk) == (0, 0)
    assert posts(desk) == [("card_update", case_id, None)]  # the claim's, no reminder
    assert desk.changes == []
