from sqlalchemy import ForeignKey, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from app.db.base import Base, Versioned

CAPABILITY_FIELDS = ("name", "domain", "description", "agreed_owner", "rationale")
"""A capability's writable fields besides its key (services, audit, import, export)."""


class Capability(Versioned, Base):
    """A kind of work recognised across initiatives, with the role agreed to own it."""

    __tablename__ = "capability"

    id: Mapped[int] = mapped_column(primary_key=True)
    key: Mapped[str] = mapped_column(String(64), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    domain: Mapped[str | None] = mapped_column(String(16))
    description: Mapped[str | None] = mapped_column(Text)
    agreed_owner: Mapped[str | None] = mapped_column(
        String(16), ForeignKey("role.code", ondelete="RESTRICT"), index=True
    )
    rationale: Mapped[str | None] = mapped_column(Text)
