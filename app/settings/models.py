from sqlalchemy import CheckConstraint, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from app.db.base import Base, Versioned

SETTINGS_FIELDS = ("agreement_grace_days", "reconfirm_days", "review_due_days")
"""The writable settings (services, audit, import)."""

DEFAULTS: dict[str, int] = {
    "agreement_grace_days": 14,
    "reconfirm_days": 365,
    "review_due_days": 30,
}
"""Each setting's value until an admin changes it (API.md, "Additions")."""

SCOPE = "service"
"""The one row's name: the settings hold for the whole service."""


class ServiceSettings(Versioned, Base):
    """The governance settings, one row (`scope` = "service"), seeded by the migration."""

    __tablename__ = "service_settings"
    __table_args__ = (
        CheckConstraint("scope = 'service'", name="one_row"),
        CheckConstraint("agreement_grace_days BETWEEN 0 AND 3650", name="grace_range"),
        CheckConstraint("reconfirm_days BETWEEN 1 AND 3650", name="reconfirm_range"),
        CheckConstraint("review_due_days BETWEEN 1 AND 3650", name="review_due_range"),
    )

    scope: Mapped[str] = mapped_column(String(16), primary_key=True, default=SCOPE)
    agreement_grace_days: Mapped[int] = mapped_column(Integer)
    reconfirm_days: Mapped[int] = mapped_column(Integer)
    review_due_days: Mapped[int] = mapped_column(Integer)
