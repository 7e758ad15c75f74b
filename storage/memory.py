"""The unit of work in memory: the same ports as :mod:`storage.unit_of_work`, no database.

For rule tests that run in milliseconds. It keeps the promises the databases keep and that
the decisions rely on: nothing is visible to another unit before commit, a block that raises
leaves nothing behind, and the unique rules (one case per answer, one open case per customer)
are checked when a case is added and again at commit, so two units that decided at the same
moment end with one of them refused (:class:`~storage.errors.ConcurrentWrite`).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Self

from storage.errors import ConcurrentWrite
from storage.intake.purchases import DeliveryUpdate, NewPurchase
from storage.models import Case, Event
from storage.records import AnswerFacts, DeskPost, NewCustomer, OptInLink


def _copy(case: Case) -> Case:
    return Case(**case.model_dump())


@dataclass
class MemoryPurchase:
    """A stored purchase: its ids, delivery date and its check-ins' due times by touchpoint."""

    purchase_id: int
    customer_id: int
    delivered_at: datetime | None
    due: dict[str, datetime]


@dataclass
class MemoryData:
    """What is committed: the tables a unit of work reads and writes."""

    cases: dict[int, Case] = field(default_factory=dict)
    events: list[Event] = field(default_factory=list)
    answers: dict[int, AnswerFacts] = field(default_factory=dict)
    desk_posts: list[DeskPost] = field(default_factory=list)
    erased: dict[int, datetime] = field(default_factory=dict)
    """Customers whose personal data was erased, and when."""
    customers: dict[int, NewCustomer] = field(default_factory=dict)
    links: dict[int, OptInLink] = field(default_factory=dict)
    purchases: dict[str, MemoryPurchase] = field(default_factory=dict)
    """By order id."""
    next_case_id: int = 1
    next_id: int = 1
    """Ids of customers, links and purchases, drawn like a sequence's."""

    def draw_id(self) -> int:
        """A fresh id, never given back."""
        self.next_id += 1
        return self.next_id - 1

    def add_answer(self, facts: AnswerFacts) -> None:
        """Seed a stored answer (answers are written by the check-in flow, not by these ports)."""
        self.answers[facts.answer_id] = facts

    def refusal(self, case: Case, others: dict[int, Case]) -> str | None:
        """Why the unique rules refuse ``case`` beside ``others``; None when they do not."""
        for other in others.values():
            if other.id == case.id:
                continue
            if case.answer_id is not None and other.answer_id == case.answer_id:
                return f"answer {case.answer_id} already opened case {other.id}"
            if case.open_for_customer is not None and (
                other.open_for_customer == case.open_for_customer
            ):
                return f"customer {case.open_for_customer} already has open case {other.id}"
        return None


class MemoryCases:
    """:class:`handlers.unit_of_work.CaseRepository` over a unit's working copy."""

    def __init__(self, unit: MemoryUnitOfWork) -> None:
        self._unit = unit

    async def get(self, case_id: int) -> Case | None:
        """One case by id (a copy: changes count once saved)."""
        case = self._unit.working.get(case_id)
        return _copy(case) if case else None

    async def open_case_of(self, customer_id: int) -> Case | None:
        """The customer's open case, if any."""
        for case in self._unit.working.values():
            if case.open_for_customer == customer_id:
                return _copy(case)
        return None

    async def opened_by(self, answer_id: int) -> int | None:
        """The id of the case this answer opened."""
        for case in self._unit.working.values():
            if case.answer_id == answer_id:
                return case.id
        return None

    async def joined_by(self, customer_id: int, answer_id: int) -> int | None:
        """The id of the case this answer was added to."""
        for event in self._unit.events_seen():
            if (
                event.kind == "case.answer_added"
                and event.customer_id == customer_id
                and event.actor == f"answer:{answer_id}"
            ):
                return event.case_id
        return None

    async def add(self, case: Case) -> int:
        """Give the case an id and keep it; ConcurrentWrite when the unique rules refuse it."""
        why = self._unit.data.refusal(case, self._unit.working)
        if why:
            raise ConcurrentWrite(why)
        # Ids are drawn at once and never given back, like a database sequence's.
        case.id = self._unit.data.next_case_id
        self._unit.data.next_case_id += 1
        self._unit.added.append(case.id)
        self._unit.working[case.id] = _copy(case)
        return case.id

    async def save(self, case: Case) -> None:
        """Keep the changes made to ``case``."""
        if case.id is None or case.id not in self._unit.working:
            raise KeyError(f"case {case.id} was not read through this unit")
        why = self._unit.data.refusal(case, self._unit.working)
        if why:
            raise ConcurrentWrite(why)
        self._unit.working[case.id] = _copy(case)
        self._unit.saved.add(case.id)


class MemoryCustomers:
    """:class:`handlers.unit_of_work.CustomerRepository`: erasures kept until commit."""

    def __init__(self, unit: MemoryUnitOfWork) -> None:
        self._unit = unit

    async def erase(self, customer_id: int, now: datetime) -> None:
        """Note the erasure in the unit."""
        self._unit.erasures[customer_id] = now


class MemoryPurchases:
    """:class:`handlers.unit_of_work.PurchaseRepository` over a unit's working copy."""

    def __init__(self, unit: MemoryUnitOfWork) -> None:
        self._unit = unit

    async def apply_delivery(self, upd: DeliveryUpdate) -> None:
        """Note the delivery date and move the scheduled check-ins."""
        for purchase in self._unit.orders.values():
            if purchase.purchase_id == upd.purchase_id:
                purchase.delivered_at = upd.delivered_at
                purchase.due.update(upd.new_due)

    async def customers_by_email(self, emails: list[str]) -> dict[str, int]:
        """Customers with these e-mail addresses."""
        found = self._unit.customers_seen.items()
        return {c.email: i for i, c in found if c.email is not None and c.email in emails}

    async def customers_by_phone(self, phones: list[str]) -> dict[str, int]:
        """Customers with these phone numbers."""
        found = self._unit.customers_seen.items()
        return {c.phone: i for i, c in found if c.phone is not None and c.phone in phones}

    async def add_customers(self, customers: list[NewCustomer], now: datetime) -> list[int]:
        """Create the customers; their ids in order."""
        ids = [self._unit.data.draw_id() for _ in customers]
        self._unit.customers_seen.update(zip(ids, customers, strict=True))
        return ids

    async def telegram_links(self, customer_ids: list[int]) -> list[OptInLink]:
        """The customers' links."""
        return [link for link in self._unit.links.values() if link.customer_id in customer_ids]

    async def renew_token(self, link_id: int, token: str, expires_at: datetime) -> None:
        """A fresh, unused token on the link."""
        old = self._unit.links[link_id]
        self._unit.links[link_id] = OptInLink(
            link_id, old.customer_id, token, old.linked, expires_at, None
        )

    async def add_links(self, tokens: dict[int, str], expires_at: datetime) -> None:
        """One link per customer."""
        for cid, token in tokens.items():
            link_id = self._unit.data.draw_id()
            self._unit.links[link_id] = OptInLink(link_id, cid, token, False, expires_at, None)

    async def add_purchases(
        self, new: list[NewPurchase], customer_ids: list[int], now: datetime
    ) -> list[int]:
        """The purchases, refused when an order id is already stored."""
        ids = []
        for p, cid in zip(new, customer_ids, strict=True):
            if p.external_order_id in self._unit.orders:
                raise ConcurrentWrite(f"order {p.external_order_id} is already stored")
            due = {c.touchpoint: c.due_at for c in p.checkins}
            ids.append(self._unit.data.draw_id())
            self._unit.orders[p.external_order_id] = MemoryPurchase(
                ids[-1], cid, p.delivered_at, due
            )
        return ids


class MemoryAnswers:
    """:class:`handlers.unit_of_work.AnswerFactsReader` over the committed answers."""

    def __init__(self, data: MemoryData) -> None:
        self._data = data

    async def facts(self, answer_id: int) -> AnswerFacts | None:
        """The seeded answer's facts, or None."""
        return self._data.answers.get(answer_id)


class MemoryAudit:
    """:class:`handlers.unit_of_work.AuditLog`: events kept until commit."""

    def __init__(self, unit: MemoryUnitOfWork) -> None:
        self._unit = unit

    async def record(self, event: Event) -> None:
        """Add one event to the unit."""
        self._unit.events.append(event)


class MemoryDeskPosts:
    """:class:`handlers.unit_of_work.DeskPosts`: posts kept until commit."""

    def __init__(self, unit: MemoryUnitOfWork) -> None:
        self._unit = unit

    async def queue(self, post: DeskPost) -> None:
        """Queue the post in the unit."""
        self._unit.posts.append(post)


class MemoryUnitOfWork:
    """One unit over :class:`MemoryData`: a working copy, applied at commit."""

    def __init__(self, data: MemoryData) -> None:
        self.data = data
        self.working: dict[int, Case] = {}
        self.added: list[int] = []
        self.saved: set[int] = set()
        self.events: list[Event] = []
        self.posts: list[DeskPost] = []
        self.erasures: dict[int, datetime] = {}
        self.customers_seen: dict[int, NewCustomer] = {}
        self.links: dict[int, OptInLink] = {}
        self.orders: dict[str, MemoryPurchase] = {}
        self.seen_orders: set[str] = set()

    def events_seen(self) -> list[Event]:
        """The committed events and this unit's own."""
        return [*self.data.events, *self.events]

    async def __aenter__(self) -> Self:
        """Take a working copy of what is committed and attach the repositories."""
        self.working = {i: _copy(c) for i, c in self.data.cases.items()}
        self.customers_seen = dict(self.data.customers)
        self.links = dict(self.data.links)
        self.orders = {
            order: MemoryPurchase(p.purchase_id, p.customer_id, p.delivered_at, dict(p.due))
            for order, p in self.data.purchases.items()
        }
        self.seen_orders = set(self.orders)
        self.cases = MemoryCases(self)
        self.customers = MemoryCustomers(self)
        self.purchases = MemoryPurchases(self)
        self.answers = MemoryAnswers(self.data)
        self.audit = MemoryAudit(self)
        self.desk_posts = MemoryDeskPosts(self)
        return self

    async def __aexit__(self, exc_type: object, *rest: object) -> None:
        """Apply the unit's changes when the block succeeded, checking the unique rules again."""
        if exc_type is not None:
            return
        raced = [o for o in self.orders if o in self.data.purchases and o not in self.seen_orders]
        if raced:
            raise ConcurrentWrite(f"orders {raced} were stored by another unit")
        changed = {i: self.working[i] for i in [*self.added, *sorted(self.saved)]}
        committed = dict(self.data.cases)
        for case in changed.values():
            committed.pop(case.id or 0, None)
        for case in changed.values():
            why = self.data.refusal(case, committed)
            if why:
                raise ConcurrentWrite(why)
            committed[case.id or 0] = case
        self.data.cases = committed
        self.data.events.extend(self.events)
        self.data.desk_posts.extend(self.posts)
        self.data.erased.update(self.erasures)
        self.data.customers.update(self.customers_seen)
        self.data.links.update(self.links)
        self.data.purchases.update(self.orders)
