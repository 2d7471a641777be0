"""explicit agreement

Each RACI cell carries its agreement (proposed, agreed, disputed; who decided, when, why)
and when its letters were last set; API keys may act for roles (api_key_role).

Cells that exist already are proposed, their letters set when the cell was last updated.
The three agreement rules get their settings, as every rule has.

Revision ID: 0007
Revises: 0006
Create Date: 2026-11-30 05:00:00
"""

from collections.abc import Sequence
from datetime import UTC, datetime

import sqlalchemy as sa
from alembic import op

revision: str = "0007"
down_revision: str | None = "0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_RULES = [("DISPUTED_CELL", "high"), ("UNAGREED_CELL", "low"), ("STALE_AGREEMENT", "low")]


def upgrade() -> None:
    with op.batch_alter_table("raci_cell") as batch:
        batch.add_column(
            sa.Column("agreement", sa.String(length=8), nullable=False, server_default="proposed")
        )
        batch.add_column(sa.Column("agreement_by", sa.String(length=64), nullable=True))
        batch.add_column(sa.Column("agreement_at", sa.DateTime(timezone=True), nullable=True))
        batch.add_column(sa.Column("agreement_comment", sa.Text(), nullable=True))
        batch.add_column(sa.Column("letters_set_at", sa.DateTime(timezone=True), nullable=True))
        batch.create_check_constraint(
            "agreement_state", "agreement IN ('proposed', 'agreed', 'disputed')"
        )
    op.execute("UPDATE raci_cell SET letters_set_at = updated_at")
    with op.batch_alter_table("raci_cell") as batch:
        batch.alter_column("agreement", server_default=None)
        batch.alter_column(
            "letters_set_at", existing_type=sa.DateTime(timezone=True), nullable=False
        )
    op.create_index("ix_raci_cell_agreement", "raci_cell", ["agreement", "letters_set_at"])
    op.create_table(
        "api_key_role",
        sa.Column("api_key_id", sa.Integer(), nullable=False),
        sa.Column("role", sa.String(length=16), nullable=False),
        sa.ForeignKeyConstraint(
            ["api_key_id"],
            ["api_key.id"],
            name=op.f("fk_api_key_role_api_key_id_api_key"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["role"], ["role.code"], name=op.f("fk_api_key_role_role_role"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("api_key_id", "role", name=op.f("pk_api_key_role")),
    )
    op.create_index(op.f("ix_api_key_role_role"), "api_key_role", ["role"], unique=False)
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
                "code": code,
                "enabled": True,
                "severity": severity,
                "version": 1,
                "created_at": now,
                "updated_at": now,
            }
            for code, severity in _RULES
        ],
    )


def downgrade() -> None:
    rule_setting = sa.table("rule_setting", sa.column("code", sa.String))
    op.execute(sa.delete(rule_setting).where(rule_setting.c.code.in_([code for code, _ in _RULES])))
    op.drop_index(op.f("ix_api_key_role_role"), table_name="api_key_role")
    op.drop_table("api_key_role")
    op.drop_index("ix_raci_cell_agreement", table_name="raci_cell")
    with op.batch_alter_table("raci_cell") as batch:
        batch.drop_constraint("agreement_state", type_="check")
        batch.drop_column("letters_set_at")
        batch.drop_column("agreement_comment")
        batch.drop_column("agreement_at")
        batch.drop_column("agreement_by")
        batch.drop_column("agreement")
