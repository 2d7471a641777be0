from sqlalchemy import CheckConstraint, ForeignKey, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from app.core.identifiers import RACI_VALUES
from app.db.base import Base, Versioned

# Every canonical letter set, so that no other spelling can be stored by any writer.
RACI_VALUE_CHECK = "raci IN (" + ", ".join(f"'{value}'" for value in RACI_VALUES) + ")"


class RaciCell(Versioned, Base):
    """What one role is for one component: a set of RACI letters in canonical order (`A`,
    `AR`, `CI`, `ARC`...; app.core.letters)."""

    __tablename__ = "raci_cell"
    __table_args__ = (CheckConstraint(RACI_VALUE_CHECK, name="raci_value"),)

    component_id: Mapped[int] = mapped_column(
        ForeignKey("component.id", ondelete="CASCADE"), primary_key=True
    )
    role: Mapped[str] = mapped_column(
        String(16), ForeignKey("role.code", ondelete="RESTRICT"), primary_key=True, index=True
    )
    raci: Mapped[str] = mapped_column(String(6))
    rationale: Mapped[str | None] = mapped_column(Text)
