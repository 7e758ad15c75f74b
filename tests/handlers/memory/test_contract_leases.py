"""Contract: named leases behave alike in memory, on SQLite and on PostgreSQL."""

from __future__ import annotations

from datetime import timedelta

from storage.models import Lease
from tests.handlers.memory.backends import PortsBackend
from tests.handlers.memory.contract_data import MINUTE, NOW

TTL = timedelta(minutes=2)


async def test_one_holder_at_a_time_until_the_lease_runs_out(ports: PortsBackend) -> None:
    leases = ports.repos.leases
    assert await leases.take_lease("round", "w1", NOW, TTL)
    assert not await leases.take_lease("round", "w2", NOW + MINUTE, TTL)
    assert await leases.take_lease("round", "w1", NOW + MINUTE, TTL)  # renewed to NOW+3min
    assert not await leases.take_lease("round", "w2", NOW + 3 * MINUTE, TTL)  # at its end
    assert await leases.take_lease("round", "w2", NOW + 3 * MINUTE + timedelta(seconds=1), TTL)
    (lease,) = await ports.rows(Lease)
    assert (lease.holder, lease.until) == ("w2", NOW + 5 * MINUTE + timedelta(seconds=1))
    assert await leases.take_lease("other", "w1", NOW, TTL)  # names are independent


async def test_only_the_holder_can_give_a_lease_up(ports: PortsBackend) -> None:
    leases = ports.repos.leases
    assert await leases.take_lease("round", "w1", NOW, TTL)
    await leases.release_lease("round", "w2")
    assert not await leases.take_lease("round", "w2", NOW, TTL)
    await leases.release_lease("round", "w1")
    assert await leases.take_lease("round", "w2", NOW, TTL)
    await leases.release_lease("nothing", "w1")  # an unknown lease: nothing happens
    assert [lease.name for lease in await ports.rows(Lease)] == ["round"]
