from datetime import date, datetime

from sqlalchemy import CheckConstraint, Date, Float, ForeignKey, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.db.base import Base, UTCDateTime, Versioned

KPI_FIELDS = ("name", "unit", "direction", "baseline", "baseline_date", "target", "target_date")
"""A KPI's writable scalar fields besides its key, owners and initiatives (services, audit,
import, export)."""


class Kpi(Versioned, Base):
    """A measure the leaders agreed on, owned by one or more roles."""

    __tablename__ = "kpi"
    __table_args__ = (
        CheckConstraint("direction IN ('increase', 'decrease')", name="direction"),
        CheckConstraint("target_date > baseline_date", name="dates_ordered"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    key: Mapped[str] = mapped_column(String(64), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    unit: Mapped[str | None] = mapped_column(String(64))
    direction: Mapped[str] = mapped_column(String(8), default="increase")
    baseline: Mapped[float] = mapped_column(Float)
    baseline_date: Mapped[date] = mapped_column(Date)
    target: Mapped[float] = mapped_column(Float)
    target_date: Mapped[date] = mapped_column(Date)

    owner_rows: Mapped[list["KpiOwner"]] = relationship(
        cascade="all, delete-orphan",
        passive_deletes=True,
        lazy="selectin",
        order_by="KpiOwner.role",
    )
    initiative_rows: Mapped[list["KpiInitiative"]] = relationship(
        cascade="all, delete-orphan",
        passive_deletes=True,
        lazy="selectin",
        order_by="KpiInitiative.initiative_id",
    )


class KpiOwner(Base):
    __tablename__ = "kpi_owner"

    kpi_id: Mapped[int] = mapped_column(ForeignKey("kpi.id", ondelete="CASCADE"), primary_key=True)
    role: Mapped[str] = mapped_column(
        String(16), ForeignKey("role.code", ondelete="RESTRICT"), primary_key=True, index=True
    )


class KpiInitiative(Base):
    __tablename__ = "kpi_initiative"

    kpi_id: Mapped[int] = mapped_column(ForeignKey("kpi.id", ondelete="CASCADE"), primary_key=True)
    initiative_id: Mapped[int] = mapped_column(
        ForeignKey("initiative.id", ondelete="RESTRICT"), primary_key=True, index=True
    )


class Measurement(Versioned, Base):
    """One reading of a KPI: a KPI has one value per `measured_at`. A reading typed wrong is
    corrected (PUT) or removed (DELETE) by its `measured_at`; `version` guards that."""

    __tablename__ = "measurement"
    __table_args__ = (UniqueConstraint("kpi_id", "measured_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    kpi_id: Mapped[int] = mapped_column(ForeignKey("kpi.id", ondelete="CASCADE"))
    value: Mapped[float] = mapped_column(Float)
    measured_at: Mapped[datetime] = mapped_column(UTCDateTime)
    note: Mapped[str | None] = mapped_column(Text)
    # A default of its own: multi-row inserts (the bulk import) leave it out.
    version: Mapped[int] = mapped_column(nullable=False, default=1)
