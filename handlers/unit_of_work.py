"""The unit of work a handler holds while it makes a decision, and the repositories inside it.

A handler opens a unit of work, reads what it needs through the repositories, decides, writes
through the same repositories, and the unit commits as one transaction when the ``async with``
block ends (it rolls back if the block raises). Storage executes and answers; the decision
(open a case or join one, count a recovery or not) is the handler's.

Two writers deciding at the same moment can both be right on their own reading and wrong
together (two open cases for one customer); the store refuses the second at write time with
:class:`storage.errors.ConcurrentWrite`, and the handler decides again on a fresh unit.

Implementations: :mod:`storage.unit_of_work` (SQLite and PostgreSQL) and
:mod:`storage.memory` (in memory, for rule tests that run in milliseconds).
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Protocol, Self

from storage.intake.purchases import DeliveryUpdate, NewPurchase
from storage.models import Case, Event
from storage.records import AnswerFacts, DeskPost, NewCustomer, OptInLink

__all__ = [
    "AnswerFacts",
    "AnswerFactsReader",
    "AuditLog",
    "CaseRepository",
    "CustomerRepository",
    "DeskPost",
    "DeskPosts",
    "PurchaseRepository",
    "UnitOfWork",
    "UnitOfWorkFactory",
]


class CaseRepository(Protocol):
    """Support cases, as stored: reads and writes, no decisions."""

    async def get(self, case_id: int) -> Case | None:
        """One case by id."""
        ...

    async def open_case_of(self, customer_id: int) -> Case | None:
        """The customer's open case (open, claimed or waiting on them), if any."""
        ...

    async def opened_by(self, answer_id: int) -> int | None:
        """The id of the case this answer opened, if it opened one."""
        ...

    async def joined_by(self, customer_id: int, answer_id: int) -> int | None:
        """The id of the case this answer was added to, if it was added to one."""
        ...

    async def add(self, case: Case) -> int:
        """Store a new case and return its id.

        Raises ConcurrentWrite when the answer already opened a case or the customer already
        has an open one (a writer that decided at the same moment).
        """
        ...

    async def save(self, case: Case) -> None:
        """Store the changes made to a case read through this unit."""
        ...


class AnswerFactsReader(Protocol):
    """Stored answers, seen from the desk's decisions."""

    async def facts(self, answer_id: int) -> AnswerFacts | None:
        """Who gave the answer, in which check-in, in which segment; None if it is gone."""
        ...


class AuditLog(Protocol):
    """The audit trail: who did what, when."""

    async def record(self, event: Event) -> None:
        """Add one event."""
        ...


class DeskPosts(Protocol):
    """The desk's outbox: posts delivered to Slack after the unit commits, in order, retried."""

    async def queue(self, post: DeskPost) -> None:
        """Queue a post; it is delivered only if the unit commits."""
        ...


class CustomerRepository(Protocol):
    """Customers' personal data, as stored."""

    async def erase(self, customer_id: int, now: datetime) -> None:
        """Erase what identifies the customer everywhere it is kept: name and contact details,
        their words, their chat, their pending check-ins and asks, their quotable words and
        referral links, the words of messages already delivered. Scores stay, anonymised."""
        ...


class PurchaseRepository(Protocol):
    """Purchases, their customers, opt-in links and planned check-ins: batch reads and writes."""

    async def apply_delivery(self, upd: DeliveryUpdate) -> None:
        """Store a delivery date learnt later and move the still-scheduled check-ins."""
        ...

    async def customers_by_email(self, emails: list[str]) -> dict[str, int]:
        """The ids of the customers with these (normalised) e-mail addresses."""
        ...

    async def customers_by_phone(self, phones: list[str]) -> dict[str, int]:
        """The ids of the customers with these phone numbers."""
        ...

    async def add_customers(self, customers: list[NewCustomer], now: datetime) -> list[int]:
        """Create the customers (pending opt-in); their ids, in order."""
        ...

    async def telegram_links(self, customer_ids: list[int]) -> list[OptInLink]:
        """The customers' Telegram link rows."""
        ...

    async def renew_token(self, link_id: int, token: str, expires_at: datetime) -> None:
        """Give an unlinked customer's link a fresh, unused token."""
        ...

    async def add_links(self, tokens: dict[int, str], expires_at: datetime) -> None:
        """Create Telegram link rows with these tokens, one per customer."""
        ...

    async def add_purchases(
        self, new: list[NewPurchase], customer_ids: list[int], now: datetime
    ) -> list[int]:
        """Create the purchases and their planned check-ins; their ids, in order.

        Raises ConcurrentWrite when an order id was stored by another writer meanwhile.
        """
        ...


class UnitOfWork(Protocol):
    """One transaction over the repositories; commits when the ``async with`` block ends."""

    cases: CaseRepository
    customers: CustomerRepository
    purchases: PurchaseRepository
    answers: AnswerFactsReader
    audit: AuditLog
    desk_posts: DeskPosts

    async def __aenter__(self) -> Self:
        """Begin the transaction."""
        ...

    async def __aexit__(self, *exc_info: object) -> None:
        """Commit, or roll back when the block raised."""
        ...


UnitOfWorkFactory = Callable[[], UnitOfWork]
"""Begins a fresh unit of work; what a handler is given instead of a store."""
