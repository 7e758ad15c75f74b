"""A periodic job as handlers describe it; the scheduler in bot/ runs it.

Handlers say what to run and when (an interval or a cron rule) without importing APScheduler:
``bot.scheduler`` turns each :class:`Job` into an APScheduler job.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True)
class Job:
    """One more periodic job: a name, the coroutine to run and a trigger.

    ``trigger`` is "interval" or "cron"; ``args`` are the trigger's keyword arguments,
    e.g. ``{"seconds": 5}`` or ``{"day_of_week": "mon", "hour": 9, "timezone": "UTC"}``.
    """

    name: str
    run: Callable[[], Awaitable[object]]
    trigger: str = "interval"
    args: dict[str, Any] = field(default_factory=dict)
