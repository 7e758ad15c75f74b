"""The Purchases port: what purchase intake reads (it writes through a unit of work).

Storage implements it (:class:`storage.repositories.PurchaseRepository`).
"""

from __future__ import annotations

from typing import Protocol

from storage.intake.purchases import ExistingPurchase


class Purchases(Protocol):
    """What purchase intake reads from storage (it writes through a unit of work)."""

    async def find_purchases(self, order_ids: list[str]) -> dict[str, ExistingPurchase]:
        """The stored purchases among ``order_ids``."""
        ...

    async def pending_tokens(self, customer_ids: list[int]) -> dict[int, str | None]:
        """Per customer, the unused opt-in token (None once linked)."""
        ...
