"""governance models

Roles get a function (marketing, technology, data, digital, executive, other); the four
default roles get theirs, every other role is `other` (issue 20). The two early-involvement
rules get their settings, as every rule has.

Revision ID: 0010
Revises: 0009
Create Date: 2026-11-30 05:30:00
"""

from collections.abc import Sequence
from datetime import UTC, datetime

import sqlalchemy as sa
from alembic import op

revision: str = "0010"
down_revision: str | None = "0009"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_FUNCTION_CHECK = (
    "function IN ('marketing', 'technology', 'data', 'digital', 'executive', 'other')"
)
_RULES = [("IT_NOT_INVOLVED_EARLY", "medium"), ("BUSINESS_NOT_INVOLVED_EARLY", "medium")]
_DEFAULT_FUNCTIONS = {
    "CMO": "marketing",
    "CIO": "technology",
    "CDO": "digital",
    "CEO": "executive",
}


def upgrade() -> None:
    with op.batch_alter_table("role") as batch:
        batch.add_column(
            sa.Column("function", sa.String(length=16), nullable=False, server_default="other")
        )
        batch.create_check_constraint("function", _FUNCTION_CHECK)
    role = sa.table("role", sa.column("code", sa.String), sa.column("function", sa.String))
    for code, function in _DEFAULT_FUNCTIONS.items():
        op.execute(sa.update(role).where(role.c.code == code).values(function=function))
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
    with op.batch_alter_table("role") as batch:
        batch.drop_constraint("function", type_="check")
        batch.drop_column("function")
