"""WhatsApp's queries: storing webhook items once, the 24-hour window, statuses, enrolment."""

from __future__ import annotations

import hashlib
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
from storage.models import ChannelLink, Customer, Event, InboxUpdate, OptInState
from storage.whatsapp_tables import WhatsAppSeen, WhatsAppSent

CHANNEL = "whatsapp"
# Later statuses win; Meta may report them out of order (read before delivered).
_RANK = {"accepted": 0, "sent": 1, "delivered": 2, "read": 3, "failed": 4}
_SEQUENCE = itertools.count()


def message_number(wamid: str) -> int:
    """The house's integer id of a WhatsApp message: 63 bits of the wamid's SHA-256."""
    return int.from_bytes(hashlib.sha256(wamid.encode()).digest()[:8], "big") >> 1


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


@dataclass(frozen=True)
class SentInfo:
    """What a status callback is about: the sent message's chat and check-in."""

    chat_id: int
    checkin_id: int | None
    status: str
    changed: bool


def _new_link(customer_id: int, expires_at: datetime) -> ChannelLink:
    return ChannelLink(
        customer_id=customer_id,
        channel=CHANNEL,
        token=f"wa-{secrets.token_urlsafe(24)}",
        token_expires_at=expires_at,
    )


class WhatsAppStore:
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

    async def record_sent(
        self,
        wamid: str,
        chat_id: int,
        now: datetime,
        *,
        checkin_id: int | None = None,
        template: str | None = None,
        opens_conversation: bool = False,
    ) -> int:
        """Remember a sent message (its statuses come later); returns its house id."""
        number = message_number(wamid)
        async with self.db.session() as s:
            await s.execute(
                self._insert(WhatsAppSent.__table__).on_conflict_do_nothing(),
                {"message_id": number, "wamid": wamid[:128], "chat_id": chat_id,
                 "checkin_id": checkin_id, "template": template,
                 "opens_conversation": opens_conversation, "sent_at": now, "status": "accepted"},
            )  # fmt: skip
        return number

    async def conversations_opened_since(self, since: datetime) -> int:
        """Business-initiated conversations (templates outside the window) since ``since``."""
        async with self.db.session() as s:
            return int(
                (
                    await s.execute(
                        select(func.count()).where(
                            WhatsAppSent.opens_conversation.is_(True), WhatsAppSent.sent_at > since
                        )
                    )
                ).scalar()
                or 0
            )

    async def apply_status(
        self, wamid: str, status: str, at: datetime, error_code: int | None, error: str | None
    ) -> SentInfo | None:
        """Record a status callback (a later status never goes back); None for a message this
        bot did not record."""
        rank = _RANK.get(status)
        if rank is None:
            return None
        lower = [s for s, r in _RANK.items() if r < rank]
        async with self.db.session() as s:
            row = (
                await s.execute(
                    select(
                        WhatsAppSent.chat_id, WhatsAppSent.checkin_id, WhatsAppSent.status
                    ).where(WhatsAppSent.wamid == wamid)
                )
            ).first()
            if row is None:
                return None
            changed = (
                await s.execute(
                    update(WhatsAppSent)
                    .where(WhatsAppSent.wamid == wamid, WhatsAppSent.status.in_(lower))
                    .values(status=status, status_at=at, error_code=error_code,
                            error_title=(error or None) and error[:200])
                )
            ).rowcount  # fmt: skip
        return SentInfo(int(row[0]), row[1], status, bool(changed))

    async def note_opener(
        self, message_id: int, checkin_id: int, template: str | None, opens: bool
    ) -> None:
        """The sent message opened a check-in (a template when ``template`` is set)."""
        async with self.db.session() as s:
            await s.execute(
                update(WhatsAppSent)
                .where(WhatsAppSent.message_id == message_id)
                .values(checkin_id=checkin_id, template=template, opens_conversation=opens)
            )

    async def opened_by_template(self, message_id: int) -> bool:
        """Whether the sent message was a template (its question not shown yet)."""
        async with self.db.session() as s:
            name = (
                await s.execute(
                    select(WhatsAppSent.template).where(WhatsAppSent.message_id == message_id)
                )
            ).scalar()
        return name is not None

    async def sent_status(self, wamid: str) -> str | None:
        """The last status recorded for a sent message."""
        async with self.db.session() as s:
            return (
                await s.execute(select(WhatsAppSent.status).where(WhatsAppSent.wamid == wamid))
            ).scalar()

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
