"""Answers left unscored are scored later: nothing lost between storing and scoring.

An answer is committed (with its update's handled mark) before it is scored; a crash in between,
or a scoring that failed (the database went away, the model raised), leaves it stored and
unscored, so no segment, no case for an unhappy customer. Every minute one worker (a lease) takes
the answers that stayed unscored for ``settle`` and sends them through the same pipeline. An
answer still being scored by a slow worker may be scored twice; scoring is idempotent and a case
is opened once per answer, so that is harmless.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Protocol

from handlers.left_behind import retry_under_lease
from handlers.repositories.answers import Answers
from handlers.repositories.leases import Leases
from storage.models import Answer

log = logging.getLogger(__name__)
LEASE = "score_left_behind"
LEASE_TTL = timedelta(minutes=2)
SETTLE = timedelta(minutes=2)  # an answer younger than this may still be in its worker's hands
WINDOW = timedelta(days=1)  # older ones are not retried for ever (their failure was logged)


class Pipeline(Protocol):
    """The answer pipeline (``handlers.checkins.scoring.ScoringPipeline``)."""

    async def process(self, answer: Answer) -> None:
        """Score ``answer`` and run what follows scoring."""
        ...


@dataclass
class RescoreReport:
    """What one run did."""

    scored: int = 0
    failed: int = 0
    skipped_lease: bool = False


async def score_left_behind(
    answers: Answers,
    leases: Leases,
    pipeline: Pipeline,
    now: datetime,
    *,
    worker: str,
    settle: timedelta = SETTLE,
    window: timedelta = WINDOW,
    batch: int = 100,
) -> RescoreReport:
    """Score up to ``batch`` answers stored between ``now - window`` and ``now - settle`` and
    still unscored. One worker at a time (the ``score_left_behind`` lease)."""
    retried = await retry_under_lease(
        leases,
        (LEASE, LEASE_TTL),
        worker,
        now,
        lambda: answers.unscored_answers(now - window, now - settle, batch),
        pipeline.process,
        "answer %s is still unscored: %s",
    )
    report = RescoreReport(retried.done, retried.failed, retried.skipped_lease)
    if report.scored or report.failed:
        log.info(
            "scored %d answer(s) left unscored; %d still failing", report.scored, report.failed
        )
    return report
