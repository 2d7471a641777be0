"""revoked secrets stay revoked

The hash of every revoked API key's secret, so that the bootstrap key is not registered
again at start-up once revoked (until its secret changes).

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-30 01:27:23.453163
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0005"
down_revision: str | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "revoked_secret",
        sa.Column("secret_hash", sa.String(length=64), nullable=False),
        sa.Column("name", sa.String(length=64), nullable=False),
        sa.Column("revoked_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("secret_hash", name=op.f("pk_revoked_secret")),
    )


def downgrade() -> None:
    op.drop_table("revoked_secret")
