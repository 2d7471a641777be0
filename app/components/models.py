from sqlalchemy import ForeignKey, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from app.db.base import Base, Versioned

COMPONENT_FIELDS = ("name", "capability", "description", "group")
"""A component's writable fields besides its key (services, audit, import, export)."""


class Component(Versioned, Base):
    """A part of an initiative; its key is unique within the initiative."""

    __tablename__ = "component"
    __table_args__ = (UniqueConstraint("initiative_id", "key"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    initiative_id: Mapped[int] = mapped_column(ForeignKey("initiative.id", ondelete="CASCADE"))
    key: Mapped[str] = mapped_column(String(64))
    name: Mapped[str] = mapped_column(String(200))
    capability: Mapped[str | None] = mapped_column(
        String(64), ForeignKey("capability.key", ondelete="RESTRICT"), index=True
    )
    description: Mapped[str | None] = mapped_column(Text)
    # The section of a sheet the component was listed under: a phase, a workstream.
    group: Mapped[str | None] = mapped_column(String(200))
