"""The Answers port in memory (:mod:`storage.checkins.answers`)."""

from __future__ import annotations

import copy
from datetime import datetime
from typing import Any

from storage.checkins.answers import UpdateAlreadyHandled
from storage.memory_tables import MemoryTables, clone
from storage.models import Answer, Case, Customer, Event, InboxUpdate, utcnow
from tests.handlers.memory.shared import add_event

DECIDED = ("case.answer_added", "case.words_relayed")


class MemoryAnswers:
    """Answers: stored as they arrive, scored afterwards, revised when the customer edits."""

    def __init__(self, tables: MemoryTables) -> None:
        self.tables = tables

    async def save_answer(
        self, answer: Answer, handled: tuple[str, int, str] | None = None
    ) -> Answer:
        """Store an answer at once; returns it with its id. With ``handled`` (channel, update
        id, claim) the inbox update is marked handled too, and only while that claim holds it
        (else :class:`UpdateAlreadyHandled` and nothing is stored)."""
        if handled is not None:
            channel, update_id, claim = handled
            update = self.tables.get(InboxUpdate, (channel, update_id))
            if update is None or update.claimed_by != claim:
                raise UpdateAlreadyHandled(f"update {handled} is no longer this attempt's")
            update.handled_at = utcnow()
        stored = clone(answer)
        stored.id = None
        answer.id = self.tables.insert(stored).id
        return answer

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
        """Store what scoring found, the customer's segment when there is one, and ``event``."""
        answer = self.tables.get(Answer, answer_id)
        if event is not None:
            event.id = self.tables.insert(clone(event)).id
        if answer is not None:
            answer.scoring_status, answer.polarity, answer.sentiment = "scored", polarity, sentiment
            answer.segment, answer.escalate = segment, escalate
            answer.analysis = copy.deepcopy(analysis)
        if not segment:
            return
        if customer_id is None:
            if answer is None:
                raise LookupError(f"answer {answer_id} does not exist")
            customer_id = answer.customer_id
        customer = self.tables.get(Customer, customer_id)
        if customer is not None:
            customer.segment, customer.updated_at = segment, utcnow()

    async def record_event(
        self,
        kind: str,
        customer_id: int | None = None,
        data: dict[str, Any] | None = None,
        actor: str | None = None,
    ) -> None:
        """Add a line to the audit log."""
        add_event(self.tables, kind, customer_id=customer_id, data=data or {}, actor=actor)

    async def answer_for_message(self, customer_id: int, message_id: int) -> Answer | None:
        """The first answer whose words came in the customer's chat message ``message_id``."""
        found = self.tables.rows(
            Answer, lambda a: a.customer_id == customer_id and a.source_message_id == message_id
        )
        return clone(found[0]) if found else None

    async def revise_answer_text(
        self, answer_id: int, text: str, before: str, at: datetime
    ) -> None:
        """New words, to be scored again; the old ones kept in the audit log."""
        answer = self.tables.get(Answer, answer_id)
        if answer is None:
            return
        answer.text, answer.scoring_status = text, "unscored"
        add_event(
            self.tables,
            "answer.edited",
            at=at,
            customer_id=answer.customer_id,
            data={"answer_id": answer_id, "before": before},
        )

    async def answers_for_checkin(self, checkin_id: int) -> list[Answer]:
        """A check-in's answers in the order given."""
        return [clone(a) for a in self.tables.rows(Answer, lambda a: a.checkin_id == checkin_id)]

    def _between(self, since: datetime, until: datetime, status: str) -> list[Answer]:
        found = self.tables.rows(
            Answer, lambda a: since <= a.created_at <= until and a.scoring_status == status
        )
        return sorted(found, key=lambda a: (a.created_at, a.id or 0))

    def _decided(self, answer: Answer) -> bool:
        if self.tables.rows(Case, lambda c: c.answer_id == answer.id):
            return True
        tag = f"answer:{answer.id}"
        return bool(
            self.tables.rows(
                Event,
                lambda e: (
                    e.customer_id == answer.customer_id and e.kind in DECIDED and e.actor == tag
                ),
            )
        )

    async def escalated_without_case(
        self, since: datetime, until: datetime, limit: int
    ) -> list[Answer]:
        """Scored, flagged answers stored in [since, until] that no case decision took up
        (opened a case, joined one, or was relayed), oldest first."""
        flagged = [a for a in self._between(since, until, "scored") if a.escalate is True]
        return [clone(a) for a in flagged if not self._decided(a)][:limit]

    async def unscored_answers(self, since: datetime, until: datetime, limit: int) -> list[Answer]:
        """Answers stored in [since, until] that were never scored, oldest first."""
        return [clone(a) for a in self._between(since, until, "unscored")[:limit]]
