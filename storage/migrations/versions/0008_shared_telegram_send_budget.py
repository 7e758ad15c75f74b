"""shared Telegram send budget: a log of the bot's send slots, each chat's next free moment

Every worker of one bot books its messages' slots here (PostgreSQL), so together they stay
within Telegram's 30 messages a second and one a second per chat. On PostgreSQL the booking is
one function call (``mentorbot_reserve_send``) that locks the bot's pace row (a 429 pause),
reads the database's clock and books the slot; SQLite gets the tables only (one process paces
itself there).

Revision ID: 0008
Revises: 0006
Create Date: 2026-12-04 18:30:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0008"
down_revision: str | None = "0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_RESERVE = """
CREATE OR REPLACE FUNCTION mentorbot_reserve_send(
    p_bot text, p_chat bigint, p_chat_interval float8, p_limit integer, p_window float8,
    p_gap float8, p_overall boolean, p_held boolean DEFAULT false
) RETURNS TABLE (delay float8, granted boolean, now float8) LANGUAGE plpgsql AS $$
DECLARE
    v_paused float8;
    v_last float8;
    v_nth float8;
    v_busy float8;
    v_now float8;
    v_slot float8;
BEGIN
    INSERT INTO telegram_send_pace (bot, next_at) VALUES (p_bot, 0) ON CONFLICT (bot) DO NOTHING;
    SELECT p.next_at INTO v_paused FROM telegram_send_pace p WHERE p.bot = p_bot FOR UPDATE;
    -- the clock is read once the lock is held: bookings are serialised on the database's clock
    v_now := extract(epoch FROM clock_timestamp());
    v_slot := v_now;
    IF p_overall THEN
        -- p_gap after the latest slot, and no earlier than p_window after the p_limit-th latest
        SELECT s.slot_at INTO v_last FROM telegram_send_slots s
         WHERE s.bot = p_bot ORDER BY s.slot_at DESC LIMIT 1;
        SELECT s.slot_at INTO v_nth FROM telegram_send_slots s
         WHERE s.bot = p_bot ORDER BY s.slot_at DESC OFFSET p_limit - 1 LIMIT 1;
        v_slot := GREATEST(v_now, v_paused, COALESCE(v_last + p_gap, 0),
                           COALESCE(v_nth + p_window, 0));
    END IF;
    IF p_chat IS NOT NULL THEN
        SELECT c.next_at INTO v_busy FROM telegram_send_chats c
         WHERE c.bot = p_bot AND c.chat_id = p_chat;
        IF v_busy IS NOT NULL AND v_busy > v_slot AND NOT p_held THEN
            RETURN QUERY SELECT v_busy - v_now, false, v_now;
            RETURN;
        END IF;
        INSERT INTO telegram_send_chats (bot, chat_id, next_at)
        VALUES (p_bot, p_chat, v_slot + p_chat_interval)
        ON CONFLICT (bot, chat_id) DO UPDATE SET next_at = EXCLUDED.next_at;
    END IF;
    IF p_overall THEN
        INSERT INTO telegram_send_slots (bot, slot_at) VALUES (p_bot, v_slot);
    END IF;
    RETURN QUERY SELECT v_slot - v_now, true, v_now;
END $$
"""
_PAUSE = """
CREATE OR REPLACE FUNCTION mentorbot_pause_sends(p_bot text, p_seconds float8)
RETURNS void LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO telegram_send_pace (bot, next_at) VALUES (p_bot, 0) ON CONFLICT (bot) DO NOTHING;
    UPDATE telegram_send_pace
       SET next_at = GREATEST(next_at, extract(epoch FROM clock_timestamp()) + p_seconds)
     WHERE bot = p_bot;
END $$
"""


def upgrade() -> None:
    """Apply this revision."""
    op.create_table(
        "telegram_send_pace",
        sa.Column("bot", sa.String(length=40), nullable=False),
        sa.Column("next_at", sa.Float(), nullable=False),
        sa.PrimaryKeyConstraint("bot"),
    )
    op.create_table(
        "telegram_send_slots",
        sa.Column("id", sa.BigInteger(), nullable=False),
        sa.Column("bot", sa.String(length=40), nullable=False),
        sa.Column("slot_at", sa.Float(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("telegram_send_slots", schema=None) as batch_op:
        batch_op.create_index("ix_telegram_send_slots_bot_slot", ["bot", "slot_at"], unique=False)
    op.create_table(
        "telegram_send_chats",
        sa.Column("bot", sa.String(length=40), nullable=False),
        sa.Column("chat_id", sa.BigInteger(), nullable=False),
        sa.Column("next_at", sa.Float(), nullable=False),
        sa.PrimaryKeyConstraint("bot", "chat_id"),
    )
    if op.get_bind().dialect.name == "postgresql":
        op.execute(_RESERVE)
        op.execute(_PAUSE)


def downgrade() -> None:
    """Revert this revision."""
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP FUNCTION IF EXISTS mentorbot_pause_sends(text, float8)")
        op.execute(
            "DROP FUNCTION IF EXISTS mentorbot_reserve_send"
            "(text, bigint, float8, integer, float8, float8, boolean, boolean)"
        )
    op.drop_table("telegram_send_chats")
    op.drop_table("telegram_send_slots")
    op.drop_table("telegram_send_pace")
