"""governance models

Roles get a function (marketing, technology, data, digital, executive, other); the four
default roles get theirs, every other role is `other` (issue 20). The two early-involvement
rules get their settings, as every rule has. Governance models (named sets of agreed owners,
one of them active) start with the three the articles describe, none active.

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

_FUNCTION_CHECK = "function IN ('marketing', 'technology', 'data', 'digital', 'executive', 'other')"
_RULES = [("IT_NOT_INVOLVED_EARLY", "medium"), ("BUSINESS_NOT_INVOLVED_EARLY", "medium")]
_DEFAULT_FUNCTIONS = {
    "CMO": "marketing",
    "CIO": "technology",
    "CDO": "digital",
    "CEO": "executive",
}


_MODELS = [
    (
        "cmo-cio-partnership",
        "CMO and CIO in partnership",
        "No CDO: the CMO owns what faces the customer, the CIO what runs behind it, and the "
        "two decide together, IT involved from the very start of a campaign.",
        [
            (
                "marketing",
                "CMO",
                "The CMO runs digital marketing: brand, campaigns, the customer voice.",
            ),
            (
                "experience",
                "CMO",
                "The customer experience is marketing's promise; the CMO owns it.",
            ),
            ("technology", "CIO", "The CIO builds and runs the platforms the campaigns depend on."),
            ("data", "CIO", "Customer data lives in systems the CIO secures and integrates."),
            (
                "operations",
                "CIO",
                "Vendors and operations are bought and run by IT, with marketing consulted.",
            ),
        ],
    ),
    (
        "cdo-beside",
        "CDO beside the CIO and CMO",
        "A CDO working beside the CIO and CMO: the CMO runs digital marketing, the CDO "
        "enterprise digitisation, the CIO enables both at the back end.",
        [
            ("marketing", "CMO", "The CMO runs digital marketing."),
            (
                "experience",
                "CDO",
                "Digital experiences across the enterprise are the CDO's digitisation agenda.",
            ),
            (
                "data",
                "CDO",
                "Enterprise data and its use across functions belong to digitisation, led by the CDO.",
            ),
            ("operations", "CDO", "Digitising how the enterprise operates is the CDO's remit."),
            ("technology", "CIO", "The CIO enables marketing and digitisation at the back end."),
        ],
    ),
    (
        "cdo-above",
        "CDO above the CIO and CMO",
        "A CDO above the CIO and CMO who owns the digital channels and IT; the CMO keeps brand "
        "and campaigns.",
        [
            ("marketing", "CMO", "Brand and campaigns stay with the CMO, reporting to the CDO."),
            ("experience", "CDO", "The CDO owns the digital channels."),
            ("technology", "CDO", "IT reports to the CDO, who owns the technology."),
            ("data", "CDO", "The CDO owns the data the digital channels run on."),
            ("operations", "CDO", "Operations and vendors serve the channels the CDO owns."),
        ],
    ),
]


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
    op.create_table(
        "governance_model",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("key", sa.String(length=64), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("description", sa.Text(), nullable=True),
        sa.Column("owners", sa.JSON(), nullable=False),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_governance_model")),
        sa.UniqueConstraint("key", name=op.f("uq_governance_model_key")),
    )
    governance_model = sa.table(
        "governance_model",
        sa.column("key", sa.String),
        sa.column("name", sa.String),
        sa.column("description", sa.Text),
        sa.column("owners", sa.JSON),
        sa.column("active", sa.Boolean),
        sa.column("version", sa.Integer),
        sa.column("created_at", sa.DateTime(timezone=True)),
        sa.column("updated_at", sa.DateTime(timezone=True)),
    )
    op.bulk_insert(
        governance_model,
        [
            {
                "key": key,
                "name": name,
                "description": description,
                "owners": [
                    {"capability": None, "domain": domain, "owner": owner, "rationale": why}
                    for domain, owner, why in owners
                ],
                "active": False,
                "version": 1,
                "created_at": now,
                "updated_at": now,
            }
            for key, name, description, owners in _MODELS
        ],
    )
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
    op.drop_table("governance_model")
    rule_setting = sa.table("rule_setting", sa.column("code", sa.String))
    op.execute(sa.delete(rule_setting).where(rule_setting.c.code.in_([code for code, _ in _RULES])))
    with op.batch_alter_table("role") as batch:
        batch.drop_constraint("function", type_="check")
        batch.drop_column("function")
