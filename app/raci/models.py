from sqlalchemy import CheckConstraint, ForeignKey, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from app.db.base import Base, Versioned


class RaciCell(Versioned, Base):
    """What one role is (R, A, C, I or AR) for one component."""

    __tablename__ = "raci_cell"
    __table_args__ = (CheckConstraint("raci IN ('R', 'A', 'C', 'I', 'AR')", name="raci_value"),)

    component_id: Mapped[int] = mapped_column(
        ForeignKey("component.id", ondelete="CASCADE"), primary_key=True
    )
    role: Mapped[str] = mapped_column(
        String(16), ForeignKey("role.code", ondelete="RESTRICT"), primary_key=True, index=True
    )
    raci: Mapped[str] = mapped_column(String(2))
    rationale: Mapped[str | None] = mapped_column(Text)
