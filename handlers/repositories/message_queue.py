"""The MessageQueue port: the customers' outbox rows: stored first, delivered in order per chat.

Storage implements it (:class:`storage.repositories.MessageQueueRepository`).
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any, Protocol

from storage.customers.outbox import QueuedMessage


class MessageQueue(Protocol):
    """The customers' outbox rows: stored first, delivered in order per chat."""

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
        ...

    async def said_since(
        self, customer_id: int, channel: str, chat_id: int, kind: str, since: datetime
    ) -> bool:
        """True when a message of ``kind`` for this customer's chat was stored at or after
        ``since`` (sent, waiting or set aside: the customer was told, or will be)."""
        ...

    async def claim_chat_head(
        self, channel: str, chat_id: int, now: datetime, lease: timedelta
    ) -> QueuedMessage | None:
        """Claim the oldest pending message of one chat, if it is due and nobody holds it."""
        ...

    async def claim_due_heads(
        self, now: datetime, lease: timedelta, limit: int
    ) -> list[QueuedMessage]:
        """Claim the oldest pending message of up to ``limit`` chats whose head is due."""
        ...

    async def customer_message_sent(self, message_id: int, now: datetime, sent_id: int) -> None:
        """Telegram took the message."""
        ...

    async def customer_message_retry(self, message_id: int, retry_at: datetime, error: str) -> None:
        """Count a failed try; the message (and the chat's later ones) waits until
        ``retry_at``.
        """
        ...

    async def customer_messages_failed(
        self, message_id: int, error: str, *, whole_chat: bool
    ) -> int:
        """Set a message aside for good (Telegram refused it); with ``whole_chat`` every
        pending message of that chat too (the customer blocked the bot). Returns how many.
        """
        ...
