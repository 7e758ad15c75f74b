"""The chat-link half of the Customers port in memory (:mod:`storage.customers.chat_links`)."""

from __future__ import annotations

import re
from datetime import datetime
from typing import Any

from storage.customers.chat_links import (
    FAILED_LINK,
    MOVE_REQUESTED,
    ChatAlreadyLinked,
    CustomerLinkedElsewhere,
    LinkedChat,
    MoveRequest,
    OrderCheck,
)
from storage.memory_tables import MemoryTables, clone
from storage.models import ChannelLink, Customer, Event, OptInState, Purchase
from tests.handlers.memory.shared import add_event


def _normal_postcode(value: str | None) -> str:
    return re.sub(r"\s+", "", value or "").upper()


class MemoryChatLinks:
    """Which chat a customer is reached in: linking, moving a link, and the evidence."""

    tables: MemoryTables

    async def verify_order(self, order_id: str, proof: str) -> OrderCheck:
        """Whether ``order_id`` (in any case) exists and ``proof`` matches its customer's
        postcode (spaces and case aside) or e-mail (case aside)."""
        wanted = order_id.strip().upper()
        found = self.tables.rows(Purchase, lambda p: p.external_order_id.upper() == wanted)
        customer = self.tables.get(Customer, found[0].customer_id) if found else None
        if customer is None:
            return OrderCheck(None, False)
        proof = proof.strip()
        matches = bool(customer.email and proof.lower() == customer.email.lower()) or bool(
            customer.postcode and _normal_postcode(proof) == _normal_postcode(customer.postcode)
        )
        return OrderCheck(customer.id, matches)

    def _link(self, customer_id: int, channel: str) -> ChannelLink | None:
        found = self.tables.rows(
            ChannelLink, lambda link: link.customer_id == customer_id and link.channel == channel
        )
        return found[0] if found else None

    async def linked_chat(self, customer_id: int, channel: str = "telegram") -> LinkedChat | None:
        """Where the customer is linked on ``channel`` now."""
        link = self._link(customer_id, channel)
        customer = self.tables.get(Customer, customer_id)
        if link is None or customer is None:
            return None
        return LinkedChat(
            customer_id, link.chat_id, link.token_used_at is not None, customer.language
        )

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
        """Link ``chat_id`` to the customer and opt them in. :class:`ChatAlreadyLinked` when the
        chat is another customer's; :class:`CustomerLinkedElsewhere` when the customer is linked
        to a chat other than this one or ``move_from`` (or has no link row on ``channel``)."""
        others = self.tables.rows(
            ChannelLink,
            lambda link: (
                link.channel == channel
                and link.chat_id == chat_id
                and link.customer_id != customer_id
            ),
        )
        if others:
            raise ChatAlreadyLinked(str(others[0].customer_id))
        allowed = {None, chat_id, move_from}
        movable = self.tables.rows(
            ChannelLink,
            lambda link: (
                link.customer_id == customer_id
                and link.channel == channel
                and link.chat_id in allowed
            ),
        )
        if not movable:
            raise CustomerLinkedElsewhere(str(customer_id))
        for link in movable:
            link.chat_id, link.user_id, link.linked_at = chat_id, user_id, now
            if use_token:
                link.token_used_at = now
        customer = self.tables.get(Customer, customer_id)
        assert customer is not None
        customer.opt_in_state, customer.consent_checkins = OptInState.OPTED_IN, True
        customer.updated_at = now
        data: dict[str, Any] = {"channel": channel, "moved": move_from is not None}
        add_event(self.tables, "customer.opted_in", at=now, customer_id=customer_id, data=data)
        return clone(customer)

    async def record_failed_link(self, customer_id: int | None, chat_id: int, at: datetime) -> None:
        """A wrong order number or proof; counted per order (customer) for the lockout."""
        add_event(self.tables, FAILED_LINK, at=at, customer_id=customer_id, data={"chat": chat_id})

    def _events_after(self, kind: str, customer_id: int, since: datetime) -> list[Event]:
        return self.tables.rows(
            Event, lambda e: e.kind == kind and e.customer_id == customer_id and e.at > since
        )

    async def failed_links_since(self, customer_id: int, since: datetime) -> int:
        """How many wrong tries at this customer's orders strictly after ``since``."""
        return len(self._events_after(FAILED_LINK, customer_id, since))

    async def request_move(
        self, customer_id: int, chat_id: int, user_id: int, at: datetime, quiet_for: datetime
    ) -> MoveRequest | None:
        """Record that ``chat_id`` asks to take the customer over; None when another request
        was made strictly after ``quiet_for``."""
        if self._events_after(MOVE_REQUESTED, customer_id, quiet_for):
            return None
        data = {"chat": chat_id, "user": user_id}
        event = add_event(self.tables, MOVE_REQUESTED, at=at, customer_id=customer_id, data=data)
        return MoveRequest(event.id or 0, customer_id, chat_id, user_id, at)

    async def move_request(self, request_id: int) -> MoveRequest | None:
        """A recorded move request, by id (None for any other event)."""
        event = self.tables.get(Event, request_id)
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
        """The customer wrote in this chat at ``at`` (never moves backwards)."""
        for link in self.tables.rows(
            ChannelLink, lambda link: link.channel == channel and link.chat_id == chat_id
        ):
            if link.last_inbound_at is None or link.last_inbound_at < at:
                link.last_inbound_at = at

    async def latest_product(self, customer_id: int) -> str | None:
        """The product of the customer's newest purchase (the later id on a tie)."""
        found = self.tables.rows(Purchase, lambda p: p.customer_id == customer_id)
        newest = max(found, key=lambda p: (p.purchased_at, p.id or 0), default=None)
        return newest.product if newest else None
