"""The retention sweep's rules against the in-memory ports: each runs in milliseconds.

Which customers are past retention (the query's rules are in the ports' contract), batch by
batch, erased like /forget (their open case closed with a note), one worker at a time, and a
dry run that changes nothing. The sweep's unit of work and its query ports share one set of
rows, so what one sweep erased the next one reads. The sweep runs end to end on SQLite and
PostgreSQL in tests/bot/channels/test_ops_retention.py.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from handlers.customers.retention import RETENTION_CASE_NOTE, sweep
from storage.memory import MemoryUnitOfWork
from storage.models import Answer, Case, Customer, Event, OptInState, OutboxMessage, Purchase
from tests.handlers.memory.repositories import MemoryRepositories

NOW = datetime(2028, 1, 10, 3, 0, tzinfo=UTC)
RETENTION = timedelta(days=730)
LONG_AGO = NOW - RETENTION - timedelta(days=1)


def world(quiet: int, active: int) -> tuple[MemoryRepositories, list[int]]:
    """``quiet`` customers whose last purchase and answer are past retention, then ``active``
    ones who bought yesterday; the quiet ones' ids."""
    ports = MemoryRepositories.on()
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
    return ports, ids


def erased(ports: MemoryRepositories) -> dict[int, object]:
    """The customers whose personal data is erased, and when."""
    gone = ports.tables.rows(Customer, lambda c: c.opt_in_state == OptInState.FORGOTTEN)
    return {c.id or 0: c.updated_at for c in gone if c.name is None}


async def run(ports: MemoryRepositories, **options: object) -> tuple[list[int], int, int, bool]:
    """One sweep: (customer ids, purchases, answers, skipped for the lease)."""
    report = await sweep(
        ports.customers,
        ports.leases,
        lambda: MemoryUnitOfWork(ports.tables),
        RETENTION,
        NOW,
        worker="w1",
        **options,  # type: ignore[arg-type]
    )
    return report.customer_ids, report.purchases, report.answers, report.skipped_lease


async def test_a_dry_run_lists_every_batch_and_erases_nothing() -> None:
    ports, quiet = world(quiet=5, active=2)
    assert await ports.leases.take_lease("privacy_sweep", "w2", NOW, timedelta(hours=1))
    listed = await run(ports, batch=2, dry_run=True)
    assert listed == (quiet, 5, 5, False)  # no lease needed to look
    assert erased(ports) == {} and ports.tables.rows(Event) == []


async def test_the_sweep_erases_each_quiet_customer_and_closes_their_case() -> None:
    ports, quiet = world(quiet=3, active=1)
    ports.tables.insert(Case(id=1, customer_id=quiet[1], open_for_customer=quiet[1], opened_at=NOW))
    assert await run(ports, batch=2) == (quiet, 3, 3, False)
    assert erased(ports) == dict.fromkeys(quiet, NOW)
    closed = ports.tables.get(Case, 1)
    assert closed is not None
    assert (closed.status, closed.closed_by, closed.open_for_customer) == (
        "not_an_issue",
        "customer",
        None,
    )
    assert [(p.kind, p.text) for p in ports.tables.rows(OutboxMessage)] == [
        ("card_update", None),
        ("thread", RETENTION_CASE_NOTE),
    ]
    # The lease was given back: the next sweep (another worker) may run at once.
    assert await ports.leases.take_lease("privacy_sweep", "w2", NOW, timedelta(hours=1))


async def test_one_sweep_at_a_time_and_at_most_max_batches() -> None:
    ports, quiet = world(quiet=5, active=0)
    assert await ports.leases.take_lease("privacy_sweep", "w2", NOW, timedelta(hours=1))
    assert await run(ports) == ([], 0, 0, True)
    assert erased(ports) == {}
    await ports.leases.release_lease("privacy_sweep", "w2")
    assert await run(ports, batch=2, max_batches=2) == (quiet[:4], 4, 4, False)
    assert list(erased(ports)) == quiet[:4]
    # What it erased is what the next sweep reads: only the one left is still to do.
    assert await run(ports, batch=2) == (quiet[4:], 1, 1, False)
    assert list(erased(ports)) == quiet
    assert await run(ports, batch=2) == ([], 0, 0, False)


async def test_an_exact_batch_ends_with_an_empty_one_not_a_miss() -> None:
    ports, quiet = world(quiet=4, active=0)
    assert (await run(ports, batch=2, dry_run=True))[0] == quiet
    assert (await run(ports, batch=4, dry_run=True))[0] == quiet
