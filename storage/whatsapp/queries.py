"""WhatsApp's queries: storing webhook items once, the 24-hour window, statuses, enrolment."""

from __future__ import annotations

import itertools
import json
import secrets
import time
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import and_, func, or_, select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.exc import IntegrityError

from storage.db import Database
from storage.models import (
    ChannelLink,
    Customer,
    CustomerMessage,
    Event,
    InboxUpdate,
    OptInState,
    OutboxStatus,
)
from storage.whatsapp.sent import SentMessageQueries
from storage.whatsapp_tables import WhatsAppSeen

CHANNEL = "whatsapp"
_SEQUENCE = itertools.count()


def arrival_id() -> int:
    """An inbox update id in arrival order: microseconds since the epoch, then 10 bits of this
    process's counter mixed with randomness, so two workers storing at the same microsecond
    do not meet (the inbox's key is (channel, update id))."""
    low = (next(_SEQUENCE) + secrets.randbits(10)) & 0x3FF
    return (time.time_ns() // 1000) << 10 | low


@dataclass(frozen=True)
class InboxItem:
    """One webhook item for the inbox: its dedupe key (the message id, or id:status), chat and
    the payload to decode when it is handled (stored as JSON with its ``update_id``)."""

    key: str
    chat_id: int
    payload: dict[str, Any]


def _new_link(customer_id: int, expires_at: datetime) -> ChannelLink:
    return ChannelLink(
        customer_id=customer_id,
        channel=CHANNEL,
        token=f"wa-{secrets.token_urlsafe(24)}",
        token_expires_at=expires_at,
    )


class WhatsAppStore(SentMessageQueries):
    """Queries on WhatsApp's tables and the WhatsApp rows of ``channel_links``."""

    def __init__(self, db: Database) -> None:
        self.db = db

    def _insert(self, table: Any) -> Any:
        return (pg_insert if self.db.dialect == "postgresql" else sqlite_insert)(table)

    async def store_items(self, items: Sequence[InboxItem], now: datetime) -> list[int]:
        """Store the items not seen before in the inbox, in one transaction with their keys;
        returns the chats that got new updates (in arrival order, once each)."""
        if not items:
            return []
        async with self.db.session() as s:
            seen = self._insert(WhatsAppSeen.__table__).on_conflict_do_nothing()
            new = {
                k
                for (k,) in (
                    await s.execute(
                        seen.returning(WhatsAppSeen.__table__.c.key),
                        [{"key": i.key[:160], "seen_at": now} for i in items],
                    )
                ).all()
            }
            rows = []
            for i in items:
                if i.key[:160] not in new:
                    continue
                new.discard(i.key[:160])  # the same item twice in one delivery
                update_id = arrival_id()
                payload = json.dumps({**i.payload, "update_id": update_id})
                rows.append({"channel": CHANNEL, "update_id": update_id, "chat_id": i.chat_id,
                             "payload": payload, "received_at": now, "attempts": 0})  # fmt: skip
            if rows:
                await s.execute(self._insert(InboxUpdate.__table__), rows)
        return list(dict.fromkeys(r["chat_id"] for r in rows))

    async def touch_inbound(self, chat_id: int, at: datetime) -> None:
        """The customer wrote at ``at``: the chat's window runs from there (never backwards)."""
        async with self.db.session() as s:
            await s.execute(
                update(ChannelLink)
                .where(
                    ChannelLink.channel == CHANNEL,
                    ChannelLink.chat_id == chat_id,
                    or_(ChannelLink.last_inbound_at.is_(None), ChannelLink.last_inbound_at < at),
                )
                .values(last_inbound_at=at, unreachable_at=None)
            )

    async def held_messages_due(self, chat_id: int, now: datetime) -> int:
        """The customer wrote: messages held back for the closed window are due now (they go
        before the reply to what the customer wrote, in order)."""
        async with self.db.session() as s:
            moved = await s.execute(
                update(CustomerMessage)
                .where(
                    CustomerMessage.channel == CHANNEL,
                    CustomerMessage.chat_id == chat_id,
                    CustomerMessage.status == OutboxStatus.PENDING,
                    CustomerMessage.next_attempt_at > now,
                )
                .values(next_attempt_at=now)
            )
        return int(moved.rowcount or 0)

    async def last_inbound(self, chat_id: int) -> datetime | None:
        """When the customer last wrote in this WhatsApp chat (None: never)."""
        async with self.db.session() as s:
            return (
                await s.execute(
                    select(ChannelLink.last_inbound_at).where(
                        ChannelLink.channel == CHANNEL, ChannelLink.chat_id == chat_id
                    )
                )
            ).scalar()

    async def ensure_link(self, customer_id: int, expires_at: datetime) -> None:
        """Give the customer a WhatsApp row in ``channel_links`` (not linked to a chat yet)."""
        async with self.db.session() as s:
            exists = (
                await s.execute(
                    select(ChannelLink.id).where(
                        ChannelLink.customer_id == customer_id, ChannelLink.channel == CHANNEL
                    )
                )
            ).scalar()
            if exists is None:
                s.add(_new_link(customer_id, expires_at))

    async def enrolment_candidates(self, limit: int = 200) -> list[tuple[int, str]]:
        """Customers waiting for an opt-in who gave a phone number and consent to check-ins,
        with no WhatsApp row yet: (customer id, phone as stored)."""
        has_row = select(ChannelLink.customer_id).where(ChannelLink.channel == CHANNEL)
        async with self.db.session() as s:
            rows = (
                await s.execute(
                    select(Customer.id, Customer.phone)
                    .where(
                        Customer.opt_in_state == OptInState.PENDING,
                        Customer.consent_checkins.is_(True),
                        Customer.phone.is_not(None),
                        Customer.id.not_in(has_row),
                    )
                    .order_by(Customer.id)
                    .limit(limit)
                )
            ).all()
        return [(int(r[0]), str(r[1])) for r in rows]

    async def enrol(self, customer_id: int, chat_id: int | None, now: datetime) -> bool:
        """Link the customer to the WhatsApp chat of their own phone number and opt them in
        (their consent came with the purchase). ``chat_id`` None (no usable number), or a chat
        that is another customer's: the row is made without a chat, and False returned."""
        link = _new_link(customer_id, now)
        if chat_id is not None:
            try:
                async with self.db.session() as s:
                    link.chat_id, link.user_id, link.linked_at = chat_id, chat_id, now
                    s.add(link)
                    await s.flush()
                    await s.execute(
                        update(Customer)
                        .where(
                            Customer.id == customer_id,
                            Customer.opt_in_state == OptInState.PENDING,
                        )
                        .values(opt_in_state=OptInState.OPTED_IN, updated_at=now)
                    )
                    s.add(Event(kind="customer.opted_in", at=now, customer_id=customer_id,
                                data={"channel": CHANNEL, "by": "purchase_consent"}))  # fmt: skip
                return True
            except IntegrityError:
                link = _new_link(customer_id, now)
        async with self.db.session() as s:
            s.add(link)
        return False

    async def mark_unreachable(self, chat_id: int, at: datetime) -> tuple[int | None, bool]:
        """The chat cannot be reached: (its customer, whether another chat of theirs can)."""
        async with self.db.session() as s:
            customer_id = (
                await s.execute(
                    select(ChannelLink.customer_id).where(
                        ChannelLink.channel == CHANNEL, ChannelLink.chat_id == chat_id
                    )
                )
            ).scalar()
            if customer_id is None:
                return None, False
            await s.execute(
                update(ChannelLink)
                .where(ChannelLink.channel == CHANNEL, ChannelLink.chat_id == chat_id)
                .values(unreachable_at=at)
            )
            others = (
                await s.execute(
                    select(func.count()).where(
                        and_(
                            ChannelLink.customer_id == customer_id,
                            ChannelLink.chat_id.is_not(None),
                            ChannelLink.unreachable_at.is_(None),
                            ChannelLink.channel != CHANNEL,
                        )
                    )
                )
            ).scalar()
        return int(customer_id), bool(others)

    async def prune_seen(self, older_than: timedelta, now: datetime) -> int:
        """Forget delivery ids after ``older_than`` (Meta retries for up to a week)."""
        from sqlalchemy import delete

        async with self.db.session() as s:
            gone = await s.execute(
                delete(WhatsAppSeen).where(WhatsAppSeen.seen_at < now - older_than)
            )
        return int(gone.rowcount or 0)
