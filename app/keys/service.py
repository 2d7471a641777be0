"""API keys: creation, revocation and authentication. Secrets are never stored."""

from collections.abc import Sequence

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from app.auth.models import ApiKey, RevokedSecret
from app.auth.secrets import hash_secret, new_secret
from app.core.errors import Conflict, NotFound
from app.core.pagination import PageParams, page_of, split_page
from app.db.dialect import lock_transaction
from app.keys.schemas import ApiKeyCreate

BOOTSTRAP_KEY_NAME = "bootstrap"
FIRST_ADMIN_KEY_NAME = "first-admin"
# Held by whatever counts or changes the admin keys, so that two admins revoking each other
# at once cannot both see the other one left.
_ADMIN_KEYS_LOCK = "raci.api_key.admins"


def list_keys(session: Session) -> Sequence[ApiKey]:
    """Every key, by name (the command line's list)."""
    return session.scalars(select(ApiKey).order_by(ApiKey.name)).all()


def list_keys_page(session: Session, page: PageParams) -> tuple[list[ApiKey], str | None]:
    """One page of keys by name, and the cursor of the next (None on the last)."""
    rows = list(session.scalars(page_of(select(ApiKey), ApiKey.name, page)))
    return split_page(rows, page, lambda key: key.name)


def create_key(session: Session, data: ApiKeyCreate) -> tuple[ApiKey, str]:
    """A new key and its secret, which the caller shows once and then forgets."""
    if session.scalar(select(ApiKey.id).where(ApiKey.name == data.name)) is not None:
        raise Conflict(f"An API key named '{data.name}' already exists")
    secret = new_secret()
    key = ApiKey(name=data.name, scope=data.scope, secret_hash=hash_secret(secret))
    session.add(key)
    session.flush()
    return key, secret


def revoke_key(session: Session, name: str, *, force: bool = False) -> None:
    """Revoke the key: its secret never authenticates again (app.auth.models.RevokedSecret).

    The last admin key is kept unless `force`: without one, no key can be managed over
    HTTP any more (Conflict, 409). Whoever asks, the key revoked may be their own.
    """
    lock_transaction(session, _ADMIN_KEYS_LOCK)
    key = session.scalar(select(ApiKey).where(ApiKey.name == name))
    if key is None:
        raise NotFound(f"No API key named '{name}'")
    if key.scope == "admin" and not force:
        admins = session.scalar(select(func.count()).where(ApiKey.scope == "admin"))
        if admins == 1:
            raise Conflict(
                f"'{name}' is the last admin key: without it no key can be created or revoked "
                "over HTTP. Create another admin key first, or revoke it anyway with "
                "?force=true (`raci keys create` can still make one on the server)"
            )
    if session.get(RevokedSecret, key.secret_hash) is None:
        session.add(RevokedSecret(secret_hash=key.secret_hash, name=key.name))
    session.delete(key)
    session.flush()


def is_revoked(session: Session, secret: str) -> bool:
    """Whether this secret belonged to a key that was revoked."""
    return session.get(RevokedSecret, hash_secret(secret)) is not None


def ensure_bootstrap_key(session: Session, secret: str) -> bool:
    """Make `secret` the admin key named `bootstrap`, replacing an older bootstrap secret;
    False (nothing done) when this very secret was revoked: a revoked bootstrap key stays
    revoked until `RACI_BOOTSTRAP_ADMIN_KEY` names another secret."""
    if is_revoked(session, secret):
        return False
    secret_hash = hash_secret(secret)
    key = session.scalar(select(ApiKey).where(ApiKey.name == BOOTSTRAP_KEY_NAME))
    if key is None:
        session.add(ApiKey(name=BOOTSTRAP_KEY_NAME, scope="admin", secret_hash=secret_hash))
    else:
        key.secret_hash = secret_hash
        key.scope = "admin"
    session.flush()
    return True


def create_first_admin_if_none(session: Session) -> str | None:
    """On a database with no key at all, an admin key named `first-admin`; its secret."""
    if session.scalar(select(ApiKey.id).limit(1)) is not None:
        return None
    _, secret = create_key(session, ApiKeyCreate(name=FIRST_ADMIN_KEY_NAME, scope="admin"))
    return secret
