"""The DeskOutbox port in memory (:mod:`storage.desk.outbox`)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from storage.memory_tables import MemoryTables, clone
from storage.models import Case, OutboxMessage, OutboxStatus
from tests.handlers.memory.shared import enqueue_post


class MemoryDeskOutbox:
    """The support desk's outbox: posts stored first, then delivered in order."""

    def __init__(self, tables: MemoryTables) -> None:
        self.tables = tables

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
        message = enqueue_post(
            self.tables, kind, now, case_id=case_id, channel=channel, text=text, payload=payload
        )
        return message.id or 0

    async def pending_outbox(self, limit: int) -> list[OutboxMessage]:
        """The oldest undelivered posts, in the order they were written (whether due or not:
        the delivery handler holds the queue at the first one not due)."""
        pending = self.tables.rows(OutboxMessage, lambda m: m.status == OutboxStatus.PENDING)
        return [clone(m) for m in pending[:limit]]

    async def outbox_sent(
        self,
        message_id: int,
        now: datetime,
        ts: str | None,
        card: tuple[int | None, str] | None = None,
    ) -> None:
        """Mark a post delivered; for a case card with a ts, the case remembers its card."""
        message = self.tables.get(OutboxMessage, message_id)
        if message is not None:
            message.status, message.sent_at, message.result_ts = OutboxStatus.SENT, now, ts
        if card is not None and card[0] is not None and ts:
            case = self.tables.get(Case, card[0])
            if case is not None:
                case.slack_channel, case.slack_ts = card[1], ts

    async def outbox_started(self, message_id: int, now: datetime) -> None:
        """Record that a post is about to go out."""
        message = self.tables.get(OutboxMessage, message_id)
        if message is not None:
            message.started_at = now

    async def outbox_retry(self, message_id: int, retry_at: datetime, error: str) -> None:
        """Count a failed attempt and hold the post until ``retry_at``."""
        message = self.tables.get(OutboxMessage, message_id)
        if message is not None:
            message.attempts += 1
            message.next_attempt_at, message.last_error = retry_at, error[:500]

    async def outbox_failed(self, message_id: int, error: str) -> None:
        """Give a post up for good; kept for the operator to see."""
        message = self.tables.get(OutboxMessage, message_id)
        if message is not None:
            message.status, message.last_error = OutboxStatus.FAILED, error[:500]
            message.attempts += 1
