from sqlalchemy import Boolean, CheckConstraint, String
from sqlalchemy.orm import Mapped, mapped_column

from app.db.base import Base, Versioned


class RuleSetting(Versioned, Base):
    """The enabled flag and severity of one findings rule, as the PMO has set them."""

    __tablename__ = "rule_setting"
    __table_args__ = (CheckConstraint("severity IN ('high', 'medium', 'low')", name="severity"),)

    code: Mapped[str] = mapped_column(String(32), primary_key=True)
    enabled: Mapped[bool] = mapped_column(Boolean, default=True)
    severity: Mapped[str] = mapped_column(String(8))
