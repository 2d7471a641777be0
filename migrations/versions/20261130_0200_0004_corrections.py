"""corrections: measurements get a version and updated_at; waivers

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-30 01:10:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0004"
down_revision: str | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # Existing readings start at version 1, last changed when they were recorded.
    with op.batch_alter_table("measurement", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("version", sa.Integer(), nullable=False, server_default=sa.text("1"))
        )
        batch_op.add_column(sa.Column("updated_at", sa.DateTime(timezone=True), nullable=True))
    op.execute("UPDATE measurement SET updated_at = created_at")
    with op.batch_alter_table("measurement", schema=None) as batch_op:
        batch_op.alter_column(
            "updated_at", existing_type=sa.DateTime(timezone=True), nullable=False
        )
        batch_op.alter_column("version", existing_type=sa.Integer(), server_default=None)

    op.create_table(
        "waiver",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("key", sa.String(length=64), nullable=False),
        sa.Column("rule", sa.String(length=32), nullable=False),
        sa.Column("initiative", sa.String(length=64), nullable=True),
        sa.Column("component", sa.String(length=64), nullable=True),
        sa.Column("capability", sa.String(length=64), nullable=True),
        sa.Column("kpi", sa.String(length=64), nullable=True),
        sa.Column("rationale", sa.Text(), nullable=False),
        sa.Column("expires_on", sa.Date(), nullable=True),
        sa.Column("created_by", sa.String(length=64), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_waiver")),
        sa.UniqueConstraint("key", name=op.f("uq_waiver_key")),
    )
    with op.batch_alter_table("waiver", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_waiver_initiative"), ["initiative"], unique=False)
        batch_op.create_index(batch_op.f("ix_waiver_rule"), ["rule"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("waiver", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_waiver_rule"))
        batch_op.drop_index(batch_op.f("ix_waiver_initiative"))
    op.drop_table("waiver")
    with op.batch_alter_table("measurement", schema=None) as batch_op:
        batch_op.drop_column("updated_at")
        batch_op.drop_column("version")
