"""Plain values storage hands to handlers and takes from them (no session attached)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any


@dataclass(frozen=True)
class AnswerFacts:
    """What a case decision needs to know about a stored answer."""

    answer_id: int
    customer_id: int
    checkin_id: int | None
    segment: str | None


@dataclass(frozen=True)
class DeskPost:
    """A post to the support desk, queued in the same transaction as the change it announces.

    ``kind`` is one the desk's outbox delivers: ``case_card``, ``card_update``, ``thread``,
    ``case_answer``, ``thread_file``.
    """

    kind: str
    at: datetime
    case_id: int | None = None
    channel: str | None = None
    text: str | None = None
    payload: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class NewCustomer:
    """A customer to create from a purchase (the e-mail already normalised)."""

    name: str | None
    email: str | None
    phone: str | None
    postcode: str | None
    language: str
    timezone: str
    consent_checkins: bool


@dataclass(frozen=True)
class OptInLink:
    """A customer's Telegram link as stored: their opt-in token and whether a chat is linked."""

    link_id: int
    customer_id: int
    token: str | None
    linked: bool
    token_expires_at: datetime | None
    token_used_at: datetime | None
