"""governance reviews

A review per missed joint KPI (`review`), with the roles asked to decide it
(`review_participant`). `open_kpi_id` is unique: one open review per KPI. The rule
GOVERNANCE_REVIEW_OVERDUE gets its setting row, as every rule has.

Revision ID: 0008
Revises: 0007
Create Date: 2026-11-30 05:10:00
"""

from collections.abc import Sequence
from datetime import UTC, datetime

import sqlalchemy as sa
from alembic import op

revision: str = "0008"
down_revision: str | None = "0007"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

RULE = "GOVERNANCE_REVIEW_OVERDUE"


def upgrade() -> None:
    op.create_table(
        "review",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("key", sa.String(length=64), nullable=False),
        sa.Column("kpi_id", sa.Integer(), nullable=False),
        sa.Column("open_kpi_id", sa.Integer(), nullable=True),
        sa.Column("opened_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("due_on", sa.Date(), nullable=False),
        sa.Column("state", sa.String(length=8), nullable=False),
        sa.Column("decision", sa.String(length=16), nullable=True),
        sa.Column("rationale", sa.Text(), nullable=True),
        sa.Column("what_changed", sa.Text(), nullable=True),
        sa.Column("decided_by", sa.String(length=64), nullable=True),
        sa.Column("decided_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint("state IN ('open', 'decided')", name=op.f("ck_review_state")),
        sa.CheckConstraint(
            "decision IS NULL OR decision IN "
            "('keep', 'change_owner', 'change_model', 'change_target')",
            name=op.f("ck_review_decision"),
        ),
        sa.CheckConstraint(
            "(state = 'open' AND open_kpi_id = kpi_id AND decision IS NULL)"
            " OR (state = 'decided' AND open_kpi_id IS NULL AND decision IS NOT NULL)",
            name=op.f("ck_review_open_or_decided"),
        ),
        sa.ForeignKeyConstraint(
            ["kpi_id"], ["kpi.id"], name=op.f("fk_review_kpi_id_kpi"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_review")),
        sa.UniqueConstraint("key", name=op.f("uq_review_key")),
        sa.UniqueConstraint("open_kpi_id", name=op.f("uq_review_open_kpi_id")),
    )
    op.create_index(op.f("ix_review_kpi_id"), "review", ["kpi_id"], unique=False)
    op.create_index(op.f("ix_review_due_on"), "review", ["due_on"], unique=False)
    op.create_table(
        "review_participant",
        sa.Column("review_id", sa.Integer(), nullable=False),
        sa.Column("role", sa.String(length=16), nullable=False),
        sa.ForeignKeyConstraint(
            ["review_id"],
            ["review.id"],
            name=op.f("fk_review_participant_review_id_review"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("review_id", "role", name=op.f("pk_review_participant")),
    )
    op.create_index(
        op.f("ix_review_participant_role"), "review_participant", ["role"], unique=False
    )

    rule_setting = sa.table(
        "rule_setting",
        sa.column("code", sa.String),
        sa.column("enabled", sa.Boolean),
        sa.column("severity", sa.String),
        sa.column("version", sa.Integer),
        sa.column("created_at", sa.DateTime(timezone=True)),
        sa.column("updated_at", sa.DateTime(timezone=True)),
    )
    now = datetime.now(UTC)
    op.bulk_insert(
        rule_setting,
        [
            {
                "code": RULE,
                "enabled": True,
                "severity": "high",
                "version": 1,
                "created_at": now,
                "updated_at": now,
            }
        ],
    )


def downgrade() -> None:
    op.execute(sa.text("DELETE FROM rule_setting WHERE code = :code").bindparams(code=RULE))
    op.drop_index(op.f("ix_review_participant_role"), table_name="review_participant")
    op.drop_table("review_participant")
    op.drop_index(op.f("ix_review_due_on"), table_name="review")
    op.drop_index(op.f("ix_review_kpi_id"), table_name="review")
    op.drop_table("review")
