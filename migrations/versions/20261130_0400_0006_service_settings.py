"""service settings

The governance settings (agreement grace days, re-confirmation days, review due days) in
one seeded row.

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-30 04:00:00
"""

from collections.abc import Sequence
from datetime import UTC, datetime

import sqlalchemy as sa
from alembic import op

revision: str = "0006"
down_revision: str | None = "0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    table = op.create_table(
        "service_settings",
        sa.Column("scope", sa.String(length=16), nullable=False),
        sa.Column("agreement_grace_days", sa.Integer(), nullable=False),
        sa.Column("reconfirm_days", sa.Integer(), nullable=False),
        sa.Column("review_due_days", sa.Integer(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint("scope = 'service'", name=op.f("ck_service_settings_one_row")),
        sa.CheckConstraint(
            "agreement_grace_days BETWEEN 0 AND 3650", name=op.f("ck_service_settings_grace_range")
        ),
        sa.CheckConstraint(
            "reconfirm_days BETWEEN 1 AND 3650", name=op.f("ck_service_settings_reconfirm_range")
        ),
        sa.CheckConstraint(
            "review_due_days BETWEEN 1 AND 3650",
            name=op.f("ck_service_settings_review_due_range"),
        ),
        sa.PrimaryKeyConstraint("scope", name=op.f("pk_service_settings")),
    )
    now = datetime.now(UTC)
    op.bulk_insert(
        table,
        [
            {
                "scope": "service",
                "agreement_grace_days": 14,
                "reconfirm_days": 365,
                "review_due_days": 30,
                "version": 1,
                "created_at": now,
                "updated_at": now,
            }
        ],
    )


def downgrade() -> None:
    op.drop_table("service_settings")
