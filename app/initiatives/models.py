from datetime import date

from sqlalchemy import CheckConstraint, Date, ForeignKey, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.db.base import Base, Versioned

LIVE_STATUSES = ("proposed", "planned", "active", "on_hold")


INITIATIVE_FIELDS = (
    "name",
    "kind",
    "status",
    "portfolio",
    "sponsor",
    "goals",
    "use_cases",
    "feasibility",
    "priority",
    "start_date",
    "end_date",
    "external_ref",
)
"""An initiative's writable scalar fields besides its key and tags (services, audit, import,
export)."""


class Initiative(Versioned, Base):
    """A chatbot, an IoT programme, a campaign...: the unit the PMO tracks."""

    __tablename__ = "initiative"
    __table_args__ = (
        CheckConstraint("priority BETWEEN 1 AND 5", name="priority_range"),
        CheckConstraint(
            "end_date IS NULL OR start_date IS NULL OR end_date >= start_date", name="dates_ordered"
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    key: Mapped[str] = mapped_column(String(64), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    kind: Mapped[str] = mapped_column(String(16), default="other", index=True)
    status: Mapped[str] = mapped_column(String(16), default="proposed", index=True)
    portfolio: Mapped[str | None] = mapped_column(String(16), index=True)
    sponsor: Mapped[str | None] = mapped_column(
        String(16), ForeignKey("role.code", ondelete="RESTRICT"), index=True
    )
    goals: Mapped[str | None] = mapped_column(Text)
    use_cases: Mapped[str | None] = mapped_column(Text)
    feasibility: Mapped[str | None] = mapped_column(Text)
    priority: Mapped[int] = mapped_column(Integer, default=3)
    start_date: Mapped[date | None] = mapped_column(Date)
    end_date: Mapped[date | None] = mapped_column(Date)
    external_ref: Mapped[str | None] = mapped_column(String(200))

    tag_rows: Mapped[list["InitiativeTag"]] = relationship(
        cascade="all, delete-orphan",
        passive_deletes=True,
        lazy="selectin",
        order_by="InitiativeTag.tag",
    )

    @property
    def tags(self) -> list[str]:
        return [row.tag for row in self.tag_rows]


class InitiativeTag(Base):
    """A tag, kept in its own table so that filtering by tag is an indexed lookup."""

    __tablename__ = "initiative_tag"

    initiative_id: Mapped[int] = mapped_column(
        ForeignKey("initiative.id", ondelete="CASCADE"), primary_key=True
    )
    tag: Mapped[str] = mapped_column(String(64), primary_key=True, index=True)
