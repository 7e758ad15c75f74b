"""Erasing a customer in memory, inside a unit of work: what
:func:`storage.customers.profiles.erase_customer` does in SQL, row by row, in the same order."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import TypeVar

from sqlmodel import SQLModel

from storage.customers.profiles import OPEN_CHECKIN
from storage.memory_staged import StagedRows
from storage.memory_tables import key_of
from storage.models import (
    AdvocacyAsk,
    Answer,
    Case,
    ChannelLink,
    CheckIn,
    CheckInStatus,
    ConversationState,
    Customer,
    CustomerMessage,
    Event,
    OptInState,
    OutboxMessage,
    OutboxStatus,
    Testimonial,
    TrackedLink,
)

M = TypeVar("M", bound=SQLModel)


def _update(rows: StagedRows, model: type[M], where: Callable[[M], bool], **values: object) -> None:
    """``UPDATE model SET values WHERE where`` on the unit's rows."""
    for row in rows.rows(model, where):
        mine = rows.edit(model, key_of(row))
        for name, value in values.items():
            setattr(mine, name, value)


def erase_rows(rows: StagedRows, customer_id: int, now: datetime) -> None:
    """Erase a customer's personal data in the unit; scores stay, anonymised, and their case
    is left to the handler's decision."""

    def theirs(row: SQLModel) -> bool:
        return getattr(row, "customer_id", None) == customer_id

    _update(
        rows,
        Customer,
        lambda c: c.id == customer_id,
        name=None,
        email=None,
        phone=None,
        postcode=None,
        opt_in_state=OptInState.FORGOTTEN,
        consent_checkins=False,
        consent_marketing=False,
        updated_at=now,
    )
    _update(rows, Answer, theirs, text=None, analysis=None, raw_update_id=None, attachment=None)
    _update(rows, ChannelLink, theirs, chat_id=None, user_id=None)
    _update(
        rows,
        CheckIn,
        lambda c: theirs(c) and c.status in OPEN_CHECKIN,
        status=CheckInStatus.CANCELLED,
        last_error="forgotten",
    )
    _update(rows, Case, theirs, resolution_note=None, customer_note=None)
    _update(rows, Event, theirs, data={})
    rows.delete(Testimonial, theirs)
    rows.delete(TrackedLink, theirs)
    _update(
        rows,
        AdvocacyAsk,
        lambda a: theirs(a) and a.status in ("scheduled", "sending"),
        status="cancelled",
    )
    _update(
        rows,
        CustomerMessage,
        lambda m: theirs(m) and m.status != OutboxStatus.PENDING,
        text="",
        buttons=[],
    )
    cases = {c.id for c in rows.rows(Case, theirs)}
    _update(
        rows,
        OutboxMessage,
        lambda m: m.case_id in cases and m.status != OutboxStatus.PENDING,
        text=None,
        payload={},
    )
    rows.insert(Event(kind="customer.forgotten", at=now, customer_id=customer_id, data={}))
    checkins = {c.id for c in rows.rows(CheckIn, theirs)}
    rows.delete(ConversationState, lambda s: s.checkin_id in checkins)
