from datetime import datetime

from sqlalchemy import CheckConstraint, ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column

from app.db.base import Base, UTCDateTime, utcnow


class ApiKey(Base):
    """An API key. Only the SHA-256 of its secret is stored."""

    __tablename__ = "api_key"
    __table_args__ = (CheckConstraint("scope IN ('read', 'write', 'admin')", name="scope"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(64), unique=True)
    scope: Mapped[str] = mapped_column(String(8))
    secret_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    last_used_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class RevokedSecret(Base):
    """The hash of a revoked key's secret, kept so that nothing brings it back: the bootstrap
    key (`RACI_BOOTSTRAP_ADMIN_KEY`) is registered again at start-up only while its secret
    was never revoked; a new secret in the environment makes a new key."""

    __tablename__ = "revoked_secret"

    secret_hash: Mapped[str] = mapped_column(String(64), primary_key=True)
    name: Mapped[str] = mapped_column(String(64))
    revoked_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class ApiKeyRole(Base):
    """A role an API key acts for (API.md "Explicit agreement"): such a key may agree to or
    dispute that role's RACI cells. A role's rename or merge carries these rows
    (app.renames); removing the role or the key removes them."""

    __tablename__ = "api_key_role"

    api_key_id: Mapped[int] = mapped_column(
        ForeignKey("api_key.id", ondelete="CASCADE"), primary_key=True
    )
    role: Mapped[str] = mapped_column(
        String(16), ForeignKey("role.code", ondelete="CASCADE"), primary_key=True, index=True
    )
