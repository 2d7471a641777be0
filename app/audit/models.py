from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Index, String
from sqlalchemy.orm import Mapped, mapped_column

from app.db.base import Base, UTCDateTime, utcnow


class AuditEntry(Base):
    """One change to one resource. `id` orders the change feed."""

    __tablename__ = "audit_entry"
    __table_args__ = (
        # Pattern ops: PostgreSQL serves LIKE 'prefix%' (a matrix `?at=`) only from such an
        # index, whatever the database's collation; equality lookups use it as well.
        Index(
            "ix_audit_entry_resource",
            "resource_type",
            "resource_key",
            postgresql_ops={"resource_key": "text_pattern_ops"},
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)
    actor: Mapped[str] = mapped_column(String(64), index=True)
    action: Mapped[str] = mapped_column(String(16))
    resource_type: Mapped[str] = mapped_column(String(32))
    resource_key: Mapped[str] = mapped_column(String(200))
    before: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    after: Mapped[dict[str, Any] | None] = mapped_column(JSON)
