"""voucher codes of goodwill gestures, and the resolve note that reached the customer

A gesture's voucher codes (from the configured pool, or generated) are handed out to one case
each: the unique case_id and code let the database refuse a second hand-out. A case keeps the
code it got, the note written to the customer and what became of it (sent, blocked, erased).

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-04 18:30:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision: str = "0006"
down_revision: str | None = "0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    """Apply this revision."""
    op.create_table(
        "voucher_codes",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("gesture", sqlmodel.sql.sqltypes.AutoString(length=75), nullable=False),
        sa.Column("code", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.Column("case_id", sa.Integer(), nullable=True),
        sa.Column("generated", sa.Boolean(), nullable=False),
        sa.Column("created_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.Column("handed_out_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True),
        sa.ForeignKeyConstraint(["case_id"], ["cases.id"]),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("case_id"),
        sa.UniqueConstraint("code"),
    )
    op.create_index("ix_voucher_codes_free", "voucher_codes", ["gesture", "case_id"])
    with op.batch_alter_table("cases", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("gesture_code", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=True)
        )
        batch_op.add_column(
            sa.Column("customer_note", sqlmodel.sql.sqltypes.AutoString(), nullable=True)
        )
        batch_op.add_column(
            sa.Column("note_delivery", sqlmodel.sql.sqltypes.AutoString(length=16), nullable=True)
        )


def downgrade() -> None:
    """Revert this revision."""
    with op.batch_alter_table("cases", schema=None) as batch_op:
        batch_op.drop_column("note_delivery")
        batch_op.drop_column("customer_note")
        batch_op.drop_column("gesture_code")
    op.drop_index("ix_voucher_codes_free", table_name="voucher_codes")
    op.drop_table("voucher_codes")
