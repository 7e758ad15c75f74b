"""The repository: every query the handlers need, behind one object bound to a database."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta

from sqlalchemy.exc import IntegrityError

from storage import checkins, purchases
from storage.db import Database
from storage.models import CheckIn
from storage.purchases import DeliveryUpdate, ExistingPurchase, NewPurchase, SavedPurchase


class ConcurrentWrite(RuntimeError):
    """Another writer stored the same thing at the same moment; retry the whole operation."""


class Store:
    """Queries bound to one :class:`Database`; handlers use this, never raw sessions."""

    def __init__(self, db: Database) -> None:
        self.db = db

    async def find_purchases(self, order_ids: list[str]) -> dict[str, ExistingPurchase]:
        """The stored purchases among ``order_ids``."""
        return await purchases.find_purchases(self.db, order_ids)

    async def pending_tokens(self, customer_ids: list[int]) -> dict[int, str | None]:
        """Per customer, the unused opt-in token (None once linked)."""
        return await purchases.pending_tokens(self.db, customer_ids)

    async def save_purchases(
        self,
        new: list[NewPurchase],
        updates: list[DeliveryUpdate],
        make_token: Callable[[], str],
        token_expires_at: datetime,
    ) -> list[SavedPurchase]:
        """Write a batch of purchases atomically; ConcurrentWrite if an order id raced in."""
        try:
            return await purchases.save_purchases(
                self.db, new, updates, make_token, token_expires_at
            )
        except IntegrityError as exc:
            raise ConcurrentWrite(str(exc.orig)) from exc

    async def claim_due_checkins(
        self, worker: str, now: datetime, limit: int, lease: timedelta
    ) -> list[CheckIn]:
        """Claim due check-ins for one worker (safe with several workers)."""
        return await checkins.claim_due_checkins(self.db, worker, now, limit, lease)

    async def checkin_counts(self) -> dict[str, int]:
        """How many check-ins there are per status."""
        return await checkins.count_by_status(self.db)
