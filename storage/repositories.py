"""The repositories, one per capability, on one database: what storage hands the composition root.

Each repository answers the queries of one capability and decides nothing (decisions are made
in handlers, inside a unit of work). The handlers see each one through its port in
``handlers/repositories/``; ``tests/storage/test_repository_ports.py`` checks that every port's
methods exist here with the same parameters.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from storage.checkins.answers import AnswerQueries
from storage.checkins.chat_snapshots import ChatSnapshotQueries
from storage.checkins.conversations import ConversationQueries
from storage.checkins.lifecycle import CheckInQueries
from storage.customers.chat_links import ChatLinkQueries
from storage.customers.outbox import CustomerOutboxQueries
from storage.customers.profiles import CustomerQueries
from storage.customers.retention import SweepPlan, customers_past_retention
from storage.db import Database
from storage.desk.case_view import CaseViewQueries
from storage.desk.cases import CaseQueries
from storage.desk.customer_history import CustomerHistoryQueries
from storage.desk.outbox import OutboxQueries
from storage.desk.resolution import CaseResolutionQueries
from storage.desk.targets import CaseTargetQueries
from storage.desk.vouchers import VoucherQueries
from storage.inbox import InboxQueries
from storage.intake import purchases as purchases_read
from storage.intake.purchases import ExistingPurchase
from storage.leases import LeaseQueries


class _OnDatabase:
    """A repository bound to one database."""

    def __init__(self, db: Database) -> None:
        self.db = db


class CheckInRepository(CheckInQueries, _OnDatabase):
    """Check-ins: claimed when due, sent, reminded, answered, expired, rescheduled."""


class AnswerRepository(AnswerQueries, _OnDatabase):
    """Answers: stored as they arrive, scored afterwards, revised when the customer edits."""


class ConversationRepository(ConversationQueries, ChatSnapshotQueries, _OnDatabase):
    """Each chat's conversation step, what handling an update reads first, processed updates."""


class CustomerRepository(CustomerQueries, ChatLinkQueries, CustomerHistoryQueries, _OnDatabase):
    """Customers, the chats they are linked in, and what the desk knows of their history."""

    async def past_retention(self, cutoff: datetime, limit: int, after: int) -> SweepPlan:
        """Up to ``limit`` customers (ids above ``after``) with no purchase or answer since
        ``cutoff``: the retention sweep's next batch."""
        return await customers_past_retention(self.db, cutoff, limit, after)


class CaseRepository(
    CaseQueries,
    CaseResolutionQueries,
    CaseTargetQueries,
    CaseViewQueries,
    VoucherQueries,
    _OnDatabase,
):
    """Support cases: claimed, noted, resolved with a gesture, reminded, and shown on cards."""


class DeskOutboxRepository(OutboxQueries, _OnDatabase):
    """The support desk's outbox: posts stored first, then delivered in order."""


class LeaseRepository(LeaseQueries, _OnDatabase):
    """Named leases: one worker at a time does a shared round."""


class MessageQueueRepository(CustomerOutboxQueries, _OnDatabase):
    """The customers' outbox: messages to a chat stored first, delivered in order per chat."""


class InboxRepository(InboxQueries, _OnDatabase):
    """The inbox of raw updates, stored before the channel is told they were received."""


class PurchaseRepository(_OnDatabase):
    """What purchase intake reads (it writes through a unit of work)."""

    async def find_purchases(self, order_ids: list[str]) -> dict[str, ExistingPurchase]:
        """The stored purchases among ``order_ids``."""
        return await purchases_read.find_purchases(self.db, order_ids)

    async def pending_tokens(self, customer_ids: list[int]) -> dict[int, str | None]:
        """Per customer, the unused opt-in token (None once linked)."""
        return await purchases_read.pending_tokens(self.db, customer_ids)


@dataclass(frozen=True)
class Repositories:
    """Every capability's repository on one database; the composition root hands each out."""

    db: Database
    checkins: CheckInRepository
    answers: AnswerRepository
    conversations: ConversationRepository
    customers: CustomerRepository
    cases: CaseRepository
    desk_outbox: DeskOutboxRepository
    leases: LeaseRepository
    message_queue: MessageQueueRepository
    inbox: InboxRepository
    purchases: PurchaseRepository

    @classmethod
    def on(cls, db: Database) -> Repositories:
        """The repositories bound to ``db``."""
        return cls(
            db=db,
            checkins=CheckInRepository(db),
            answers=AnswerRepository(db),
            conversations=ConversationRepository(db),
            customers=CustomerRepository(db),
            cases=CaseRepository(db),
            desk_outbox=DeskOutboxRepository(db),
            leases=LeaseRepository(db),
            message_queue=MessageQueueRepository(db),
            inbox=InboxRepository(db),
            purchases=PurchaseRepository(db),
        )
