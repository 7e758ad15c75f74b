"""Flagged answers that no case decision took up get one later: an unhappy customer is not lost.

Scoring stores the answer's score (and its ``answer.escalate`` event) in one transaction; the
case decision that follows (open or join a case) is a second one. When that second step fails
(the database went away between the two, the worker died), the answer is scored and flagged but
has no case, and re-scoring does not look at it (it is no longer unscored). Every minute one
worker (a lease) takes the flagged answers stored between ``window`` and ``settle`` ago that no
decision took up and decides for them, exactly as after scoring. A decision made twice is
harmless: a case is opened once per answer and a joined answer is recognised.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime, timedelta
from types import SimpleNamespace

from handlers.desk.cases import decide_case
from handlers.desk.port import DeskDeps
from handlers.left_behind import retry_under_lease
from storage.models import Answer

log = logging.getLogger(__name__)
LEASE = "cases_left_behind"
LEASE_TTL = timedelta(minutes=2)
SETTLE = timedelta(minutes=2)  # a younger answer may still be on its way to the decision
WINDOW = timedelta(days=1)


@dataclass
class CaseSweepReport:
    """What one run did."""

    decided: int = 0
    failed: int = 0
    skipped_lease: bool = False


async def open_cases_left_behind(
    dd: DeskDeps,
    now: datetime,
    *,
    settle: timedelta = SETTLE,
    window: timedelta = WINDOW,
    batch: int = 100,
) -> CaseSweepReport:
    """Decide the case of up to ``batch`` flagged answers that no decision took up."""

    async def decide(answer: Answer) -> None:
        stored = answer.analysis or {}
        analysis = SimpleNamespace(
            escalate=True,
            priority=stored.get("priority") or "normal",
            reasons=list(stored.get("reasons") or ()),
        )
        await decide_case(dd, answer, analysis)  # type: ignore[arg-type]

    retried = await retry_under_lease(
        dd.leases,
        (LEASE, LEASE_TTL),
        dd.worker,
        now,
        lambda: dd.answers.escalated_without_case(now - window, now - settle, batch),
        decide,
        "answer %s still has no case: %s",
    )
    report = CaseSweepReport(retried.done, retried.failed, retried.skipped_lease)
    if report.decided or report.failed:
        log.info(
            "decided the case of %d flagged answer(s) left behind; %d still failing",
            report.decided,
            report.failed,
        )
    return report
