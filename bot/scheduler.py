"""The periodic jobs of one worker process, driven by APScheduler.

The database rows (claimed with leases) are the source of truth for what is due; APScheduler
only ticks in each process, so any number of workers can run side by side.
"""

from __future__ import annotations

import logging
import os
import socket
from collections.abc import Awaitable, Callable
from datetime import timedelta

from apscheduler.schedulers.asyncio import AsyncIOScheduler

from handlers.jobs import Job

log = logging.getLogger(__name__)


def worker_id() -> str:
    """A name for this process that is unique among the workers (host and pid)."""
    return f"{socket.gethostname()}:{os.getpid()}"


def _guarded(name: str, job: Callable[[], Awaitable[object]]) -> Callable[[], Awaitable[None]]:
    """``job`` with its failures logged instead of raised (a lost database skips one round)."""

    async def run() -> None:
        try:
            result = await job()
            log.debug("%s: %s", name, result)
        except ConnectionError as exc:
            log.warning("%s skipped: %s", name, exc)
        except Exception:
            log.exception("%s failed", name)

    return run


def build_scheduler(
    dispatch: Callable[[], Awaitable[object]],
    every: timedelta,
    housekeeping: Callable[[], Awaitable[object]] | None = None,
    jobs: list[Job] | None = None,
) -> AsyncIOScheduler:
    """A scheduler that runs ``dispatch`` every ``every`` (never two at once in this process),
    ``housekeeping`` hourly and any further ``jobs``."""
    scheduler = AsyncIOScheduler(timezone="UTC")
    for job in jobs or []:
        scheduler.add_job(
            _guarded(job.name, job.run),
            job.trigger,
            id=job.name,
            max_instances=1,
            coalesce=True,
            **job.args,
        )
    scheduler.add_job(
        _guarded("dispatch", dispatch),
        "interval",
        seconds=every.total_seconds(),
        id="dispatch",
        max_instances=1,
        coalesce=True,
    )
    if housekeeping is not None:
        scheduler.add_job(
            _guarded("housekeeping", housekeeping),
            "interval",
            hours=1,
            id="housekeeping",
            max_instances=1,
            coalesce=True,
        )
    return scheduler
