"""answers keep the file they came with (a photo's channel reference), so that a case the
answer opens or joins gets the file in its thread

Nullable, no default: existing answers came without one. No row is rewritten.

Revision ID: 0014
Revises: 0013
Create Date: 2026-12-08 03:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0014"
down_revision: str | None = "0013"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    """Apply this revision."""
    with op.batch_alter_table("answers", schema=None) as batch_op:
        batch_op.add_column(sa.Column("attachment", sa.JSON(), nullable=True))


def downgrade() -> None:
    """Revert this revision."""
    with op.batch_alter_table("answers", schema=None) as batch_op:
        batch_op.drop_column("attachment")
