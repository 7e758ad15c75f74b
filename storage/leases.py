"""Leases: one worker at a time does a shared round (the desk outbox, work left behind, polling).

A lease is a named row with a holder and an expiry; taking it is one conditional update, so two
workers racing for it cannot both win.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlalchemy import or_, select, update

from storage.db import Database
from storage.models import Lease

_LONG_AGO = datetime(2000, 1, 1, tzinfo=UTC)


class LeaseQueries:
    """Taking, renewing and giving up named leases."""

    db: Database

    async def take_lease(self, name: str, holder: str, now: datetime, ttl: timedelta) -> bool:
        """Take or renew the lease ``name`` for ``holder`` until ``now + ttl``; False if taken."""
        async with self.db.session() as s:
            taken = await s.execute(
                update(Lease)
                .where(Lease.name == name, or_(Lease.holder == holder, Lease.until < now))
                .values(holder=holder, until=now + ttl)
            )
            if taken.rowcount:  # type: ignore[attr-defined]
                return True
            exists = (await s.execute(select(Lease.name).where(Lease.name == name))).first()
            if exists:
                return False
        try:
            async with self.db.session() as s:
                s.add(Lease(name=name, holder=holder, until=now + ttl))
            return True
        except Exception:  # another worker created it first
            return False

    async def release_lease(self, name: str, holder: str) -> None:
        """Give the lease up (only if ``holder`` has it)."""
        async with self.db.session() as s:
            await s.execute(
                update(Lease)
                .where(Lease.name == name, Lease.holder == holder)
                .values(until=_LONG_AGO)
            )
