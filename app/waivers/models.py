from datetime import date

from sqlalchemy import Date, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from app.db.base import Base, Versioned

WAIVER_FIELDS = (
    "rule",
    "initiative",
    "component",
    "capability",
    "kpi",
    "rationale",
    "expires_on",
    "created_by",
)
"""A waiver's public fields besides its key (services, audit)."""

SUBJECT_FIELDS = ("initiative", "component", "capability", "kpi")
"""The fields of a finding that name its subject; a waiver names them as the finding does."""


class Waiver(Versioned, Base):
    """One finding accepted knowingly, with the reason why, until `expires_on` (if set).

    The subject is kept by key, as the finding names it (no foreign keys): renaming an
    initiative or a component carries its waivers along (app.renames); a waiver whose
    subject was deleted simply matches no finding any more.
    """

    __tablename__ = "waiver"

    id: Mapped[int] = mapped_column(primary_key=True)
    key: Mapped[str] = mapped_column(String(64), unique=True)
    rule: Mapped[str] = mapped_column(String(32), index=True)
    initiative: Mapped[str | None] = mapped_column(String(64), index=True)
    component: Mapped[str | None] = mapped_column(String(64))
    capability: Mapped[str | None] = mapped_column(String(64))
    kpi: Mapped[str | None] = mapped_column(String(64))
    rationale: Mapped[str] = mapped_column(Text)
    expires_on: Mapped[date | None] = mapped_column(Date)
    created_by: Mapped[str] = mapped_column(String(64))
