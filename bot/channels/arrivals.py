"""What a channel adapter hands over as updates arrive, before it confirms them to the channel."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass

from bot.channels.messages import IncomingUpdate


@dataclass(frozen=True)
class Arrival:
    """One update as it arrived: its id, its chat, the payload to store (the channel's own
    JSON), and (when the adapter has it already) its channel-neutral form, so handling it at
    once does not decode it again."""

    update_id: int
    chat_id: int
    payload: str
    incoming: IncomingUpdate | None = None


Receive = Callable[[list[Arrival]], Awaitable[None]]
"""Stores arrivals durably; returns only once they are stored, raises when they could not be."""
