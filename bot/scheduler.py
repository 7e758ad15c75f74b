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

log = logging.getLogger(__name__)


def worker_id() -> str:
    """A name for this process that is unique among the workers (host and pid)."""
    return f"{socket.gethostname()}:{os.getpid()}"


def build_scheduler(
    dispatch: Callable[[], Awaitable[object]], every: timedelta
) -> AsyncIOScheduler:
    """A scheduler that runs ``dispatch`` every ``every``, never two at once in this process."""
    scheduler = AsyncIOScheduler(timezone="UTC")

    async def tick() -> None:
        try:
            report = await dispatch()
            log.debug("dispatch: %s", report)
        except ConnectionError as exc:
            log.warning("dispatch skipped: %s", exc)
        except Exception:
            log.exception("dispatch round failed")

    scheduler.add_job(
        tick,
        "interval",
        seconds=every.total_seconds(),
        id="dispatch",
        max_instances=1,
        coalesce=True,
    )
    return scheduler
