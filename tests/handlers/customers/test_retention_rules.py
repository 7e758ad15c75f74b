"""The retention sweep's rules against the in-memory ports: each runs in milliseconds.

Which customers are past retention (the query's rules are in the ports' contract), batch by
batch, erased like /forget (their open case closed with a note), one worker at a time, and a
dry run that changes nothing. The sweep runs end to end on SQLite and PostgreSQL in
tests/bot/channels/test_ops_retention.py.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from handlers.customers.retention import RETENTION_CASE_NOTE, sweep
from storage.memory import MemoryData, MemoryUnitOfWork
from storage.models import Answer, Case, Customer, Purchase
from tests.handlers.memory.repositories import MemoryRepositories

NOW = datetime(2028, 1, 10, 3, 0, tzinfo=UTC)
RETENTION = timedelta(days=730)
LONG_AGO = NOW - RETENTION - timedelta(days=1)


def world(quiet: int, active: int) -> tuple[MemoryRepositories, MemoryData, list[int]]:
    """``quiet`` customers whose last purchase and answer are past retention, then ``active``
    ones who bought yesterday; the quiet ones' ids."""
    ports, data = MemoryRepositories.on(), MemoryData()
    ids = []
    for i in range(quiet + active):
        cid = ports.tables.insert(Customer(name=f"C{i}", created_at=LONG_AGO)).id or 0
        when = LONG_AGO if i < quiet else NOW - timedelta(days=1)
        ports.tables.insert(
            Purchase(
                external_order_id=f"O-{i}",
                customer_id=cid,
                product="Kettle",
                purchased_at=when,
                journey="standard",
                created_at=when,
            )
        )
        ports.tables.insert(Answer(customer_id=cid, score=8, created_at=when))
        if i < quiet:
            ids.append(cid)
    return ports, data, ids


async def run(
    ports: MemoryRepositories, data: MemoryData, **options: object
) -> tuple[list[int], int, int, bool]:
    """One sweep: (customer ids, purchases, answers, skipped for the lease)."""
    report = await sweep(
        ports.customers,
        ports.leases,
        lambda: MemoryUnitOfWork(data),
        RETENTION,
        NOW,
        worker="w1",
        **options,  # type: ignore[arg-type]
    )
    return report.customer_ids, report.purchases, report.answers, report.skipped_lease


async def test_a_dry_run_lists_every_batch_and_erases_nothing() -> None:
    ports, data, quiet = world(quiet=5, active=2)
    assert await ports.leases.take_lease("privacy_sweep", "w2", NOW, timedelta(hours=1))
    listed = await run(ports, data, batch=2, dry_run=True)
    assert listed == (quiet, 5, 5, False)  # no lease needed to look
    assert data.erased == {} and data.events == []


async def test_the_sweep_erases_each_quiet_customer_and_closes_their_case() -> None:
    ports, data, quiet = world(quiet=3, active=1)
    data.cases[1] = Case(id=1, customer_id=quiet[1], open_for_customer=quiet[1], opened_at=NOW)
    data.next_case_id = 2
    assert await run(ports, data, batch=2) == (quiet, 3, 3, False)
    assert data.erased == dict.fromkeys(quiet, NOW)
    closed = data.cases[1]
    assert (closed.status, closed.closed_by, closed.open_for_customer) == (
        "not_an_issue",
        "customer",
        None,
    )
    assert [(p.kind, p.text) for p in data.desk_posts] == [
        ("card_update", None),
        ("thread", RETENTION_CASE_NOTE),
    ]
    # The lease was given back: the next sweep (another worker) may run at once.
    assert await ports.leases.take_lease("privacy_sweep", "w2", NOW, timedelta(hours=1))


async def test_one_sweep_at_a_time_and_at_most_max_batches() -> None:
    ports, data, quiet = world(quiet=5, active=0)
    assert await ports.leases.take_lease("privacy_sweep", "w2", NOW, timedelta(hours=1))
    assert await run(ports, data) == ([], 0, 0, True)
    assert data.erased == {}
    await ports.leases.release_lease("privacy_sweep", "w2")
    assert await run(ports, data, batch=2, max_batches=2) == (quiet[:4], 4, 4, False)
    assert list(data.erased) == quiet[:4]


async def test_an_exact_batch_ends_with_an_empty_one_not_a_miss() -> None:
    ports, data, quiet = world(quiet=4, active=0)
    assert (await run(ports, data, batch=2, dry_run=True))[0] == quiet
    assert (await run(ports, data, batch=4, dry_run=True))[0] == quiet
