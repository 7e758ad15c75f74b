"""What the customer-facing handlers are given: the ports and the rules from config."""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, time, timedelta
from typing import TYPE_CHECKING

from handlers.journeys import Journey
from handlers.ports import AnswerPipeline, CustomerChannel
from storage.models import Answer

if TYPE_CHECKING:
    from storage.store import Store

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class SurveyRules:
    """Survey-fatigue rules and check-in timing."""

    min_gap: timedelta = timedelta(days=3)
    quiet_start: time = time(21, 0)
    quiet_end: time = time(9, 0)
    reminder_after: timedelta = timedelta(days=1)
    expire_after: timedelta = timedelta(days=3)
    max_link_attempts: int = 5
    lockout: timedelta = timedelta(minutes=30)
    max_text_length: int = 4000


class UnscoredPipeline:
    """The default answer seam until scoring is wired in: answers stay recorded as unscored."""

    async def process(self, answer: Answer) -> None:
        """Nothing to add: the answer is stored with scoring_status 'unscored'."""
        log.debug("answer %s stored unscored", answer.id)


@dataclass
class Deps:
    """Everything a customer-facing handler needs."""

    store: Store
    channel: CustomerChannel
    journeys: dict[str, Journey]
    rules: SurveyRules = field(default_factory=SurveyRules)
    pipeline: AnswerPipeline = field(default_factory=UnscoredPipeline)
    clock: Callable[[], datetime] = field(default=lambda: datetime.now().astimezone())
    channel_name: str = "telegram"
