from typing import Any

from sqlalchemy import JSON, Boolean, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from app.db.base import Base, Versioned

GOVERNANCE_MODEL_FIELDS = ("name", "description", "owners", "active")
"""A governance model's public fields besides its key (services, audit)."""


class GovernanceModel(Versioned, Base):
    """A named set of agreed owners: by capability key, or by capability domain as a default
    for the capabilities of that domain the model does not name. At most one is `active`:
    activating it made its owners the capabilities' `agreed_owner` (issue 20).

    `owners` is a JSON list of `{"capability" | "domain", "owner", "rationale"}` (a few dozen
    entries, read and written whole); the role codes in it follow a role renamed or merged
    (app.renames), and a role a model names cannot be deleted."""

    __tablename__ = "governance_model"

    id: Mapped[int] = mapped_column(primary_key=True)
    key: Mapped[str] = mapped_column(String(64), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    description: Mapped[str | None] = mapped_column(Text)
    owners: Mapped[list[dict[str, Any]]] = mapped_column(JSON)
    active: Mapped[bool] = mapped_column(Boolean, default=False)
