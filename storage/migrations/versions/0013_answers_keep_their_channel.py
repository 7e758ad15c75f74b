"""answers keep the channel they came in on (managers' figures per channel, exports)

Existing answers are Telegram's (the column's default: no row is rewritten, on SQLite or on
PostgreSQL 11+), but those whose update is still in the inbox as a WhatsApp one (WhatsApp came
in with 0012, so there are few).

Revision ID: 0013
Revises: 0012
Create Date: 2026-12-07 20:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0013"
down_revision: str | None = "0012"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    """Apply this revision."""
    with op.batch_alter_table("answers", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("channel", sa.String(length=20), nullable=True, server_default="telegram")
        )
    op.execute(
        "UPDATE answers SET channel = 'whatsapp' WHERE raw_update_id IN"
        " (SELECT update_id FROM inbox_updates WHERE channel = 'whatsapp')"
    )


def downgrade() -> None:
    """Revert this revision."""
    with op.batch_alter_table("answers", schema=None) as batch_op:
        batch_op.drop_column("channel")
