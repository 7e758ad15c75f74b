"""The repository: every query the handlers need, behind one object bound to a database."""

from __future__ import annotations

from storage.checkins.answers import AnswerQueries
from storage.checkins.chat_snapshots import ChatSnapshotQueries
from storage.checkins.conversations import ConversationQueries
from storage.checkins.lifecycle import CheckInQueries
from storage.customers.chat_links import ChatLinkQueries
from storage.customers.outbox import CustomerOutboxQueries
from storage.customers.profiles import CustomerQueries
from storage.db import Database
from storage.desk.case_view import CaseViewQueries
from storage.desk.cases import CaseQueries
from storage.desk.customer_history import CustomerHistoryQueries
from storage.desk.outbox import OutboxQueries
from storage.desk.resolution import CaseResolutionQueries
from storage.desk.targets import CaseTargetQueries
from storage.desk.vouchers import VoucherQueries
from storage.inbox import InboxQueries
from storage.intake import purchases
from storage.intake.purchases import ExistingPurchase


class Store(
    ChatSnapshotQueries,
    ChatLinkQueries,
    CheckInQueries,
    CustomerOutboxQueries,
    CustomerHistoryQueries,
    CustomerQueries,
    ConversationQueries,
    AnswerQueries,
    CaseQueries,
    CaseResolutionQueries,
    CaseTargetQueries,
    CaseViewQueries,
    OutboxQueries,
    VoucherQueries,
    InboxQueries,
):
    """Queries bound to one :class:`Database`; handlers use this, never raw sessions."""

    def __init__(self, db: Database) -> None:
        self.db = db

    async def find_purchases(self, order_ids: list[str]) -> dict[str, ExistingPurchase]:
        """The stored purchases among ``order_ids``."""
        return await purchases.find_purchases(self.db, order_ids)

    async def pending_tokens(self, customer_ids: list[int]) -> dict[int, str | None]:
        """Per customer, the unused opt-in token (None once linked)."""
        return await purchases.pending_tokens(self.db, customer_ids)
