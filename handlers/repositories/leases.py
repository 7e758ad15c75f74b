"""The Leases port: named leases: one worker at a time does a shared round.

Storage implements it (:class:`storage.repositories.LeaseRepository`).
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Protocol


class Leases(Protocol):
    """Named leases: one worker at a time does a shared round."""

    async def take_lease(self, name: str, holder: str, now: datetime, ttl: timedelta) -> bool:
        """Take or renew the lease ``name`` for ``holder`` until ``now + ttl``; False if taken."""
        ...

    async def release_lease(self, name: str, holder: str) -> None:
        """Give the lease up (only if ``holder`` has it)."""
        ...
