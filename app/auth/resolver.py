"""The one place a presented API key becomes a known key: the routes' dependencies, the
idempotency middleware and the dashboard's login all ask `KeyResolver.resolve`.

A key found is cached per process (app.auth.cache) and still checked by the first
statement of the request's own transaction, so a key revoked by any worker or by the
command line is refused by the next request that uses it.
"""

from dataclasses import dataclass, field
from datetime import datetime, timedelta

from sqlalchemy import select, update
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session

from app.auth.cache import KeyCache, KnownKey, known_key
from app.auth.models import ApiKey
from app.auth.secrets import hash_secret
from app.db.base import utcnow
from app.db.engine import Database

# A secret is `raci_` and 43 URL-safe characters; anything far longer is not a key.
MAX_SECRET_LENGTH = 256
# Recording every use would turn each read into a write; once a minute is enough to audit.
LAST_USED_RESOLUTION = timedelta(minutes=1)


def find_by_hash(session: Session, secret_hash: str) -> ApiKey | None:
    """The key stored with this secret's hash (secrets themselves are never stored)."""
    return session.scalar(select(ApiKey).where(ApiKey.secret_hash == secret_hash))


def needs_last_used_update(last_used_at: datetime | None, now: datetime) -> bool:
    return last_used_at is None or now - last_used_at >= LAST_USED_RESOLUTION


def mark_used(session: Session, secret_hash: str, now: datetime) -> None:
    session.execute(
        update(ApiKey).where(ApiKey.secret_hash == secret_hash).values(last_used_at=now)
    )


def secret_from_authorization(authorization: str | None) -> str | None:
    """The secret of an `Authorization: Bearer <secret>` header, or None.

    A second `Bearer ` before the secret is forgiven: Swagger UI adds the scheme itself, and
    people paste the whole header value into its Authorize dialog.
    """
    if not authorization:
        return None
    scheme, _, secret = authorization.strip().partition(" ")
    if scheme.lower() != "bearer":
        return None
    secret = secret.strip()
    inner_scheme, _, inner = secret.partition(" ")
    if inner_scheme.lower() == "bearer":
        secret = inner.strip()
    return secret if 0 < len(secret) <= MAX_SECRET_LENGTH else None


@dataclass
class KeyResolver:
    """Secrets to known keys for one database, with the process's cache of them."""

    database: Database
    cache: KeyCache = field(default_factory=KeyCache)

    def cached(self, secret: str) -> KnownKey | None:
        """The key for `secret` if this process knows it and its last use is recent enough
        not to need recording; None means "call `resolve`" (no I/O here)."""
        key = self.cache.get(hash_secret(secret))
        if key is None or needs_last_used_update(key.last_used_at, utcnow()):
            return None
        return key

    def still_valid(self, key: KnownKey) -> bool:
        """Whether `key` still exists as it was (one probe of the secret hash's index); a
        key that does not is dropped from the cache."""
        with self.database.transaction(write=False) as session:
            now = session.execute(
                select(ApiKey.name, ApiKey.scope).where(ApiKey.secret_hash == key.secret_hash)
            ).first()
        if now is None or (now.name, now.scope) != (key.name, key.scope):
            self.cache.forget(key.secret_hash)
            return False
        return True

    def resolve(self, secret: str, *, cached: bool = True) -> KnownKey | None:
        """The key with this secret, or None when it is unknown or revoked.

        From the cache or its own short read transaction, its `last_used_at` brought up to
        the minute in another; both before the request's own transaction begins, never
        inside it, so that a request never holds two connections (a burst larger than the
        pool would otherwise wait on itself). `cached=False` looks it up afresh.
        """
        secret_hash = hash_secret(secret)
        key = self.cache.get(secret_hash) if cached else None
        if key is None:
            with self.database.transaction(write=False) as session:
                found = find_by_hash(session, secret_hash)
            if found is None:
                self.cache.forget(secret_hash)
                return None
            key = known_key(found)
            self.cache.put(key)
        now = utcnow()
        if needs_last_used_update(key.last_used_at, now):
            try:
                with self.database.transaction(write=True) as writer:
                    mark_used(writer, secret_hash, now)
                self.cache.used(key, now)
            except SQLAlchemyError:
                pass  # last_used_at is informational; never fail a request over it
        return key
