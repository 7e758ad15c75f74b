"""The Customers port: customers, their chat links and their history.

Storage implements it (:class:`storage.repositories.CustomerRepository`).
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any, Protocol

from storage.customers.chat_links import LinkedChat, MoveRequest, OrderCheck
from storage.customers.retention import SweepPlan
from storage.desk.customer_history import HISTORY_WINDOW
from storage.models import Answer, ChannelLink, Customer, OptInState


class Customers(Protocol):
    """Customers, their chat links and their history."""

    async def link_for_token(self, token: str) -> tuple[ChannelLink, Customer] | None:
        """The link row and customer of an opt-in token, if it exists."""
        ...

    async def customer_for_chat(self, channel: str, chat_id: int) -> Customer | None:
        """The customer linked to a chat."""
        ...

    async def touch_inbound(self, channel: str, chat_id: int, at: datetime) -> None:
        """The customer wrote in this chat at ``at`` (their channel used last)."""
        ...

    async def set_opt_in_state(self, customer_id: int, state: OptInState, reason: str) -> int:
        """Change a customer's opt-in state; leaving opted-in cancels their open check-ins."""
        ...

    async def set_language(self, customer_id: int, language: str) -> None:
        """The language the customer wants to be written to in."""
        ...

    async def export_customer(self, customer_id: int) -> dict[str, Any]:
        """Everything stored about a customer, as JSON-ready data (for /mydata)."""
        ...

    async def verify_order(self, order_id: str, proof: str) -> OrderCheck:
        """Whether ``order_id`` exists and ``proof`` matches its postcode or e-mail."""
        ...

    async def linked_chat(self, customer_id: int, channel: str = "telegram") -> LinkedChat | None:
        """Where the customer is linked on ``channel`` now."""
        ...

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
        """Link ``chat_id`` to the customer and opt them in."""
        ...

    async def record_failed_link(self, customer_id: int | None, chat_id: int, at: datetime) -> None:
        """A wrong order number or proof; counted per order (customer) for the lockout."""
        ...

    async def failed_links_since(self, customer_id: int, since: datetime) -> int:
        """How many wrong tries at this customer's orders, from any chat, since ``since``."""
        ...

    async def request_move(
        self, customer_id: int, chat_id: int, user_id: int, at: datetime, quiet_for: datetime
    ) -> MoveRequest | None:
        """Record that ``chat_id`` asks to take the customer over."""
        ...

    async def move_request(self, request_id: int) -> MoveRequest | None:
        """A recorded move request, by id."""
        ...

    async def latest_product(self, customer_id: int) -> str | None:
        """The product of the customer's newest purchase."""
        ...

    async def customer_history(
        self,
        customer_id: int,
        answer: Answer,
        now: datetime,
        window: timedelta = HISTORY_WINDOW,
    ) -> dict[str, Any]:
        """The customer before ``answer`` (what they said before it, by time then id), leaving
        out ``answer``'s own check-in."""
        ...

    async def past_retention(self, cutoff: datetime, limit: int, after: int) -> SweepPlan:
        """Up to ``limit`` customers (ids above ``after``) with no purchase or answer since
        ``cutoff``: the retention sweep's next batch."""
        ...
