"""Answers: stored the moment they arrive, scored afterwards."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import String, bindparam, cast, exists, insert, literal, select, update

from storage.coalesce import coalescer_of
from storage.db import Database
from storage.inbox import mark_handled_in
from storage.models import Answer, Case, Customer, Event, utcnow

# Every answer runs these; built once, as building them costs more than running them, and on
# the tables rather than through the ORM's unit of work and bulk paths.
_ANSWERS = Answer.__table__
_ANSWER_COLUMNS = [c.name for c in _ANSWERS.columns if c.name != "id"]
_INSERT_ANSWERS = insert(_ANSWERS).returning(_ANSWERS.c.id, sort_by_parameter_order=True)
_SCORE_ANSWER = (
    update(_ANSWERS)
    .where(_ANSWERS.c.id == bindparam("answer_id"))
    .values(
        scoring_status="scored",
        polarity=bindparam("polarity"),
        sentiment=bindparam("sentiment"),
        segment=bindparam("segment"),
        escalate=bindparam("escalate"),
        analysis=bindparam("analysis", type_=_ANSWERS.c.analysis.type),
    )
)
_CUSTOMER_SEGMENT = (
    update(Customer.__table__)
    .where(Customer.__table__.c.id == bindparam("customer_id"))
    .values(segment=bindparam("segment"), updated_at=bindparam("updated_at"))
)


class UpdateAlreadyHandled(Exception):
    """The update an answer came in was handled by another attempt: the answer is not stored."""


class AnswerQueries:
    """Queries on answers."""

    db: Database

    async def save_answer(
        self, answer: Answer, handled: tuple[str, int, str] | None = None
    ) -> Answer:
        """Store an answer at once; returns it with its id.

        ``handled`` (channel, update id, inbox claim): the inbox update the answer came in,
        marked handled in the answer's own transaction; if that claim no longer holds the update
        (another attempt has it) nothing is stored and :class:`UpdateAlreadyHandled` is raised.
        """
        row: dict[str, Any] = {name: getattr(answer, name) for name in _ANSWER_COLUMNS}
        row["_handled"] = handled
        answer_id = await coalescer_of(self, "_answer_writes", self._insert_answers)(row)
        if answer_id is None:
            raise UpdateAlreadyHandled(f"update {handled} is no longer this attempt's")
        answer.id = answer_id
        return answer

    async def _insert_answers(self, rows: Sequence[dict[str, Any]]) -> list[int | None]:
        marks = [r["_handled"] for r in rows if r["_handled"] is not None]
        async with self.db.session() as s:
            held = await mark_handled_in(s, marks, utcnow()) if marks else set()
            keep = [r["_handled"] is None or r["_handled"] in held for r in rows]
            values = [
                {k: v for k, v in r.items() if k != "_handled"}
                for r, ok in zip(rows, keep, strict=True)
                if ok
            ]
            ids = iter(list((await s.execute(_INSERT_ANSWERS, values)).scalars()) if values else [])
            return [next(ids) if ok else None for ok in keep]

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
        (and ``event`` for the audit log, in the same transaction)."""
        scoring = {
            "answer_id": answer_id,
            "polarity": polarity,
            "sentiment": sentiment,
            "segment": segment,
            "escalate": escalate,
            "analysis": analysis,
        }
        await coalescer_of(self, "_scorings", self._record_scorings)((scoring, event, customer_id))

    async def _record_scorings(
        self, calls: Sequence[tuple[dict[str, Any], Event | None, int | None]]
    ) -> list[None]:
        async with self.db.session() as s:
            s.add_all([event for _, event, _ in calls if event is not None])
            await s.execute(_SCORE_ANSWER, [scoring for scoring, _, _ in calls])
            segments = []
            for scoring, _, customer_id in calls:
                if not scoring["segment"]:
                    continue
                if customer_id is None:
                    customer_id = (
                        await s.execute(
                            select(Answer.customer_id).where(Answer.id == scoring["answer_id"])
                        )
                    ).scalar_one()
                segments.append(
                    {
                        "customer_id": customer_id,
                        "segment": scoring["segment"],
                        "updated_at": utcnow(),
                    }
                )
            if segments:
                await s.execute(_CUSTOMER_SEGMENT, segments)
        return [None] * len(calls)

    async def record_event(
        self,
        kind: str,
        customer_id: int | None = None,
        data: dict[str, Any] | None = None,
        actor: str | None = None,
    ) -> None:
        """Add a line to the audit log."""
        async with self.db.session() as s:
            s.add(Event(kind=kind, customer_id=customer_id, data=data or {}, actor=actor))

    async def answer_for_message(self, customer_id: int, message_id: int) -> Answer | None:
        """The answer whose words came in the customer's chat message ``message_id``."""
        async with self.db.session() as s:
            return (
                await s.execute(
                    select(Answer)
                    .where(
                        Answer.customer_id == customer_id, Answer.source_message_id == message_id
                    )
                    .order_by(Answer.id)
                    .limit(1)
                )
            ).scalar()

    async def revise_answer_text(
        self, answer_id: int, text: str, before: str, at: datetime
    ) -> None:
        """The customer edited their words: store the new ones (to be scored again) and keep
        the words they replace in the audit log, in one transaction."""
        async with self.db.session() as s:
            answer = await s.get(Answer, answer_id)
            if answer is None:
                return
            await s.execute(
                update(Answer)
                .where(Answer.id == answer_id)
                .values(text=text, scoring_status="unscored")
            )
            s.add(
                Event(
                    kind="answer.edited",
                    at=at,
                    customer_id=answer.customer_id,
                    data={"answer_id": answer_id, "before": before},
                )
            )

    async def answers_for_checkin(self, checkin_id: int) -> list[Answer]:
        """A check-in's answers in the order given."""
        async with self.db.session() as s:
            rows = await s.execute(
                select(Answer).where(Answer.checkin_id == checkin_id).order_by(Answer.id)
            )
        return list(rows.scalars().all())

    async def escalated_without_case(
        self, since: datetime, until: datetime, limit: int
    ) -> list[Answer]:
        """Answers stored between ``since`` and ``until``, scored and flagged for support, that
        no case decision took up: none opened a case, joined one, or was left to the relay
        (the step after scoring failed, e.g. the database went away). Oldest first."""
        tag = literal("answer:").concat(cast(Answer.id, String))
        decided = select(Event.id).where(
            Event.customer_id == Answer.customer_id,
            Event.kind.in_(("case.answer_added", "case.words_relayed")),
            Event.actor == tag,
        )
        async with self.db.session() as s:
            rows = await s.execute(
                select(Answer)
                .where(
                    Answer.created_at >= since,
                    Answer.created_at <= until,
                    Answer.scoring_status == "scored",
                    Answer.escalate.is_(True),
                    ~exists(select(Case.id).where(Case.answer_id == Answer.id)),
                    ~exists(decided),
                )
                .order_by(Answer.created_at, Answer.id)
                .limit(limit)
            )
        return list(rows.scalars().all())

    async def unscored_answers(self, since: datetime, until: datetime, limit: int) -> list[Answer]:
        """Answers stored between ``since`` and ``until`` that were never scored (a crash
        between storing and scoring, a scoring that failed), oldest first."""
        async with self.db.session() as s:
            rows = await s.execute(
                select(Answer)
                .where(
                    Answer.created_at >= since,
                    Answer.created_at <= until,
                    Answer.scoring_status == "unscored",
                )
                .order_by(Answer.created_at, Answer.id)
                .limit(limit)
            )
        return list(rows.scalars().all())
