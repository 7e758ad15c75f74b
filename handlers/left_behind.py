"""Work a crash or an outage left behind, retried by one worker at a time.

The score of an answer left unscored (:mod:`handlers.checkins.rescoring`) and the case of a flagged
answer no decision took up (:mod:`handlers.desk.sweep`) are both found by a query and done
again under a lease, each item on its own: one that still fails is counted and logged, and
the others go on.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TypeVar

from handlers.repositories.leases import Leases

log = logging.getLogger(__name__)
T = TypeVar("T")


@dataclass(frozen=True)
class Retried:
    """What one run did: items done, items still failing, or nothing (another worker's turn)."""

    done: int = 0
    failed: int = 0
    skipped_lease: bool = False


async def retry_under_lease(
    leases: Leases,
    lease: tuple[str, timedelta],
    worker: str,
    now: datetime,
    find: Callable[[], Awaitable[Sequence[T]]],
    step: Callable[[T], Awaitable[object]],
    still_failing: str,
) -> Retried:
    """Run ``step`` on each item ``find`` returns, holding the lease ``(name, ttl)``.

    ``still_failing`` is the warning logged for an item that fails again, with ``%s`` for the
    item and the error's type.
    """
    name, ttl = lease
    if not await leases.take_lease(name, worker, now, ttl):
        return Retried(skipped_lease=True)
    done = failed = 0
    try:
        for item in await find():
            try:
                await step(item)
            except Exception as exc:  # logged with a traceback where it first failed
                failed += 1
                log.warning(still_failing, getattr(item, "id", item), type(exc).__name__)
            else:
                done += 1
    finally:
        await leases.release_lease(name, worker)
    return Retried(done, failed)
