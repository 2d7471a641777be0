"""API keys: creation, revocation and authentication. Secrets are never stored."""

from collections.abc import Collection, Sequence

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from app.auth.acting import acting_roles
from app.auth.models import ApiKey, ApiKeyRole, RevokedSecret
from app.auth.secrets import hash_secret, new_secret
from app.core.errors import Conflict, NotFound
from app.core.pagination import PageParams, page_of, split_page
from app.db.dialect import lock_transaction
from app.keys.schemas import ApiKeyCreate, ApiKeyPatch
from app.references import require_roles

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
    """A new key and its secret, which the caller shows once and then forgets. 422 naming
    each unknown role of `acts_for`; 409 when the name is taken."""
    _require_roles(session, data.acts_for)
    if session.scalar(select(ApiKey.id).where(ApiKey.name == data.name)) is not None:
        raise Conflict(f"An API key named '{data.name}' already exists")
    secret = new_secret()
    key = ApiKey(name=data.name, scope=data.scope, secret_hash=hash_secret(secret))
    session.add(key)
    session.flush()
    _set_roles(session, key, data.acts_for)
    return key, secret


def get_key(session: Session, name: str) -> ApiKey:
    key = session.scalar(select(ApiKey).where(ApiKey.name == name))
    if key is None:
        raise NotFound(f"No API key named '{name}'")
    return key


def patch_key(session: Session, name: str, data: ApiKeyPatch) -> ApiKey:
    """Make the key act for exactly `data.acts_for`. 404 for an unknown key, 422 naming each
    unknown role. Audited with the key (its `acts_for` is part of its state)."""
    key = get_key(session, name)
    _require_roles(session, data.acts_for)
    _set_roles(session, key, data.acts_for)
    return key


def acts_for(session: Session, key_ids: Collection[int]) -> dict[int, list[str]]:
    """Key id -> the role codes it acts for, sorted, in one query (keys acting for none are
    left out)."""
    roles: dict[int, list[str]] = {}
    if not key_ids:
        return roles
    for key_id, role in session.execute(
        select(ApiKeyRole.api_key_id, ApiKeyRole.role)
        .where(ApiKeyRole.api_key_id.in_(set(key_ids)))
        .order_by(ApiKeyRole.role)
    ):
        roles.setdefault(key_id, []).append(role)
    return roles


def acts_for_key(session: Session, name: str) -> list[str]:
    """The role codes the key named `name` acts for, sorted (none for an unknown key)."""
    return acting_roles(session, name)


def _require_roles(session: Session, codes: Collection[str]) -> None:
    require_roles(session, {code: ("body", "acts_for", i) for i, code in enumerate(codes)})


def _set_roles(session: Session, key: ApiKey, codes: Collection[str]) -> None:
    wanted = set(codes)
    current = {
        row.role: row
        for row in session.scalars(select(ApiKeyRole).where(ApiKeyRole.api_key_id == key.id))
    }
    for code, row in current.items():
        if code not in wanted:
            session.delete(row)
    for code in sorted(wanted - set(current)):
        session.add(ApiKeyRole(api_key_id=key.id, role=code))
    session.flush()


def revoke_key(session: Session, name: str, *, force: bool = False) -> None:
    """Revoke the key: its secret never authenticates again (app.auth.models.RevokedSecret).

    The last admin key is kept unless `force`: without one, no key can be managed over
    HTTP any more (Conflict, 409). Whoever asks, the key revoked may be their own.
    """
    lock_transaction(session, _ADMIN_KEYS_LOCK)
    key = get_key(session, name)
    if key.scope == "admin" and not force:
        admins = session.scalar(select(func.count()).where(ApiKey.scope == "admin"))
        if admins == 1:
            raise Conflict(
                f"'{name}' is the last admin key: without it no key can be created or revoked "
                "over HTTP. Create another admin key first, or revoke it anyway with "
                "?force=true (`raci keys create` can still make one on the server)"
            )
    _set_roles(session, key, ())
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
