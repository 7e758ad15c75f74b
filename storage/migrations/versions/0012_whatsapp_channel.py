"""whatsapp as a second customer channel: the window and reachability per chat, delivery ids
seen (at-least-once webhooks), messages sent with their statuses

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-07 19:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision: str = "0012"
down_revision: str | None = "0011"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    """Apply this revision."""
    with op.batch_alter_table("channel_links", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("last_inbound_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True)
        )
        batch_op.add_column(
            sa.Column("unreachable_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True)
        )
    op.create_table(
        "whatsapp_seen",
        sa.Column("key", sqlmodel.sql.sqltypes.AutoString(length=160), nullable=False),
        sa.Column("seen_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("key"),
    )
    op.create_index("ix_whatsapp_seen_seen_at", "whatsapp_seen", ["seen_at"])
    op.create_table(
        "whatsapp_sent",
        sa.Column("message_id", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column("wamid", sqlmodel.sql.sqltypes.AutoString(length=128), nullable=False),
        sa.Column("chat_id", sa.BigInteger(), nullable=False),
        sa.Column("checkin_id", sa.Integer(), nullable=True),
        sa.Column("template", sqlmodel.sql.sqltypes.AutoString(length=100), nullable=True),
        sa.Column("opens_conversation", sa.Boolean(), nullable=False),
        sa.Column("sent_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.Column("status", sqlmodel.sql.sqltypes.AutoString(length=12), nullable=False),
        sa.Column("status_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True),
        sa.Column("error_code", sa.Integer(), nullable=True),
        sa.Column("error_title", sqlmodel.sql.sqltypes.AutoString(length=200), nullable=True),
        sa.PrimaryKeyConstraint("message_id"),
        sa.UniqueConstraint("wamid"),
    )
    op.create_index("ix_whatsapp_sent_checkin_id", "whatsapp_sent", ["checkin_id"])
    op.create_index("ix_whatsapp_sent_opens", "whatsapp_sent", ["opens_conversation", "sent_at"])


def downgrade() -> None:
    """Revert this revision."""
    op.drop_index("ix_whatsapp_sent_opens", table_name="whatsapp_sent")
    op.drop_index("ix_whatsapp_sent_checkin_id", table_name="whatsapp_sent")
    op.drop_table("whatsapp_sent")
    op.drop_index("ix_whatsapp_seen_seen_at", table_name="whatsapp_seen")
    op.drop_table("whatsapp_seen")
    with op.batch_alter_table("channel_links", schema=None) as batch_op:
        batch_op.drop_column("unreachable_at")
        batch_op.drop_column("last_inbound_at")
