"""The managers' insights as channels carry them: who asks, and what goes back.

Vocabulary, like :mod:`handlers.messages`: the Slack and Telegram adapters build a
:class:`Requester` and send an :class:`InsightReply` without importing the service's logic.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass


@dataclass(frozen=True)
class Requester:
    """Who asks: the channel, their user id there, and (Slack) a user-group membership check."""

    channel: str
    user_id: str
    member_of: Callable[[str], Awaitable[bool]] | None = None


@dataclass(frozen=True)
class InsightReply:
    """What goes back: text, and a PNG chart for the trend and the digest."""

    text: str
    chart_png: bytes | None = None
    chart_name: str = "nps-trend.png"
    refused: bool = False
    private: bool = False
    """Holds customers' words or names: for the asker alone unless asked among managers."""
