"""The unit of work in memory over the rows the in-memory query ports share: what only memory
can show in one task (two units open at once), and that the two kinds of writer see each
other's committed rows and nothing else. The promises all backends keep are in
test_unit_of_work_contract.py."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from storage.errors import ConcurrentWrite
from storage.memory import MemoryUnitOfWork
from storage.models import Case, Customer, Event, OutboxMessage
from storage.records import DeskPost
from tests.handlers.memory.repositories import MemoryRepositories

NOW = datetime(2026, 11, 23, 9, 0, tzinfo=UTC)


def new_case(customer_id: int, answer_id: int | None = None) -> Case:
    return Case(
        customer_id=customer_id, answer_id=answer_id, opened_at=NOW, open_for_customer=customer_id
    )


async def test_two_units_open_at_once_end_with_the_later_commit_refused() -> None:
    ports = MemoryRepositories.on()
    kim = ports.tables.insert(Customer(name="Kim")).id or 0
    with pytest.raises(ConcurrentWrite):
        async with MemoryUnitOfWork(ports.tables) as late:
            await late.cases.add(new_case(kim, 1))
            await late.desk_posts.queue(DeskPost("case_card", NOW))
            async with MemoryUnitOfWork(ports.tables) as other:
                assert await other.cases.open_case_of(kim) is None  # not committed yet
                await other.cases.add(new_case(kim, 2))  # its own view has no open case
                await other.audit.record(Event(kind="case.opened", at=NOW))
    # ``other`` committed first; ``late`` is refused at its commit and leaves nothing.
    assert [c.answer_id for c in ports.tables.rows(Case)] == [2]
    assert [e.kind for e in ports.tables.rows(Event)] == ["case.opened"]
    assert ports.tables.rows(OutboxMessage) == []
    with pytest.raises(ConcurrentWrite):  # once committed, refused when added
        async with MemoryUnitOfWork(ports.tables) as again:
            await again.cases.add(new_case(kim + 1, 2))


async def test_the_query_ports_read_a_units_rows_once_it_commits() -> None:
    ports = MemoryRepositories.on()
    kim = ports.tables.insert(Customer(name="Kim")).id or 0
    async with MemoryUnitOfWork(ports.tables) as unit:
        case_id = await unit.cases.add(new_case(kim))
        await unit.desk_posts.queue(DeskPost("case_card", NOW, case_id=case_id, channel="C1"))
        assert await ports.cases.open_case_of(kim) is None
        assert await ports.desk_outbox.pending_outbox(10) == []
    seen = await ports.cases.open_case_of(kim)
    assert seen is not None and seen.id == case_id
    (post,) = await ports.desk_outbox.pending_outbox(10)
    assert (post.kind, post.case_id, post.channel) == ("case_card", case_id, "C1")


async def test_a_unit_writes_only_the_columns_it_changed() -> None:
    ports = MemoryRepositories.on()
    kim = ports.tables.insert(Customer(name="Kim")).id or 0
    case_id = ports.tables.insert(new_case(kim)).id or 0
    async with MemoryUnitOfWork(ports.tables) as unit:
        case = await unit.cases.get(case_id)
        assert case is not None
        case.priority = "urgent"
        await unit.cases.save(case)
        # Meanwhile the outbox delivers the card and the case remembers where it is.
        await ports.desk_outbox.outbox_sent(0, NOW, "1.5", card=(case_id, "C1"))
    stored = await ports.cases.get_case(case_id)
    assert stored is not None
    assert (stored.priority, stored.slack_channel, stored.slack_ts) == ("urgent", "C1", "1.5")
