"""answers remember the chat message their words came in

A customer who edits a message that held an answer's words revises that answer; the answer is
found by the customer and the message id.

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-04 19:30:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0010"
down_revision: str | None = "0009"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    """Apply this revision."""
    with op.batch_alter_table("answers", schema=None) as batch_op:
        batch_op.add_column(sa.Column("source_message_id", sa.BigInteger(), nullable=True))
        batch_op.create_index(
            "ix_answers_source_message", ["customer_id", "source_message_id"], unique=False
        )


def downgrade() -> None:
    """Revert this revision."""
    with op.batch_alter_table("answers", schema=None) as batch_op:
        batch_op.drop_index("ix_answers_source_message")
        batch_op.drop_column("source_message_id")
