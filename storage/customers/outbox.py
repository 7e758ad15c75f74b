"""The customers' outbox: messages to a chat are stored first, then delivered in order per chat.

A message is claimed (``claimed_until``) by the one worker that sends it, and only while it is
the oldest pending message of its chat, so a chat's messages leave in the order they were
written while different chats are served side by side. A worker that dies after Telegram took
a message but before it was marked sent leaves it claimed; it is sent again once the claim runs
out, so such a crash can repeat at most that one message of that chat.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import and_, exists, func, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import aliased

from storage.db import Database
from storage.models import CustomerMessage, OutboxStatus

MESSAGES = CustomerMessage.__table__  # type: ignore[attr-defined]


@dataclass(frozen=True)
class QueuedMessage:
    """One claimed message, ready to send."""

    id: int
    channel: str
    chat_id: int
    customer_id: int | None
    kind: str
    text: str
    buttons: list[Any]
    attempts: int


def enqueue_customer_in(
    s: AsyncSession,
    now: datetime,
    chat_id: int,
    text: str,
    kind: str,
    *,
    customer_id: int | None = None,
    buttons: list[Any] | None = None,
    channel: str = "telegram",
) -> CustomerMessage:
    """Add a message to a customer's chat inside the caller's transaction."""
    message = CustomerMessage(
        channel=channel,
        chat_id=chat_id,
        customer_id=customer_id,
        kind=kind,
        text=text,
        buttons=buttons or [],
        next_attempt_at=now,
        created_at=now,
    )
    s.add(message)
    return message


def _claimable(now: datetime) -> Any:
    return and_(
        CustomerMessage.status == OutboxStatus.PENDING,
        CustomerMessage.next_attempt_at <= now,
        or_(CustomerMessage.claimed_until.is_(None), CustomerMessage.claimed_until < now),
    )


def _queued(row: Any) -> QueuedMessage:
    return QueuedMessage(
        row.id,
        row.channel,
        row.chat_id,
        row.customer_id,
        row.kind,
        row.text,
        list(row.buttons or []),
        row.attempts,
    )


class CustomerOutboxQueries:
    """Queries on the customers' outbox."""

    db: Database

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
        async with self.db.session() as s:
            message = enqueue_customer_in(
                s, now, chat_id, text, kind, customer_id=customer_id, buttons=buttons,
                channel=channel,
            )  # fmt: skip
            await s.flush()
            return message.id or 0

    async def said_since(
        self, customer_id: int, channel: str, chat_id: int, kind: str, since: datetime
    ) -> bool:
        """True when a message of ``kind`` for this customer's chat was stored at or after
        ``since`` (sent, waiting or set aside: the customer was told, or will be)."""
        query = select(
            exists().where(
                CustomerMessage.customer_id == customer_id,  # indexed: a customer's few rows
                CustomerMessage.channel == channel,
                CustomerMessage.chat_id == chat_id,
                CustomerMessage.kind == kind,
                CustomerMessage.created_at >= since,
            )
        )
        async with self.db.session() as s:
            return bool((await s.execute(query)).scalar())

    async def claim_chat_head(
        self, channel: str, chat_id: int, now: datetime, lease: timedelta
    ) -> QueuedMessage | None:
        """Claim the oldest pending message of one chat, if it is due and nobody holds it."""
        head = (
            select(func.min(CustomerMessage.id))
            .where(
                CustomerMessage.status == OutboxStatus.PENDING,
                CustomerMessage.channel == channel,
                CustomerMessage.chat_id == chat_id,
            )
            .scalar_subquery()
        )
        async with self.db.session() as s:
            row = (
                await s.execute(
                    update(MESSAGES)
                    .where(MESSAGES.c.id == head, _claimable(now))
                    .values(claimed_until=now + lease)
                    .returning(*MESSAGES.c)
                )
            ).first()
        return _queued(row) if row else None

    async def claim_due_heads(
        self, now: datetime, lease: timedelta, limit: int
    ) -> list[QueuedMessage]:
        """Claim the oldest pending message of up to ``limit`` chats whose head is due."""
        earlier = aliased(CustomerMessage)
        heads = (
            select(CustomerMessage.id)
            .where(
                _claimable(now),
                ~exists().where(
                    earlier.status == OutboxStatus.PENDING,
                    earlier.channel == CustomerMessage.channel,
                    earlier.chat_id == CustomerMessage.chat_id,
                    earlier.id < CustomerMessage.id,
                ),
            )
            .order_by(CustomerMessage.id)
            .limit(limit)
        )
        claimed: list[QueuedMessage] = []
        async with self.db.session() as s:
            ids = list((await s.execute(heads)).scalars())
            for message_id in ids:  # each claim re-checks: another worker may have taken it
                row = (
                    await s.execute(
                        update(MESSAGES)
                        .where(MESSAGES.c.id == message_id, _claimable(now))
                        .values(claimed_until=now + lease)
                        .returning(*MESSAGES.c)
                    )
                ).first()
                if row is not None:
                    claimed.append(_queued(row))
        return claimed

    async def customer_message_sent(self, message_id: int, now: datetime, sent_id: int) -> None:
        """Telegram took the message."""
        async with self.db.session() as s:
            await s.execute(
                update(CustomerMessage)
                .where(CustomerMessage.id == message_id)
                .values(status=OutboxStatus.SENT, sent_at=now, message_id=sent_id)
            )

    async def customer_message_retry(self, message_id: int, retry_at: datetime, error: str) -> None:
        """Count a failed try; the message (and the chat's later ones) waits until ``retry_at``."""
        async with self.db.session() as s:
            await s.execute(
                update(CustomerMessage)
                .where(CustomerMessage.id == message_id)
                .values(
                    attempts=CustomerMessage.attempts + 1,
                    next_attempt_at=retry_at,
                    claimed_until=None,
                    last_error=error[:500],
                )
            )

    async def customer_messages_failed(
        self, message_id: int, error: str, *, whole_chat: bool
    ) -> int:
        """Set a message aside for good (Telegram refused it); with ``whole_chat`` every pending
        message of that chat too (the customer blocked the bot). Returns how many."""
        async with self.db.session() as s:
            target = await s.get(CustomerMessage, message_id)
            if target is None:
                return 0
            where = (
                and_(
                    CustomerMessage.status == OutboxStatus.PENDING,
                    CustomerMessage.channel == target.channel,
                    CustomerMessage.chat_id == target.chat_id,
                )
                if whole_chat
                else CustomerMessage.id == message_id
            )
            result = await s.execute(
                update(CustomerMessage)
                .where(where)
                .values(
                    status=OutboxStatus.FAILED,
                    attempts=CustomerMessage.attempts + 1,
                    claimed_until=None,
                    last_error=error[:500],
                )
            )
            return int(result.rowcount or 0)  # type: ignore[attr-defined]

    async def customer_outbox_counts(self) -> dict[str, int]:
        """How many customer messages there are per status."""
        async with self.db.session() as s:
            rows = await s.execute(
                select(CustomerMessage.status, func.count()).group_by(CustomerMessage.status)
            )
            return {status: n for status, n in rows.all()}
