"""The DeskOutbox port: the support desk's outbox as the delivery handler works it.

Storage implements it (:class:`storage.repositories.DeskOutboxRepository`).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any, Protocol

from storage.models import OutboxMessage


class DeskOutbox(Protocol):
    """The support desk's outbox as the delivery handler works it."""

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
        ...

    async def pending_outbox(self, limit: int) -> list[OutboxMessage]:
        """The oldest undelivered posts, in the order they were written."""
        ...

    async def outbox_sent(
        self,
        message_id: int,
        now: datetime,
        ts: str | None,
        card: tuple[int | None, str] | None = None,
    ) -> None:
        """Mark a post delivered (with the message ts the desk gave it); for a case card,
        ``card`` is (case id, channel) and the case remembers where its card is, in the same
        transaction.
        """
        ...

    async def outbox_started(self, message_id: int, now: datetime) -> None:
        """Record that a post is about to go out (the next attempt knows it may have)."""
        ...

    async def outbox_retry(self, message_id: int, retry_at: datetime, error: str) -> None:
        """Count a failed attempt and hold the post (and all after it) until ``retry_at``."""
        ...

    async def outbox_failed(self, message_id: int, error: str) -> None:
        """Give a post up for good (the desk refused it); kept for the operator to see."""
        ...
