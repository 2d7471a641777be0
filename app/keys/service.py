"""API keys: creation, revocation and authentication. Secrets are never stored."""

from collections.abc import Sequence
from datetime import datetime, timedelta

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from app.core.errors import Conflict, NotFound
from app.keys.models import ApiKey
from app.keys.schemas import ApiKeyCreate
from app.keys.secrets import hash_secret, new_secret

BOOTSTRAP_KEY_NAME = "bootstrap"
FIRST_ADMIN_KEY_NAME = "first-admin"
# Recording every use would turn each read into a write; once a minute is enough to audit.
LAST_USED_RESOLUTION = timedelta(minutes=1)


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


def authenticate(session: Session, secret: str) -> ApiKey | None:
    return find_by_hash(session, hash_secret(secret))


def find_by_hash(session: Session, secret_hash: str) -> ApiKey | None:
    return session.scalar(select(ApiKey).where(ApiKey.secret_hash == secret_hash))


def needs_last_used_update(last_used_at: datetime | None, now: datetime) -> bool:
    return last_used_at is None or now - last_used_at >= LAST_USED_RESOLUTION


def mark_used(session: Session, secret_hash: str, now: datetime) -> None:
    session.execute(
        update(ApiKey).where(ApiKey.secret_hash == secret_hash).values(last_used_at=now)
    )


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
