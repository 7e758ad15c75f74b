"""The Answers port: answers as the check-in and scoring handlers store and read them.

Storage implements it (:class:`storage.repositories.AnswerRepository`).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any, Protocol

from storage.models import Answer, Event


class Answers(Protocol):
    """Answers as the check-in and scoring handlers store and read them."""

    async def save_answer(
        self, answer: Answer, handled: tuple[str, int, str] | None = None
    ) -> Answer:
        """Store an answer at once; returns it with its id."""
        ...

    async def record_scoring(
        self,
        answer_id: int,
        *,
        polarity: float,
        sentiment: str,
        segment: str | None,
        escalate: bool,
        analysis: dict[str, Any],
        event: Event | None = None,
        customer_id: int | None = None,
    ) -> None:
        """Store what scoring found for an answer, and the customer's segment when it changes
        (and ``event`` for the audit log, in the same transaction).
        """
        ...

    async def record_event(
        self,
        kind: str,
        customer_id: int | None = None,
        data: dict[str, Any] | None = None,
        actor: str | None = None,
    ) -> None:
        """Add a line to the audit log."""
        ...

    async def answer_for_message(self, customer_id: int, message_id: int) -> Answer | None:
        """The answer whose words came in the customer's chat message ``message_id``."""
        ...

    async def revise_answer_text(
        self, answer_id: int, text: str, before: str, at: datetime
    ) -> None:
        """The customer edited their words: store the new ones (to be scored again) and keep
        the words they replace in the audit log, in one transaction.
        """
        ...

    async def answers_for_checkin(self, checkin_id: int) -> list[Answer]:
        """A check-in's answers in the order given."""
        ...

    async def escalated_without_case(
        self, since: datetime, until: datetime, limit: int
    ) -> list[Answer]:
        """Answers stored between ``since`` and ``until``, scored and flagged for support, that
        no case decision took up: none opened a case, joined one, or was left to the relay
        (the step after scoring failed, e.g. the database went away). Oldest first.
        """
        ...

    async def unscored_answers(self, since: datetime, until: datetime, limit: int) -> list[Answer]:
        """Answers stored between ``since`` and ``until`` that were never scored (a crash
        between storing and scoring, a scoring that failed), oldest first.
        """
        ...
