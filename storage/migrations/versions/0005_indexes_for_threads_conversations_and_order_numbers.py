"""indexes for case threads, check-in conversations and typed order numbers

A staff reply in Slack finds its case by the thread (channel, ts); expiry, /stop, /forget and
a blocked bot drop the conversations of a check-in; a customer linking their chat by order
number is looked up by upper(order id). All three read whole tables without these.

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-23 06:40:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0005"
down_revision: str | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    """Apply this revision."""
    with op.batch_alter_table("cases", schema=None) as batch_op:
        batch_op.create_index("ix_cases_slack_thread", ["slack_channel", "slack_ts"], unique=False)

    with op.batch_alter_table("conversation_states", schema=None) as batch_op:
        batch_op.create_index("ix_conversation_states_checkin_id", ["checkin_id"], unique=False)

    op.create_index("ix_purchases_order_upper", "purchases", [sa.text("upper(external_order_id)")])


def downgrade() -> None:
    """Revert this revision."""
    op.drop_index("ix_purchases_order_upper", table_name="purchases")

    with op.batch_alter_table("conversation_states", schema=None) as batch_op:
        batch_op.drop_index("ix_conversation_states_checkin_id")

    with op.batch_alter_table("cases", schema=None) as batch_op:
        batch_op.drop_index("ix_cases_slack_thread")
