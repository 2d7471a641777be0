"""Which roles an API key acts for (`acts_for`, API.md "Explicit agreement"): the one query
every check of who may agree to a cell or decide a review asks."""

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.auth.models import ApiKey, ApiKeyRole


def acting_roles(session: Session, key_name: str) -> list[str]:
    """The role codes the key named `key_name` acts for, sorted; none for an unknown key."""
    return list(
        session.scalars(
            select(ApiKeyRole.role)
            .join(ApiKey, ApiKey.id == ApiKeyRole.api_key_id)
            .where(ApiKey.name == key_name)
            .order_by(ApiKeyRole.role)
        )
    )
