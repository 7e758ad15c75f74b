"""The Leases port in memory (:mod:`storage.leases`)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from storage.memory_tables import MemoryTables
from storage.models import Lease

_LONG_AGO = datetime(2000, 1, 1, tzinfo=UTC)


class MemoryLeases:
    """Named leases: one worker at a time does a shared round."""

    def __init__(self, tables: MemoryTables) -> None:
        self.tables = tables

    async def take_lease(self, name: str, holder: str, now: datetime, ttl: timedelta) -> bool:
        """Take or renew the lease ``name`` for ``holder`` until ``now + ttl``; False if
        another holder has it and it has not run out (it runs out strictly after ``until``)."""
        lease = self.tables.get(Lease, name)
        if lease is None:
            self.tables.insert(Lease(name=name, holder=holder, until=now + ttl))
            return True
        if lease.holder != holder and not lease.until < now:
            return False
        lease.holder, lease.until = holder, now + ttl
        return True

    async def release_lease(self, name: str, holder: str) -> None:
        """Give the lease up (only if ``holder`` has it): it ran out long ago."""
        lease = self.tables.get(Lease, name)
        if lease is not None and lease.holder == holder:
            lease.until = _LONG_AGO
