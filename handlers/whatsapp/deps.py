"""What WhatsApp's handlers are given besides the customer handlers' :class:`Deps`."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Protocol

from handlers.messages import SentMessage
from handlers.whatsapp.messages import TemplateMessage
from storage.whatsapp.queries import WhatsAppStore


class TemplateSender(Protocol):
    """Sends Meta-approved templates (the WhatsApp channel adapter implements it)."""

    async def send_template(self, template: TemplateMessage) -> SentMessage:
        """Send a template; raises handlers.messages errors like any send."""
        ...


@dataclass(frozen=True)
class WhatsAppRules:
    """WhatsApp's settings from config: templates per touchpoint, their languages, limits."""

    templates: Mapping[str, str]
    """Touchpoint name -> the approved template that opens its check-in; ``case_update`` and
    ``advocacy`` -> the templates that announce a message waiting for the window."""
    languages: Mapping[str, str] = field(default_factory=lambda: {"en": "en", "nl": "nl"})
    """Customer language -> the template language code approved at Meta."""
    daily_tier: int = 1000
    default_channel: str = "telegram"


@dataclass
class WhatsAppDeps:
    """WhatsApp's ports and rules."""

    store: WhatsAppStore
    templates: TemplateSender
    rules: WhatsAppRules
    clock: Callable[[], datetime]
    waiting: dict[str, int] = field(default_factory=dict)
    """What waits and why (daily tier, ...), counted for reports."""
    asks_due: Callable[[int], Awaitable[None]] | None = None
    """Makes a waiting advocacy ask due and sends it (set when advocacy runs)."""
