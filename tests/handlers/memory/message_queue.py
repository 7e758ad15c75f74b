"""The MessageQueue port in memory (:mod:`storage.customers.outbox`)."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from storage.customers.outbox import QueuedMessage
from storage.memory_tables import MemoryTables
from storage.models import CustomerMessage, OutboxStatus


def _claimable(m: CustomerMessage, now: datetime) -> bool:
    """Pending, due, and held by nobody (a claim runs out strictly after its time)."""
    return (
        m.status == OutboxStatus.PENDING
        and m.next_attempt_at <= now
        and (m.claimed_until is None or m.claimed_until < now)
    )


def _queued(m: CustomerMessage) -> QueuedMessage:
    return QueuedMessage(
        m.id or 0, m.channel, m.chat_id, m.customer_id, m.kind, m.text, list(m.buttons), m.attempts
    )


class MemoryMessageQueue:
    """The customers' outbox: stored first, delivered in order per chat."""

    def __init__(self, tables: MemoryTables) -> None:
        self.tables = tables

    async def enqueue_customer_message(
        self,
        now: datetime,
        chat_id: int,
        text: str,
        kind: str,
        *,
        customer_id: int | None = None,
        buttons: list[Any] | None = None,
        channel: str = "telegram",
    ) -> int:
        """Store one message for a customer's chat; returns its id."""
        message = CustomerMessage(
            channel=channel,
            chat_id=chat_id,
            customer_id=customer_id,
            kind=kind,
            text=text,
            buttons=list(buttons or []),
            next_attempt_at=now,
            created_at=now,
        )
        return self.tables.insert(message).id or 0

    def _pending(self, channel: str, chat_id: int) -> list[CustomerMessage]:
        return self.tables.rows(
            CustomerMessage,
            lambda m: (
                m.status == OutboxStatus.PENDING and m.channel == channel and m.chat_id == chat_id
            ),
        )

    def _claim(self, m: CustomerMessage, now: datetime, lease: timedelta) -> QueuedMessage:
        m.claimed_until = now + lease
        return _queued(m)

    async def said_since(
        self, customer_id: int, channel: str, chat_id: int, kind: str, since: datetime
    ) -> bool:
        """True when a message of ``kind`` for this customer's chat was stored at or after
        ``since``."""
        return bool(
            self.tables.rows(
                CustomerMessage,
                lambda m: (
                    m.customer_id == customer_id
                    and m.channel == channel
                    and m.chat_id == chat_id
                    and m.kind == kind
                    and m.created_at >= since
                ),
            )
        )

    async def claim_chat_head(
        self, channel: str, chat_id: int, now: datetime, lease: timedelta
    ) -> QueuedMessage | None:
        """Claim the oldest pending message of one chat, if it is due and nobody holds it."""
        pending = self._pending(channel, chat_id)
        if not pending or not _claimable(pending[0], now):
            return None
        return self._claim(pending[0], now, lease)

    async def claim_due_heads(
        self, now: datetime, lease: timedelta, limit: int
    ) -> list[QueuedMessage]:
        """Claim the oldest pending message of up to ``limit`` chats whose head is due."""
        heads: list[CustomerMessage] = []
        seen: set[tuple[str, int]] = set()
        for m in self.tables.rows(CustomerMessage, lambda m: m.status == OutboxStatus.PENDING):
            chat = (m.channel, m.chat_id)
            if chat not in seen:  # the chat's oldest pending message: its head
                seen.add(chat)
                if _claimable(m, now):
                    heads.append(m)
        return [self._claim(m, now, lease) for m in heads[:limit]]

    async def customer_message_sent(self, message_id: int, now: datetime, sent_id: int) -> None:
        """Telegram took the message."""
        m = self.tables.get(CustomerMessage, message_id)
        if m is not None:
            m.status, m.sent_at, m.message_id = OutboxStatus.SENT, now, sent_id

    async def customer_message_retry(self, message_id: int, retry_at: datetime, error: str) -> None:
        """Count a failed try; the message (and the chat's later ones) waits until
        ``retry_at``."""
        m = self.tables.get(CustomerMessage, message_id)
        if m is not None:
            m.attempts += 1
            m.next_attempt_at, m.claimed_until, m.last_error = retry_at, None, error[:500]

    async def customer_messages_failed(
        self, message_id: int, error: str, *, whole_chat: bool
    ) -> int:
        """Set a message aside for good; with ``whole_chat`` every pending message of its chat
        instead (the message itself only if still pending). Returns how many."""
        target = self.tables.get(CustomerMessage, message_id)
        if target is None:
            return 0
        chosen = self._pending(target.channel, target.chat_id) if whole_chat else [target]
        for m in chosen:
            m.status, m.claimed_until, m.last_error = OutboxStatus.FAILED, None, error[:500]
            m.attempts += 1
        return len(chosen)
