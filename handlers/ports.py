"""The ports the handlers work through; storage and channel adapters implement them."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Protocol

from storage.purchases import DeliveryUpdate, ExistingPurchase, NewPurchase, SavedPurchase


class PurchaseStore(Protocol):
    """What purchase intake needs from storage."""

    async def find_purchases(self, order_ids: list[str]) -> dict[str, ExistingPurchase]:
        """The stored purchases among ``order_ids``."""
        ...

    async def pending_tokens(self, customer_ids: list[int]) -> dict[int, str | None]:
        """Per customer, the unused opt-in token (None once linked)."""
        ...

    async def save_purchases(
        self,
        new: list[NewPurchase],
        updates: list[DeliveryUpdate],
        make_token: Callable[[], str],
        token_expires_at: datetime,
    ) -> list[SavedPurchase]:
        """Write a batch of purchases atomically."""
        ...
