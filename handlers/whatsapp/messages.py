"""WhatsApp's part of the handlers' vocabulary: a template to send, and choices that fit a list.

The channel adapter (bot/channels/whatsapp_adapter.py) imports this module and nothing else of
handlers/ besides :mod:`handlers.messages` and :mod:`handlers.chat_address`.
"""

from __future__ import annotations

from dataclasses import dataclass

from handlers.messages import Button

LIST_ROWS = 10  # Meta: an interactive list has at most 10 rows in all
REPLY_BUTTONS = 3  # Meta: a reply-button message has at most 3 buttons
STATUS = "wa_status"
"""``IncomingUpdate.extra`` key of a status callback (sent, delivered, read, failed), with
``wamid``, ``error_code`` and ``error_title`` beside it."""


@dataclass(frozen=True)
class TemplateMessage:
    """A pre-approved template to a WhatsApp chat: its name and language as approved by Meta,
    the body's parameters in order, and the payloads of its quick-reply buttons in order."""

    chat_id: int
    name: str
    language: str
    params: tuple[str, ...] = ()
    quick_replies: tuple[str, ...] = ()


def fit_choices(buttons: tuple[Button, ...], most: int = LIST_ROWS) -> tuple[Button, ...]:
    """At most ``most`` choices for one tap: the lowest two choices become one when there are
    more (NPS's 0 and 1: both detractors, so the score's category, the NPS figure and the
    follow-up are the same whichever the customer meant; the row keeps the lower value and
    any exact number can still be typed)."""
    choices = list(buttons)
    while len(choices) > most:
        low, nxt = choices[0], choices[1]
        choices[:2] = [Button(f"{low.label}-{nxt.label}", low.data)]
    return tuple(choices)
