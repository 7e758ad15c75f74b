"""What several in-memory ports do alike: audit events, desk posts, a customer's preferred chat,
check-in contexts and conversation-state upserts (the storage modules they mirror are named)."""

from __future__ import annotations

import copy
from datetime import UTC, datetime
from typing import Any

from storage.checkins.lifecycle import CheckInContext
from storage.desk.outbox import outbox_message
from storage.memory_tables import MemoryTables, clone
from storage.models import (
    Case,
    ChannelLink,
    CheckIn,
    ConversationState,
    Customer,
    Event,
    OutboxMessage,
    Purchase,
)

FAR_PAST = datetime.min.replace(tzinfo=UTC)


def add_event(tables: MemoryTables, kind: str, **fields: Any) -> Event:
    """Add a line to the audit log (``at`` defaults to now, ``data`` to {})."""
    fields.setdefault("data", {})
    return tables.insert(Event(kind=kind, **fields))


def case_event(
    tables: MemoryTables,
    kind: str,
    now: datetime,
    case: Case,
    actor: str | None,
    data: dict[str, Any] | None = None,
) -> Event:
    """An audit event about ``case`` (:func:`storage.desk.cases.case_event`)."""
    return add_event(
        tables,
        kind,
        at=now,
        actor=actor,
        customer_id=case.customer_id,
        case_id=case.id,
        data=data or {},
    )


def enqueue_post(
    tables: MemoryTables,
    kind: str,
    now: datetime,
    *,
    case_id: int | None = None,
    channel: str | None = None,
    text: str | None = None,
    payload: dict[str, Any] | None = None,
) -> OutboxMessage:
    """A post for the desk's outbox (:func:`storage.desk.outbox.enqueue_in`)."""
    message = outbox_message(
        kind, now, case_id=case_id, channel=channel, text=text, payload=payload
    )
    return tables.insert(message)


def preferred_link(tables: MemoryTables, customer_id: int) -> ChannelLink | None:
    """The link a customer is written to (:mod:`storage.customers.preferred`): linked and not
    unreachable; the one written in last, else the one linked last, else the newest row.

    A missing ``linked_at`` sorts last on both databases (real links always have it once they
    have a chat).
    """
    links = tables.rows(
        ChannelLink,
        lambda link: (
            link.customer_id == customer_id
            and link.chat_id is not None
            and link.unreachable_at is None
        ),
    )
    # Stable sorts, least significant key first; a missing time sorts last (the CASE in SQL).
    links.sort(key=lambda link: link.id or 0, reverse=True)
    links.sort(key=lambda link: link.linked_at or FAR_PAST, reverse=True)
    links.sort(key=lambda link: link.last_inbound_at or FAR_PAST, reverse=True)
    return links[0] if links else None


def preferred_chat(tables: MemoryTables, customer_id: int) -> int | None:
    """The chat id of :func:`preferred_link`, if any."""
    link = preferred_link(tables, customer_id)
    return link.chat_id if link else None


def checkin_contexts(tables: MemoryTables, checkin_ids: list[int]) -> dict[int, CheckInContext]:
    """The check-ins with their customer, preferred chat and product (copies); a check-in
    without its customer is left out, as the inner join leaves it out."""
    found: dict[int, CheckInContext] = {}
    for checkin_id in dict.fromkeys(checkin_ids):
        checkin = tables.get(CheckIn, checkin_id)
        customer = tables.get(Customer, checkin.customer_id) if checkin else None
        if checkin is None or customer is None:
            continue
        purchase = tables.get(Purchase, checkin.purchase_id) if checkin.purchase_id else None
        found[checkin_id] = CheckInContext(
            clone(checkin),
            clone(customer),
            preferred_chat(tables, customer.id or 0),
            purchase.product if purchase else None,
        )
    return found


def upsert_state(tables: MemoryTables, values: dict[str, Any]) -> None:
    """Insert a conversation state, or update it with ``version`` one above the stored one
    (:func:`storage.checkins.conversations.upsert_states`)."""
    values = {**values, "data": copy.deepcopy(values["data"])}  # stored as JSON: a copy
    key = (values["channel"], values["chat_id"], values["user_id"])
    stored = tables.get(ConversationState, key)
    if stored is None:
        tables.insert(ConversationState(**values))
        return
    for name in ("step", "checkin_id", "question_index", "data", "updated_at"):
        setattr(stored, name, values[name])
    stored.version += 1
