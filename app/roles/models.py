from sqlalchemy import String, Text
from sqlalchemy.orm import Mapped, mapped_column

from app.db.base import Base, Versioned

ROLE_FIELDS = ("name", "description")
"""A role's writable fields besides its code: the services, the audit trail, the import and
the export all read them here."""


class Role(Versioned, Base):
    """An executive role (CMO, CIO, ...). Other tables refer to it by its immutable code."""

    __tablename__ = "role"

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(16), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    description: Mapped[str | None] = mapped_column(Text)
