"""Tables of the shared send budget: the bot's next send slot, and each chat's next free moment.

Only PostgreSQL uses them (through the ``mentorbot_reserve_send`` function of migration 0008,
see :mod:`bot.channels.send_slots`); on SQLite one process paces its sends in memory. Times are
the database's clock, in seconds since the epoch.
"""

from __future__ import annotations

from sqlalchemy import BigInteger, Float
from sqlmodel import Field, SQLModel


class SendPace(SQLModel, table=True):
    """When the bot's next message may go out."""

    __tablename__ = "telegram_send_pace"
    bot: str = Field(primary_key=True, max_length=40)
    next_at: float = Field(default=0.0, sa_type=Float)  # type: ignore[call-overload]


class SendPaceChat(SQLModel, table=True):
    """When one chat may get its next message."""

    __tablename__ = "telegram_send_chats"
    bot: str = Field(primary_key=True, max_length=40)
    chat_id: int = Field(primary_key=True, sa_type=BigInteger)  # type: ignore[call-overload]
    next_at: float = Field(default=0.0, sa_type=Float)  # type: ignore[call-overload]
