"""Tables of the shared send budget: the 429 pause, the log of the bot's send slots, and each
chat's next free moment.

Only PostgreSQL uses them (through the ``mentorbot_reserve_send`` function of migration 0008,
see :mod:`bot.channels.send_slots`); on SQLite one process paces its sends in memory. Times are
the database's clock, in seconds since the epoch.
"""

from __future__ import annotations

from sqlalchemy import BigInteger, Float, Index
from sqlmodel import Field, SQLModel


class SendPace(SQLModel, table=True):
    """The bot's booking lock; ``next_at``: no message before it (a 429's ``retry_after``)."""

    __tablename__ = "telegram_send_pace"
    bot: str = Field(primary_key=True, max_length=40)
    next_at: float = Field(default=0.0, sa_type=Float)  # type: ignore[call-overload]


class SendSlot(SQLModel, table=True):
    """A message slot booked for the bot (kept a minute: only the latest 30 matter)."""

    __tablename__ = "telegram_send_slots"
    __table_args__ = (Index("ix_telegram_send_slots_bot_slot", "bot", "slot_at"),)
    id: int | None = Field(default=None, primary_key=True, sa_type=BigInteger)  # type: ignore[call-overload]
    bot: str = Field(max_length=40)
    slot_at: float = Field(sa_type=Float)  # type: ignore[call-overload]


class SendPaceChat(SQLModel, table=True):
    """When one chat may get its next message."""

    __tablename__ = "telegram_send_chats"
    bot: str = Field(primary_key=True, max_length=40)
    chat_id: int = Field(primary_key=True, sa_type=BigInteger)  # type: ignore[call-overload]
    next_at: float = Field(default=0.0, sa_type=Float)  # type: ignore[call-overload]
