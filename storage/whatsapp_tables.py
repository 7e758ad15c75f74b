"""The tables only WhatsApp needs (the chats themselves are ``channel_links`` rows)."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import BigInteger, Column, Index
from sqlmodel import Field, SQLModel


def utcnow() -> datetime:
    """The current time, timezone-aware UTC (storage.models imports this module)."""
    return datetime.now(UTC)


class WhatsAppSeen(SQLModel, table=True):
    """A webhook item already stored (a message id, or a message id with a status): Meta
    delivers at least once, so a second delivery of the same item is dropped."""

    __tablename__ = "whatsapp_seen"
    key: str = Field(primary_key=True, max_length=160)
    seen_at: datetime = Field(default_factory=utcnow, index=True)


class WhatsAppSent(SQLModel, table=True):
    """A message sent to a WhatsApp chat, with the last status Meta reported for it.

    ``message_id`` is the number the house knows the message by (63 bits of a hash of the
    wamid); ``opens_conversation``: a template sent while the 24-hour window was closed, which
    counts against the account's daily tier of business-initiated conversations.
    """

    __tablename__ = "whatsapp_sent"
    __table_args__ = (Index("ix_whatsapp_sent_opens", "opens_conversation", "sent_at"),)
    message_id: int = Field(sa_column=Column(BigInteger, primary_key=True, autoincrement=False))
    wamid: str = Field(max_length=128, unique=True)
    chat_id: int = Field(sa_type=BigInteger)  # type: ignore[call-overload]
    checkin_id: int | None = Field(default=None, index=True)
    template: str | None = Field(default=None, max_length=100)
    opens_conversation: bool = False
    sent_at: datetime = Field(default_factory=utcnow)
    status: str = Field(default="accepted", max_length=12)
    status_at: datetime | None = None
    error_code: int | None = None
    error_title: str | None = Field(default=None, max_length=200)
