from sqlalchemy import CheckConstraint, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from app.db.base import Base, Versioned
from app.roles.functions import ROLE_FUNCTIONS

ROLE_FIELDS = ("name", "description", "function")
"""A role's writable fields besides its code: the services, the audit trail, the import and
the export all read them here."""


FUNCTION_CHECK = "function IN ({})".format(", ".join(f"'{f}'" for f in ROLE_FUNCTIONS))
"""The database's guard on `role.function` (the migration writes the same text)."""


class Role(Versioned, Base):
    """An executive role (CMO, CIO, ...). Other tables refer to it by its immutable code."""

    __tablename__ = "role"
    __table_args__ = (CheckConstraint(FUNCTION_CHECK, name="function"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(16), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    description: Mapped[str | None] = mapped_column(Text)
    # What the role's holder is there for; the early-involvement rules and governance
    # models ask for a function, not a code, as organisations name their roles differently.
    function: Mapped[str] = mapped_column(String(16), default="other", server_default="other")
