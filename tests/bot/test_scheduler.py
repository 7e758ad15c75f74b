"""The scheduler drives dispatch and housekeeping, and a failing round does not stop it."""

from __future__ import annotations

import asyncio
from datetime import timedelta

from bot.scheduler import build_scheduler, worker_id


async def test_dispatch_runs_repeatedly_and_survives_failures() -> None:
    calls: list[str] = []

    async def dispatch() -> None:
        calls.append("dispatch")
        if len(calls) == 1:
            raise ConnectionError("database away")
        if len(calls) == 2:
            raise RuntimeError("bug")

    scheduler = build_scheduler(dispatch, timedelta(seconds=0.05))
    scheduler.start()
    try:
        for _ in range(100):
            if len(calls) >= 4:
                break
            await asyncio.sleep(0.05)
    finally:
        scheduler.shutdown(wait=False)
    assert len(calls) >= 4
    assert {job.id for job in scheduler.get_jobs()} == {"dispatch"}


def test_housekeeping_job_and_worker_id() -> None:
    async def nothing() -> None:
        return None

    scheduler = build_scheduler(nothing, timedelta(seconds=30), housekeeping=nothing)
    assert {job.id for job in scheduler.get_jobs()} == {"dispatch", "housekeeping"}
    assert ":" in worker_id()


async def test_periodic_runs_do_not_fill_the_log_at_info(caplog) -> None:  # type: ignore[no-untyped-def]
    import logging

    from bot.cli import CHATTY_LOGGERS, _setup_logging

    before = {name: logging.getLogger(name).level for name in CHATTY_LOGGERS}
    runs: list[int] = []

    async def dispatch() -> None:
        runs.append(1)

    _setup_logging(verbose=False)
    scheduler = build_scheduler(dispatch, timedelta(seconds=0.02))
    try:
        with caplog.at_level(logging.INFO):
            scheduler.start()
            for _ in range(100):
                if len(runs) >= 3:
                    break
                await asyncio.sleep(0.02)
    finally:
        scheduler.shutdown(wait=False)
        for name, level in before.items():
            logging.getLogger(name).setLevel(level)
    assert len(runs) >= 3
    assert not [r for r in caplog.records if r.name.startswith("apscheduler.executors")]
