"""The unit of work in memory: the same ports as :mod:`storage.unit_of_work`, no database.

For rule tests that run in milliseconds. It works over :class:`~storage.memory_tables.MemoryTables`,
the rows the in-memory query ports (``tests/handlers/memory``) read and write too, and it
writes the rows the SQL unit writes (cases, events, desk outbox posts, customers, links,
purchases and check-ins), so what a unit commits is what the query ports read, and the other
way round. It keeps the promises the databases keep and that the decisions rely on
(:class:`~storage.memory_staged.StagedRows`): nothing is visible to another unit before commit,
a block that raises leaves nothing behind, and the tables' unique rules (one case per answer,
one open case per customer, one purchase per order id...) are checked when a row is written and
again at commit, so two units that decided at the same moment end with one of them refused
(:class:`~storage.errors.ConcurrentWrite`).
"""

from __future__ import annotations

from datetime import datetime
from typing import Self

from storage.desk.outbox import outbox_message
from storage.intake.purchases import DeliveryUpdate, NewPurchase
from storage.intake.writes import checkin_rows_of, customer_row, purchase_row
from storage.memory_erase import erase_rows
from storage.memory_staged import StagedRows
from storage.memory_tables import MemoryTables, clone
from storage.models import (
    Answer,
    Case,
    ChannelLink,
    CheckIn,
    CheckInStatus,
    Customer,
    Event,
    Purchase,
)
from storage.records import AnswerFacts, DeskPost, NewCustomer, OptInLink


class MemoryCases:
    """:class:`handlers.unit_of_work.CaseRepository` over a unit's rows."""

    def __init__(self, rows: StagedRows) -> None:
        self._rows = rows

    async def get(self, case_id: int) -> Case | None:
        """One case by id (a copy: changes count once saved)."""
        case = self._rows.get(Case, case_id)
        return clone(case) if case else None

    async def open_case_of(self, customer_id: int) -> Case | None:
        """The customer's open case, if any."""
        found = self._rows.rows(Case, lambda c: c.open_for_customer == customer_id)
        return clone(found[0]) if found else None

    async def opened_by(self, answer_id: int) -> int | None:
        """The id of the case this answer opened."""
        found = self._rows.rows(Case, lambda c: c.answer_id == answer_id)
        return found[0].id if found else None

    async def joined_by(self, customer_id: int, answer_id: int) -> int | None:
        """The id of the case this answer was added to."""
        found = self._rows.rows(
            Event,
            lambda e: (
                e.kind == "case.answer_added"
                and e.customer_id == customer_id
                and e.actor == f"answer:{answer_id}"
            ),
        )
        return found[0].case_id if found else None

    async def add(self, case: Case) -> int:
        """Give the case an id and keep it; ConcurrentWrite when the unique rules refuse it."""
        return self._rows.insert(case).id or 0

    async def save(self, case: Case) -> None:
        """Keep the changes made to ``case``; ConcurrentWrite when the unique rules refuse them."""
        self._rows.replace(case)


class MemoryCustomers:
    """:class:`handlers.unit_of_work.CustomerRepository` over a unit's rows."""

    def __init__(self, rows: StagedRows) -> None:
        self._rows = rows

    async def erase(self, customer_id: int, now: datetime) -> None:
        """Erase the customer's personal data in the unit."""
        erase_rows(self._rows, customer_id, now)


class MemoryPurchases:
    """:class:`handlers.unit_of_work.PurchaseRepository` over a unit's rows."""

    def __init__(self, rows: StagedRows) -> None:
        self._rows = rows

    async def apply_delivery(self, upd: DeliveryUpdate) -> None:
        """Note the delivery date and move the still-scheduled check-ins."""
        purchase = self._rows.edit(Purchase, upd.purchase_id)
        if purchase is not None:
            purchase.delivered_at = upd.delivered_at
        moved = self._rows.rows(
            CheckIn,
            lambda c: (
                c.purchase_id == upd.purchase_id
                and c.touchpoint in upd.new_due
                and c.status == CheckInStatus.SCHEDULED
            ),
        )
        for checkin in moved:
            mine = self._rows.edit(CheckIn, checkin.id)
            if mine is not None:
                mine.due_at = upd.new_due[mine.touchpoint]

    async def customers_by_email(self, emails: list[str]) -> dict[str, int]:
        """Customers with these e-mail addresses."""
        found = self._rows.rows(Customer, lambda c: c.email is not None and c.email in emails)
        return {c.email: c.id or 0 for c in found if c.email is not None}

    async def customers_by_phone(self, phones: list[str]) -> dict[str, int]:
        """Customers with these phone numbers."""
        found = self._rows.rows(Customer, lambda c: c.phone is not None and c.phone in phones)
        return {c.phone: c.id or 0 for c in found if c.phone is not None}

    async def add_customers(self, customers: list[NewCustomer], now: datetime) -> list[int]:
        """Create the customers (pending opt-in); their ids in order."""
        return [self._rows.insert(Customer(**customer_row(c, now))).id or 0 for c in customers]

    async def telegram_links(self, customer_ids: list[int]) -> list[OptInLink]:
        """The customers' Telegram links."""
        found = self._rows.rows(
            ChannelLink, lambda k: k.customer_id in customer_ids and k.channel == "telegram"
        )
        return [
            OptInLink(
                k.id or 0,
                k.customer_id,
                k.token,
                k.chat_id is not None,
                k.token_expires_at,
                k.token_used_at,
            )
            for k in found
        ]

    async def renew_token(self, link_id: int, token: str, expires_at: datetime) -> None:
        """A fresh, unused token on the link."""
        link = self._rows.edit(ChannelLink, link_id)
        if link is not None:
            link.token, link.token_expires_at, link.token_used_at = token, expires_at, None
            self._rows.checked(link)

    async def add_links(self, tokens: dict[int, str], expires_at: datetime) -> None:
        """One Telegram link per customer, with its opt-in token."""
        for cid, token in tokens.items():
            self._rows.insert(
                ChannelLink(
                    customer_id=cid, channel="telegram", token=token, token_expires_at=expires_at
                )
            )

    async def add_purchases(
        self, new: list[NewPurchase], customer_ids: list[int], now: datetime
    ) -> list[int]:
        """The purchases and their planned check-ins, refused when an order id is stored."""
        ids = [
            self._rows.insert(Purchase(**purchase_row(p, cid, now))).id or 0
            for p, cid in zip(new, customer_ids, strict=True)
        ]
        for p, cid, pid in zip(new, customer_ids, ids, strict=True):
            for row in checkin_rows_of(p, cid, pid, now):
                self._rows.insert(CheckIn(**row))
        return ids


class MemoryAnswers:
    """:class:`handlers.unit_of_work.AnswerFactsReader` over a unit's rows."""

    def __init__(self, rows: StagedRows) -> None:
        self._rows = rows

    async def facts(self, answer_id: int) -> AnswerFacts | None:
        """Who gave the answer, in which check-in and segment; None if it is not stored."""
        a = self._rows.get(Answer, answer_id)
        return AnswerFacts(answer_id, a.customer_id, a.checkin_id, a.segment) if a else None


class MemoryAudit:
    """:class:`handlers.unit_of_work.AuditLog` over a unit's rows."""

    def __init__(self, rows: StagedRows) -> None:
        self._rows = rows

    async def record(self, event: Event) -> None:
        """Add one event to the unit."""
        self._rows.insert(event)


class MemoryDeskPosts:
    """:class:`handlers.unit_of_work.DeskPosts`: rows of the desk's outbox, in the unit."""

    def __init__(self, rows: StagedRows) -> None:
        self._rows = rows

    async def queue(self, post: DeskPost) -> None:
        """Queue the post in the unit (as :func:`storage.desk.outbox.enqueue_in` does)."""
        self._rows.insert(
            outbox_message(
                post.kind,
                post.at,
                case_id=post.case_id,
                channel=post.channel,
                text=post.text,
                payload=dict(post.payload),
            )
        )


class MemoryUnitOfWork:
    """One unit over ``tables``: its changes staged, written at commit."""

    cases: MemoryCases
    customers: MemoryCustomers
    purchases: MemoryPurchases
    answers: MemoryAnswers
    audit: MemoryAudit
    desk_posts: MemoryDeskPosts

    def __init__(self, tables: MemoryTables) -> None:
        self.tables = tables
        self.rows = StagedRows(tables)

    async def __aenter__(self) -> Self:
        """Begin: a fresh set of staged changes, and the repositories on it."""
        self.rows = StagedRows(self.tables)
        self.cases = MemoryCases(self.rows)
        self.customers = MemoryCustomers(self.rows)
        self.purchases = MemoryPurchases(self.rows)
        self.answers = MemoryAnswers(self.rows)
        self.audit = MemoryAudit(self.rows)
        self.desk_posts = MemoryDeskPosts(self.rows)
        return self

    async def __aexit__(self, exc_type: object, *rest: object) -> None:
        """Commit when the block succeeded (the unique rules checked again), else drop all."""
        if exc_type is None:
            self.rows.commit()
