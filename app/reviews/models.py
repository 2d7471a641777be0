"""A governance review: the KPI's owners and sponsors asked whether the governance model still
fits once a joint KPI is missed (API.md, "Additions", "Governance reviews")."""

from datetime import date, datetime

from sqlalchemy import CheckConstraint, Date, ForeignKey, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.db.base import Base, UTCDateTime, Versioned

REVIEW_STATES = ("open", "decided")
DECISIONS = ("keep", "change_owner", "change_model", "change_target")

REVIEW_FIELDS = (
    "opened_at",
    "due_on",
    "state",
    "decision",
    "rationale",
    "what_changed",
    "decided_by",
    "decided_at",
)
"""A review's public scalar fields besides its key, its KPI and its participants (audit)."""


class Review(Versioned, Base):
    """One governance review of one KPI.

    `open_kpi_id` holds the KPI's id while the review is open and NULL once it is decided:
    being unique, it lets at most one review per KPI be open, on both databases and whatever
    requests or workers race to open one (NULLs never collide).
    """

    __tablename__ = "review"
    __table_args__ = (
        CheckConstraint("state IN ('open', 'decided')", name="state"),
        CheckConstraint(
            "decision IS NULL OR decision IN "
            "('keep', 'change_owner', 'change_model', 'change_target')",
            name="decision",
        ),
        CheckConstraint(
            "(state = 'open' AND open_kpi_id = kpi_id AND decision IS NULL)"
            " OR (state = 'decided' AND open_kpi_id IS NULL AND decision IS NOT NULL)",
            name="open_or_decided",
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    key: Mapped[str] = mapped_column(String(64), unique=True)
    kpi_id: Mapped[int] = mapped_column(ForeignKey("kpi.id", ondelete="CASCADE"), index=True)
    open_kpi_id: Mapped[int | None] = mapped_column(Integer, unique=True)
    opened_at: Mapped[datetime] = mapped_column(UTCDateTime)
    due_on: Mapped[date] = mapped_column(Date, index=True)
    state: Mapped[str] = mapped_column(String(8), default="open")
    decision: Mapped[str | None] = mapped_column(String(16))
    rationale: Mapped[str | None] = mapped_column(Text)
    what_changed: Mapped[str | None] = mapped_column(Text)
    decided_by: Mapped[str | None] = mapped_column(String(64))
    decided_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    participant_rows: Mapped[list["ReviewParticipant"]] = relationship(
        cascade="all, delete-orphan",
        passive_deletes=True,
        lazy="selectin",
        order_by="ReviewParticipant.role",
    )


class ReviewParticipant(Base):
    """A role asked to take part, as it stood when the review opened (a record, so no
    foreign key: a role renamed or merged later is carried along by app.renames)."""

    __tablename__ = "review_participant"

    review_id: Mapped[int] = mapped_column(
        ForeignKey("review.id", ondelete="CASCADE"), primary_key=True
    )
    role: Mapped[str] = mapped_column(String(16), primary_key=True, index=True)
