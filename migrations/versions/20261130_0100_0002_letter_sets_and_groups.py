"""RACI cells hold a set of letters (A R S C I V); components have a group

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-30 01:00:00
"""

from collections.abc import Sequence
from itertools import combinations

import sqlalchemy as sa
from alembic import op

revision: str = "0002"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# Written out here rather than imported: a migration must keep meaning what it meant.
_LETTERS = "ARSCIV"
_SETS = ["".join(c) for size in range(1, 7) for c in combinations(_LETTERS, size)]
_NEW_CHECK = "raci IN (" + ", ".join(f"'{value}'" for value in _SETS) + ")"
_OLD_CHECK = "raci IN ('R', 'A', 'C', 'I', 'AR')"


def upgrade() -> None:
    # Adding a column never recreates the table (a recreated component table would take
    # its cells with it through ON DELETE CASCADE on SQLite).
    op.add_column("component", sa.Column("group", sa.String(length=200), nullable=True))
    with op.batch_alter_table("raci_cell", recreate="always") as batch:
        batch.drop_constraint(op.f("ck_raci_cell_raci_value"), type_="check")
        batch.alter_column("raci", existing_type=sa.String(length=2), type_=sa.String(length=6))
        batch.create_check_constraint("raci_value", _NEW_CHECK)


def downgrade() -> None:
    # Cells holding letters the old schema cannot hold are removed first.
    op.execute(f"DELETE FROM raci_cell WHERE NOT ({_OLD_CHECK})")  # noqa: S608
    with op.batch_alter_table("raci_cell", recreate="always") as batch:
        batch.drop_constraint(op.f("ck_raci_cell_raci_value"), type_="check")
        batch.alter_column("raci", existing_type=sa.String(length=6), type_=sa.String(length=2))
        batch.create_check_constraint("raci_value", _OLD_CHECK)
    with op.batch_alter_table("component") as batch:
        batch.drop_column("group")
