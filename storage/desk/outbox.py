"""The durable outbox: every post to the support desk is stored first, then delivered in order.

A worker delivers only while it holds the ``outbox`` lease, so posts leave in the order they
were written even with several workers; a worker that dies loses the lease when it runs out.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import and_, bindparam, func, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from storage.db import Database
from storage.models import Case, OutboxMessage, OutboxStatus

# Built once: every delivered post runs them.
_MARK_SENT = (
    update(OutboxMessage)
    .where(OutboxMessage.id == bindparam("message_id"))
    .values(status=OutboxStatus.SENT, sent_at=bindparam("now"), result_ts=bindparam("ts"))
)
_PLACE_CARD = (
    update(Case)
    .where(Case.id == bindparam("case_id"))
    .values(slack_channel=bindparam("channel"), slack_ts=bindparam("ts"))
)


def outbox_message(
    kind: str,
    now: datetime,
    *,
    case_id: int | None = None,
    channel: str | None = None,
    text: str | None = None,
    payload: dict[str, Any] | None = None,
) -> OutboxMessage:
    """A new post for the desk's outbox, due at once (the row every store queues)."""
    return OutboxMessage(
        kind=kind,
        case_id=case_id,
        channel=channel,
        text=text,
        payload=payload or {},
        next_attempt_at=now,
        created_at=now,
    )


def enqueue_in(
    s: AsyncSession,
    kind: str,
    now: datetime,
    *,
    case_id: int | None = None,
    channel: str | None = None,
    text: str | None = None,
    payload: dict[str, Any] | None = None,
) -> OutboxMessage:
    """Add a post to the outbox inside an open session (the caller's transaction)."""
    message = outbox_message(
        kind, now, case_id=case_id, channel=channel, text=text, payload=payload
    )
    s.add(message)
    return message


class OutboxQueries:
    """Queries on the support desk's outbox."""

    db: Database

    async def enqueue(
        self,
        kind: str,
        now: datetime,
        *,
        case_id: int | None = None,
        channel: str | None = None,
        text: str | None = None,
        payload: dict[str, Any] | None = None,
    ) -> int:
        """Store one post for delivery; returns its id."""
        async with self.db.session() as s:
            message = enqueue_in(
                s, kind, now, case_id=case_id, channel=channel, text=text, payload=payload
            )
            await s.flush()
            return message.id or 0

    async def pending_outbox(self, limit: int) -> list[OutboxMessage]:
        """The oldest undelivered posts, in the order they were written."""
        async with self.db.session() as s:
            rows = await s.execute(
                select(OutboxMessage)
                .where(OutboxMessage.status == OutboxStatus.PENDING)
                .order_by(OutboxMessage.id)
                .limit(limit)
            )
            return list(rows.scalars().all())

    async def outbox_sent(
        self,
        message_id: int,
        now: datetime,
        ts: str | None,
        card: tuple[int | None, str] | None = None,
    ) -> None:
        """Mark a post delivered (with the message ts the desk gave it); for a case card,
        ``card`` is (case id, channel) and the case remembers where its card is, in the same
        transaction."""
        async with self.db.session() as s:
            await s.execute(_MARK_SENT, {"message_id": message_id, "now": now, "ts": ts})
            if card is not None and card[0] is not None and ts:
                placed = {"case_id": card[0], "channel": card[1], "ts": ts}
                await s.execute(_PLACE_CARD, placed)

    async def outbox_started(self, message_id: int, now: datetime) -> None:
        """Record that a post is about to go out (the next attempt knows it may have)."""
        async with self.db.session() as s:
            await s.execute(
                update(OutboxMessage).where(OutboxMessage.id == message_id).values(started_at=now)
            )

    async def outbox_retry(self, message_id: int, retry_at: datetime, error: str) -> None:
        """Count a failed attempt and hold the post (and all after it) until ``retry_at``."""
        async with self.db.session() as s:
            await s.execute(
                update(OutboxMessage)
                .where(OutboxMessage.id == message_id)
                .values(
                    attempts=OutboxMessage.attempts + 1,
                    next_attempt_at=retry_at,
                    last_error=error[:500],
                )
            )

    async def outbox_failed(self, message_id: int, error: str) -> None:
        """Give a post up for good (the desk refused it); kept for the operator to see."""
        async with self.db.session() as s:
            await s.execute(
                update(OutboxMessage)
                .where(OutboxMessage.id == message_id)
                .values(
                    status=OutboxStatus.FAILED,
                    attempts=OutboxMessage.attempts + 1,
                    last_error=error[:500],
                )
            )

    async def outbox_counts(self) -> dict[str, int]:
        """How many posts there are per status."""
        async with self.db.session() as s:
            rows = await s.execute(
                select(OutboxMessage.status, func.count()).group_by(OutboxMessage.status)
            )
            return {status: n for status, n in rows.all()}

    async def outbox_backlog_age(self, now: datetime) -> float | None:
        """Seconds the oldest pending post has waited, or None when nothing waits."""
        async with self.db.session() as s:
            oldest = (
                await s.execute(
                    select(func.min(OutboxMessage.created_at)).where(
                        and_(OutboxMessage.status == OutboxStatus.PENDING)
                    )
                )
            ).scalar_one_or_none()
        return None if oldest is None else (now - oldest).total_seconds()
