"""The audit trail's resource index serves key prefixes (a matrix `?at=`) on PostgreSQL too

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-30 01:50:00
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0003"
down_revision: str | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # SQLite has no operator classes: there the index is made again as it was.
    op.drop_index("ix_audit_entry_resource", table_name="audit_entry")
    op.create_index(
        "ix_audit_entry_resource",
        "audit_entry",
        ["resource_type", "resource_key"],
        postgresql_ops={"resource_key": "text_pattern_ops"},
    )


def downgrade() -> None:
    op.drop_index("ix_audit_entry_resource", table_name="audit_entry")
    op.create_index("ix_audit_entry_resource", "audit_entry", ["resource_type", "resource_key"])
