"""WhatsApp's limits for one bot, shared by every worker: the send budget (throughput and pair
rate, in the same slot book as Telegram's, under the number's own key) and the daily tier of
business-initiated conversations, counted in the database."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncEngine

from bot.channels.whatsapp_pacing import WhatsAppPacer, whatsapp_pacer
from bot.config import Config
from handlers.whatsapp.window import WINDOW
from storage.whatsapp.queries import WhatsAppStore


def shared_pacer(config: Config, engine: AsyncEngine) -> WhatsAppPacer:
    """The number's pacer, in the book ``telegram.rate_limit_backend`` names (the one send
    budget setting of the bot: Redis with ``telegram.redis_url``, else PostgreSQL, else this
    process alone)."""
    wa, tg = config.whatsapp, config.telegram
    return whatsapp_pacer(
        wa.phone_number_id or "", rate=wa.throughput, pair_interval=wa.pair_interval,
        backend=tg.rate_limit_backend, redis_url=tg.redis_url, engine=engine,
    )  # fmt: skip


class DatabaseTier:
    """The daily tier as the WhatsApp channel asks for it (``ConversationTier``): a template
    is counted in ``whatsapp_sent`` before it goes, if the rolling day has room."""

    def __init__(
        self, store: WhatsAppStore, number: str, tier: int, clock: Callable[[], datetime]
    ) -> None:
        self.store, self.number, self.tier, self.clock = store, number, tier, clock

    async def hold(self, chat_id: int, template: str) -> int | None:
        """Count one conversation now; None when ``tier`` were opened in the last 24 hours."""
        now = self.clock()
        return await self.store.hold_conversation(
            self.number, chat_id, template, now, now - WINDOW, self.tier
        )

    async def confirm(self, held: int, wamid: str) -> int:
        """The template went out as ``wamid``: the held row is now that message; its id."""
        return await self.store.confirm_hold(held, wamid)

    async def release(self, held: int) -> None:
        """The template did not go."""
        await self.store.release_hold(held)
