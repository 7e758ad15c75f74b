"""Rows the contract scenarios seed: a fixed clock and small builders with sensible defaults."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from storage.models import (
    Answer,
    Case,
    CaseStatus,
    ChannelLink,
    CheckIn,
    Customer,
    OptInState,
    Purchase,
)

NOW = datetime(2026, 11, 23, 9, 0, tzinfo=UTC)
MINUTE = timedelta(minutes=1)


def customer(**fields: Any) -> Customer:
    """An opted-in customer created a year before NOW."""
    values: dict[str, Any] = {
        "name": "Kim",
        "opt_in_state": OptInState.OPTED_IN,
        "created_at": NOW - timedelta(days=365),
    }
    return Customer(**(values | fields))


def link(customer_id: int, token: str, chat_id: int | None = None, **fields: Any) -> ChannelLink:
    """A Telegram link (linked at NOW when it has a chat)."""
    values: dict[str, Any] = {
        "customer_id": customer_id,
        "channel": "telegram",
        "token": token,
        "token_expires_at": NOW + timedelta(days=30),
        "chat_id": chat_id,
        "user_id": chat_id,
        "linked_at": NOW if chat_id is not None else None,
    }
    return ChannelLink(**(values | fields))


def purchase(customer_id: int, order: str, **fields: Any) -> Purchase:
    """A purchase made a week before NOW."""
    values: dict[str, Any] = {
        "external_order_id": order,
        "customer_id": customer_id,
        "product": "Kettle",
        "purchased_at": NOW - timedelta(days=7),
        "journey": "standard",
        "created_at": NOW - timedelta(days=7),
    }
    return Purchase(**(values | fields))


def checkin(customer_id: int, **fields: Any) -> CheckIn:
    """A scheduled check-in due at NOW."""
    values: dict[str, Any] = {
        "customer_id": customer_id,
        "journey": "standard",
        "touchpoint": "usage",
        "due_at": NOW,
    }
    return CheckIn(**(values | fields))


def answer(customer_id: int, **fields: Any) -> Answer:
    """An unscored NPS answer stored at NOW."""
    values: dict[str, Any] = {
        "customer_id": customer_id,
        "question_id": "nps",
        "question_type": "nps",
        "score": 3,
        "text": "It broke",
        "language": "en",
        "created_at": NOW,
    }
    return Answer(**(values | fields))


def case(customer_id: int, **fields: Any) -> Case:
    """An open, unowned case opened at NOW."""
    values: dict[str, Any] = {
        "customer_id": customer_id,
        "status": CaseStatus.OPEN,
        "priority": "normal",
        "opened_at": NOW,
        "open_for_customer": customer_id,
    }
    return Case(**(values | fields))
