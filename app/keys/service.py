"""API keys: creation, revocation and authentication. Secrets are never stored."""

from collections.abc import Sequence

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.auth.models import ApiKey
from app.auth.secrets import hash_secret, new_secret
from app.core.errors import Conflict, NotFound
from app.keys.schemas import ApiKeyCreate

BOOTSTRAP_KEY_NAME = "bootstrap"
FIRST_ADMIN_KEY_NAME = "first-admin"


def list_keys(session: Session) -> Sequence[ApiKey]:
    return session.scalars(select(ApiKey).order_by(ApiKey.name)).all()


def create_key(session: Session, data: ApiKeyCreate) -> tuple[ApiKey, str]:
    """A new key and its secret, which the caller shows once and then forgets."""
    if session.scalar(select(ApiKey.id).where(ApiKey.name == data.name)) is not None:
        raise Conflict(f"An API key named '{data.name}' already exists")
    secret = new_secret()
    key = ApiKey(name=data.name, scope=data.scope, secret_hash=hash_secret(secret))
    session.add(key)
    session.flush()
    return key, secret


def revoke_key(session: Session, name: str) -> None:
    key = session.scalar(select(ApiKey).where(ApiKey.name == name))
    if key is None:
        raise NotFound(f"No API key named '{name}'")
    session.delete(key)
    session.flush()


def ensure_bootstrap_key(session: Session, secret: str) -> None:
    """Make `secret` the admin key named `bootstrap`, replacing an older bootstrap secret."""
    secret_hash = hash_secret(secret)
    key = session.scalar(select(ApiKey).where(ApiKey.name == BOOTSTRAP_KEY_NAME))
    if key is None:
        session.add(ApiKey(name=BOOTSTRAP_KEY_NAME, scope="admin", secret_hash=secret_hash))
    else:
        key.secret_hash = secret_hash
        key.scope = "admin"
    session.flush()


def create_first_admin_if_none(session: Session) -> str | None:
    """On a database with no key at all, an admin key named `first-admin`; its secret."""
    if session.scalar(select(ApiKey.id).limit(1)) is not None:
        return None
    _, secret = create_key(session, ApiKeyCreate(name=FIRST_ADMIN_KEY_NAME, scope="admin"))
    return secret
