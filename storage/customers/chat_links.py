"""Which chat a customer is reached in: linking, moving a link, and the evidence for both.

The decisions (may this chat take this customer? is the order locked?) are made in
``handlers/optin/linking.py``; this module executes them and answers the questions they need. The
one rule it enforces itself, because two requests can race: a link made through the order
number never moves a customer who is linked to another chat.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import func, or_, select, update

from storage.db import Database
from storage.models import ChannelLink, Customer, Event, OptInState, Purchase

FAILED_LINK = "optin.failed"
MOVE_REQUESTED = "optin.move_requested"


class ChatAlreadyLinked(Exception):
    """This chat already belongs to another customer."""


class CustomerLinkedElsewhere(Exception):
    """The customer is linked to another chat; only the token or that chat may move them."""


@dataclass(frozen=True)
class OrderCheck:
    """What typing an order number and a postcode or e-mail proved."""

    customer_id: int | None  # the order's customer, when the order number exists
    proof_matches: bool


@dataclass(frozen=True)
class LinkedChat:
    """Where a customer is linked now (chat_id None: not linked yet)."""

    customer_id: int
    chat_id: int | None
    token_used: bool
    language: str


@dataclass(frozen=True)
class MoveRequest:
    """A chat asked to take over a customer; the chat linked now must confirm it."""

    id: int
    customer_id: int
    chat_id: int
    user_id: int
    at: datetime


def _normal_postcode(value: str | None) -> str:
    return re.sub(r"\s+", "", value or "").upper()


class ChatLinkQueries:
    """Queries on the chat a customer is linked to."""

    db: Database

    async def verify_order(self, order_id: str, proof: str) -> OrderCheck:
        """Whether ``order_id`` exists and ``proof`` matches its postcode or e-mail."""
        async with self.db.session() as s:
            row = (
                await s.execute(
                    select(Customer.id, Customer.email, Customer.postcode)
                    .join(Purchase, Purchase.customer_id == Customer.id)
                    .where(func.upper(Purchase.external_order_id) == order_id.strip().upper())
                )
            ).first()
        if row is None:
            return OrderCheck(None, False)
        proof = proof.strip()
        matches = bool(row[1] and proof.lower() == row[1].lower()) or bool(
            row[2] and _normal_postcode(proof) == _normal_postcode(row[2])
        )
        return OrderCheck(row[0], matches)

    async def linked_chat(self, customer_id: int, channel: str = "telegram") -> LinkedChat | None:
        """Where the customer is linked on ``channel`` now."""
        async with self.db.session() as s:
            row = (
                await s.execute(
                    select(ChannelLink.chat_id, ChannelLink.token_used_at, Customer.language)
                    .join(Customer, Customer.id == ChannelLink.customer_id)
                    .where(ChannelLink.customer_id == customer_id, ChannelLink.channel == channel)
                )
            ).first()
        if row is None:
            return None
        return LinkedChat(customer_id, row[0], row[1] is not None, row[2])

    async def link_chat(
        self,
        customer_id: int,
        chat_id: int,
        user_id: int,
        now: datetime,
        channel: str = "telegram",
        *,
        use_token: bool = True,
        move_from: int | None = None,
    ) -> Customer:
        """Link ``chat_id`` to the customer and opt them in.

        ``use_token``: the deep link's token was shown, and cannot be used again (the order
        number path leaves it unused, so the customer's own link still works afterwards).
        ``move_from``: the chat the customer may be moved away from; a customer linked to any
        other chat raises :class:`CustomerLinkedElsewhere` and nothing changes.
        """
        async with self.db.session() as s:
            other = (
                await s.execute(
                    select(ChannelLink.customer_id).where(
                        ChannelLink.channel == channel,
                        ChannelLink.chat_id == chat_id,
                        ChannelLink.customer_id != customer_id,
                    )
                )
            ).scalar()
            if other is not None:
                raise ChatAlreadyLinked(str(other))
            values: dict[str, Any] = {"chat_id": chat_id, "user_id": user_id, "linked_at": now}
            if use_token:
                values["token_used_at"] = now
            allowed = [None, chat_id] + ([move_from] if move_from is not None else [])
            current = ChannelLink.chat_id.is_(None) | ChannelLink.chat_id.in_(
                [c for c in allowed if c is not None]
            )
            moved = await s.execute(
                update(ChannelLink)
                .where(
                    ChannelLink.customer_id == customer_id,
                    ChannelLink.channel == channel,
                    current,
                )
                .values(**values)
            )
            if not moved.rowcount:
                raise CustomerLinkedElsewhere(str(customer_id))
            await s.execute(
                update(Customer)
                .where(Customer.id == customer_id)
                .values(opt_in_state=OptInState.OPTED_IN, consent_checkins=True, updated_at=now)
            )
            s.add(
                Event(
                    kind="customer.opted_in",
                    at=now,
                    customer_id=customer_id,
                    data={"channel": channel, "moved": move_from is not None},
                )
            )
            customer = await s.get(Customer, customer_id)
        assert customer is not None
        return customer

    async def record_failed_link(self, customer_id: int | None, chat_id: int, at: datetime) -> None:
        """A wrong order number or proof; counted per order (customer) for the lockout."""
        async with self.db.session() as s:
            s.add(Event(kind=FAILED_LINK, at=at, customer_id=customer_id, data={"chat": chat_id}))

    async def failed_links_since(self, customer_id: int, since: datetime) -> int:
        """How many wrong tries at this customer's orders, from any chat, since ``since``."""
        async with self.db.session() as s:
            return int(
                (
                    await s.execute(
                        select(func.count(Event.id)).where(
                            Event.kind == FAILED_LINK,
                            Event.customer_id == customer_id,
                            Event.at > since,
                        )
                    )
                ).scalar()
                or 0
            )

    async def request_move(
        self, customer_id: int, chat_id: int, user_id: int, at: datetime, quiet_for: datetime
    ) -> MoveRequest | None:
        """Record that ``chat_id`` asks to take the customer over.

        None when another request was made after ``quiet_for`` (the linked chat is asked at
        most once in that time, so nobody can flood a customer with requests).
        """
        async with self.db.session() as s:
            recent = (
                await s.execute(
                    select(func.count(Event.id)).where(
                        Event.kind == MOVE_REQUESTED,
                        Event.customer_id == customer_id,
                        Event.at > quiet_for,
                    )
                )
            ).scalar()
            if recent:
                return None
            event = Event(
                kind=MOVE_REQUESTED,
                at=at,
                customer_id=customer_id,
                data={"chat": chat_id, "user": user_id},
            )
            s.add(event)
            await s.flush()
            assert event.id is not None
        return MoveRequest(event.id, customer_id, chat_id, user_id, at)

    async def move_request(self, request_id: int) -> MoveRequest | None:
        """A recorded move request, by id."""
        async with self.db.session() as s:
            event = await s.get(Event, request_id)
        if event is None or event.kind != MOVE_REQUESTED or event.customer_id is None:
            return None
        data = event.data or {}
        return MoveRequest(
            event.id or 0,
            event.customer_id,
            int(data.get("chat", 0)),
            int(data.get("user", 0)),
            event.at,
        )

    async def touch_inbound(self, channel: str, chat_id: int, at: datetime) -> None:
        """The customer wrote in this chat at ``at``: the channel they used last (never moves
        backwards; a chat linked to nobody changes nothing)."""
        async with self.db.session() as s:
            await s.execute(
                update(ChannelLink)
                .where(
                    ChannelLink.channel == channel,
                    ChannelLink.chat_id == chat_id,
                    or_(ChannelLink.last_inbound_at.is_(None), ChannelLink.last_inbound_at < at),
                )
                .values(last_inbound_at=at)
            )

    async def latest_product(self, customer_id: int) -> str | None:
        """The product of the customer's newest purchase."""
        async with self.db.session() as s:
            return (
                await s.execute(
                    select(Purchase.product)
                    .where(Purchase.customer_id == customer_id)
                    .order_by(Purchase.purchased_at.desc(), Purchase.id.desc())
                    .limit(1)
                )
            ).scalar()
