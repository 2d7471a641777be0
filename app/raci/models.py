from datetime import datetime

from sqlalchemy import CheckConstraint, ForeignKey, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from app.core.identifiers import RACI_VALUES
from app.db.base import Base, UTCDateTime, Versioned, utcnow

# Every canonical letter set, so that no other spelling can be stored by any writer.
RACI_VALUE_CHECK = "raci IN (" + ", ".join(f"'{value}'" for value in RACI_VALUES) + ")"

AGREEMENT_STATES = ("proposed", "agreed", "disputed")
AGREEMENT_CHECK = "agreement IN (" + ", ".join(f"'{s}'" for s in AGREEMENT_STATES) + ")"

PROPOSED: dict[str, str | None] = {
    "agreement": "proposed",
    "agreement_by": None,
    "agreement_at": None,
    "agreement_comment": None,
}
"""A cell's agreement columns when its letters are new or changed (API.md "Explicit
agreement"): every writer that sets letters also sets these, and `letters_set_at`."""


class RaciCell(Versioned, Base):
    """What one role is for one component: a set of RACI letters in canonical order (`A`,
    `AR`, `CI`, `ARC`...; app.core.letters), and whether someone acting for the role agreed.

    `letters_set_at` is when the letters last changed: the grace period of UNAGREED_CELL runs
    from it. `agreement_by` is the name of the key that decided, `agreement_at` when."""

    __tablename__ = "raci_cell"
    __table_args__ = (
        CheckConstraint(RACI_VALUE_CHECK, name="raci_value"),
        CheckConstraint(AGREEMENT_CHECK, name="agreement_state"),
        # The agreement rules look for the few cells disputed or proposed long ago.
        Index("ix_raci_cell_agreement", "agreement", "letters_set_at"),
    )

    component_id: Mapped[int] = mapped_column(
        ForeignKey("component.id", ondelete="CASCADE"), primary_key=True
    )
    role: Mapped[str] = mapped_column(
        String(16), ForeignKey("role.code", ondelete="RESTRICT"), primary_key=True, index=True
    )
    raci: Mapped[str] = mapped_column(String(6))
    rationale: Mapped[str | None] = mapped_column(Text)
    agreement: Mapped[str] = mapped_column(String(8), default="proposed")
    agreement_by: Mapped[str | None] = mapped_column(String(64))
    agreement_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    agreement_comment: Mapped[str | None] = mapped_column(Text)
    letters_set_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
