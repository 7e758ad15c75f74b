"""The Purchases port in memory (:mod:`storage.intake.purchases`' reads)."""

from __future__ import annotations

from storage.intake.purchases import ExistingPurchase
from storage.memory_tables import MemoryTables
from storage.models import ChannelLink, Purchase


class MemoryPurchases:
    """What purchase intake reads (it writes through a unit of work)."""

    def __init__(self, tables: MemoryTables) -> None:
        self.tables = tables

    async def find_purchases(self, order_ids: list[str]) -> dict[str, ExistingPurchase]:
        """The stored purchases among ``order_ids`` (the order id exactly, case and all)."""
        wanted = set(order_ids)
        return {
            p.external_order_id: ExistingPurchase(
                p.id or 0, p.customer_id, p.delivered_at, p.journey, p.purchased_at
            )
            for p in self.tables.rows(Purchase, lambda p: p.external_order_id in wanted)
        }

    async def pending_tokens(self, customer_ids: list[int]) -> dict[int, str | None]:
        """Per customer with a Telegram link: its unused token, None once a chat is linked."""
        wanted = set(customer_ids)
        links = self.tables.rows(
            ChannelLink, lambda link: link.customer_id in wanted and link.channel == "telegram"
        )
        return {
            link.customer_id: None if link.chat_id is not None else link.token for link in links
        }
