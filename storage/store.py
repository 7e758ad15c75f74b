"""The repository: every query the handlers need, behind one object bound to a database."""

from __future__ import annotations

from storage import purchases
from storage.answers import AnswerQueries
from storage.case_resolution import CaseResolutionQueries
from storage.case_targets import CaseTargetQueries
from storage.case_view import CaseViewQueries
from storage.cases import CaseQueries
from storage.chat_links import ChatLinkQueries
from storage.chat_snapshots import ChatSnapshotQueries
from storage.checkins import CheckInQueries
from storage.conversations import ConversationQueries
from storage.customer_history import CustomerHistoryQueries
from storage.customer_outbox import CustomerOutboxQueries
from storage.customers import CustomerQueries
from storage.db import Database
from storage.inbox import InboxQueries
from storage.outbox import OutboxQueries
from storage.purchases import ExistingPurchase
from storage.vouchers import VoucherQueries


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
