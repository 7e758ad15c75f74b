"""The answer seam filled in: score each stored answer, update the segment, flag escalations."""

from __future__ import annotations

import inspect
import logging
from collections.abc import Awaitable, Callable
from datetime import datetime
from typing import TYPE_CHECKING, Any, Protocol

from handlers.events import AnswerScored, EventBus
from storage.models import Answer, Event, utcnow

if TYPE_CHECKING:
    from handlers.repositories.answers import Answers
    from handlers.repositories.customers import Customers

log = logging.getLogger(__name__)


class AnalysisLike(Protocol):
    """What the pipeline reads from a text analysis (``sentiment.Analysis``)."""

    polarity: float
    label: str
    segment: str | None
    escalate: bool
    priority: str | None
    reasons: tuple[str, ...]

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready form."""
        ...


Analyze = Callable[..., AnalysisLike | Awaitable[AnalysisLike]]
"""A sync analyzer, or an async one that scores off the event loop (``sentiment.service``);
called with ``text`` and the keywords ``lang``, ``score``, ``question`` and ``history``."""


class HistoryStep(Protocol):
    """Adds the customer's history to an analysis made without it (``sentiment.Scoring``), so
    the customer is looked up only when their history could change the outcome."""

    def history_can_matter(self, analysis: Any) -> bool:
        """False when no history could escalate ``analysis`` (a positive reply, an opt-out)."""
        ...

    def with_history(self, analysis: Any, history: dict[str, Any] | None) -> Any:
        """``analysis`` as it would have been with ``history``."""
        ...


_WORDS_SUFFIXES = ("_why", "_comment")


class ScoringPipeline:
    """Scores an answer with the injected analyzer, combining words with the score they explain.

    A follow-up ("what went wrong?") is scored together with the score given just before, so a
    9 with an angry comment and a 4 with "fine, only the price" come out right. The customer's
    history (an open case, a recent one, earlier complaints; see ``Customers.customer_history``) is
    passed with the reply: the analyzer's config says which of it escalates.
    """

    def __init__(
        self,
        answers: Answers,
        customers: Customers,
        analyze: Analyze,
        events: EventBus | None = None,
        clock: Callable[[], datetime] = utcnow,
        history: HistoryStep | None = None,
    ) -> None:
        self.answers = answers
        self.customers = customers
        self.analyze = analyze
        self.clock = clock  # the bot's clock: the history window ends at its now
        # Without a history step the customer is looked up for every answer and the history
        # goes into ``analyze``; with one, only for replies whose history could matter.
        self.history = history
        self.events = events  # AnswerScored goes here (the support desk opens cases on it)

    async def process(self, answer: Answer) -> None:
        """Score one stored answer; a failure leaves it stored and unscored."""
        score, question = answer.score, answer.question_type
        if (
            answer.text
            and answer.checkin_id
            and answer.question_id
            and answer.question_id.endswith(_WORDS_SUFFIXES)
        ):
            base = answer.question_id.rsplit("_", 1)[0]
            for earlier in await self.answers.answers_for_checkin(answer.checkin_id):
                if earlier.question_id == base and earlier.score is not None:
                    score, question = earlier.score, earlier.question_type
        if question in ("text", "yes_no") and answer.score is None:
            question = None if score is None else question
        history = None
        if answer.customer_id and self.history is None:
            history = await self.customers.customer_history(
                answer.customer_id, answer, self.clock()
            )
        found = self.analyze(
            answer.text or "",
            lang=answer.language,
            score=score,
            question=question,
            history=history,
        )
        result = await found if inspect.isawaitable(found) else found
        if answer.customer_id and self.history and self.history.history_can_matter(result):
            history = await self.customers.customer_history(
                answer.customer_id, answer, self.clock()
            )
            result = self.history.with_history(result, history)
        event = None
        if result.escalate:
            log.info(
                "answer %s flagged for support (%s): %s",
                answer.id,
                result.priority,
                "; ".join(result.reasons[:3]),
            )
            event = Event(
                kind="answer.escalate",
                customer_id=answer.customer_id,
                data={
                    "answer_id": answer.id,
                    "priority": result.priority,
                    "reasons": list(result.reasons),
                },
            )
        await self.answers.record_scoring(
            answer.id or 0,
            polarity=result.polarity,
            sentiment=result.label,
            segment=result.segment,
            escalate=result.escalate,
            analysis=result.to_dict(),
            event=event,
            customer_id=answer.customer_id,
        )
        answer.polarity, answer.sentiment = result.polarity, result.label
        answer.segment, answer.escalate = result.segment, result.escalate
        answer.scoring_status = "scored"
        if self.events is not None:
            await self.events.publish(AnswerScored(answer, result))
