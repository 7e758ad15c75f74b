"""What the desk knows of a customer before an answer: the input to history-aware escalation.

The figures are returned as a plain dict with the field names of ``sentiment.History``, so the
scoring handler can pass them on without storage or handlers importing the sentiment package.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import and_, or_, select

from storage.models import Answer, Case, CaseStatus

HISTORY_WINDOW = timedelta(days=30)


class CustomerHistoryQueries:
    """Mixin for :class:`storage.repositories.CustomerRepository`: recent cases and answers."""

    db: Any

    async def customer_history(
        self,
        customer_id: int,
        answer: Answer,
        now: datetime,
        window: timedelta = HISTORY_WINDOW,
    ) -> dict[str, Any]:
        """The customer before ``answer``, leaving out ``answer``'s own check-in.

        - ``open_case``: a case of theirs is open that no answer of this check-in opened;
        - ``recent_case``: a case of theirs was resolved (not closed as no issue) within
          ``window`` before ``now``;
        - ``last_detractor``: their newest earlier scored answer with a score was a detractor;
        - ``recent_complaints``: their earlier answers in the window read as negative.

        "Earlier" means given before ``answer`` (by time, then id), so an answer scored late
        sees the customer as they were when they gave it.
        """
        since = now - window
        same_checkin = Answer.checkin_id == answer.checkin_id if answer.checkin_id else None
        earlier = [
            Answer.customer_id == customer_id,
            Answer.scoring_status == "scored",
            Answer.created_at >= since,
        ]
        if answer.id is not None:
            earlier.append(Answer.id != answer.id)
        if answer.created_at is not None:
            # only what came before: an answer scored late (left behind by a crash, or revised
            # by an edit) must not take the customer's later answers as its history
            before = Answer.created_at < answer.created_at
            if answer.id is not None:
                same_moment = and_(Answer.created_at == answer.created_at, Answer.id < answer.id)
                before = or_(before, same_moment)
            earlier.append(before)
        if same_checkin is not None:
            earlier.append(or_(Answer.checkin_id.is_(None), ~same_checkin))
        async with self.db.session() as s:
            open_q = select(Case.id).where(Case.open_for_customer == customer_id)
            if same_checkin is not None:
                opened_here = select(Answer.id).where(same_checkin)
                open_q = open_q.where(
                    or_(Case.answer_id.is_(None), Case.answer_id.not_in(opened_here))
                )
            open_case = (await s.execute(open_q.limit(1))).first() is not None
            recent_case = (
                await s.execute(
                    select(Case.id)
                    .where(
                        and_(
                            Case.customer_id == customer_id,
                            Case.status == CaseStatus.RESOLVED,
                            Case.resolved_at.is_not(None),
                            Case.resolved_at >= since,
                        )
                    )
                    .limit(1)
                )
            ).first() is not None
            rows = (
                await s.execute(
                    select(Answer.sentiment, Answer.segment, Answer.score)
                    .where(*earlier)
                    .order_by(Answer.id.desc())
                    .limit(50)
                )
            ).all()
        last_scored = next((r for r in rows if r.score is not None and r.segment), None)
        return {
            "open_case": open_case,
            "recent_case": recent_case,
            "last_detractor": bool(last_scored and last_scored.segment == "detractor"),
            "recent_complaints": sum(1 for r in rows if r.sentiment == "negative"),
        }
