"""Known API keys cached per process, each use still checked inside the request's transaction.

Looking a key up costs a query and a hop to the thread pool on every request, a large
share of a simple GET. The cache saves the hop and the ORM load; what it must not do is
let a revoked key through, from this process or any other worker. So a cached key is only
trusted together with a check that runs as the first statement of the request's own
transaction (`install`): one probe of the unique index on the secret's hash, in the same
thread and snapshot as the work it authorises. A key revoked anywhere is refused by the
next request that uses it, exactly as without the cache, and dropped from the cache then.
"""

import threading
from collections import OrderedDict
from dataclasses import dataclass, replace
from datetime import datetime
from typing import Any

from sqlalchemy import event, select
from sqlalchemy.orm import Session, sessionmaker

from app.auth.models import ApiKey
from app.core.errors import Unauthorized

# Only keys that authenticated are cached, so the size is the number of keys in use.
MAX_CACHED_KEYS = 1024
_VERIFY = "verify_key"


@dataclass(frozen=True)
class KnownKey:
    name: str
    scope: str
    secret_hash: str
    last_used_at: datetime | None


class KeyCache:
    """secret hash -> KnownKey, least recently used evicted first; safe across threads."""

    def __init__(self, max_size: int = MAX_CACHED_KEYS) -> None:
        self._keys: OrderedDict[str, KnownKey] = OrderedDict()
        self._lock = threading.Lock()
        self._max_size = max_size

    def get(self, secret_hash: str) -> KnownKey | None:
        with self._lock:
            key = self._keys.get(secret_hash)
            if key is not None:
                self._keys.move_to_end(secret_hash)
            return key

    def put(self, key: KnownKey) -> None:
        with self._lock:
            self._keys[key.secret_hash] = key
            self._keys.move_to_end(key.secret_hash)
            while len(self._keys) > self._max_size:
                self._keys.popitem(last=False)

    def used(self, key: KnownKey, when: datetime) -> None:
        with self._lock:
            if key.secret_hash in self._keys:
                self._keys[key.secret_hash] = replace(key, last_used_at=when)

    def forget(self, secret_hash: str) -> None:
        with self._lock:
            self._keys.pop(secret_hash, None)

    def __len__(self) -> int:
        return len(self._keys)


def known_key(key: ApiKey) -> KnownKey:
    return KnownKey(
        name=key.name,
        scope=key.scope,
        secret_hash=key.secret_hash,
        last_used_at=key.last_used_at,
    )


def verify_in_transaction(session: Session, key: KnownKey, cache: KeyCache) -> None:
    """Have the session's transaction start by checking that `key` still exists.

    The session must not have begun yet (dependencies make it lazily), so the check is
    the first statement of the request; if the key is gone, that statement raises
    Unauthorized and the route's work never runs.
    """
    if session.in_transaction():
        raise RuntimeError("the key must be verified before the session begins")
    session.info[_VERIFY] = (key, cache)


def pending_verification(session: Session) -> bool:
    """Whether the session has a key check still to make (it has not begun yet)."""
    return _VERIFY in session.info


def _check_key(session: Session, _transaction: Any, connection: Any) -> None:
    pending = session.info.pop(_VERIFY, None)
    if pending is None:
        return
    key, cache = pending
    # By the secret's hash, not the id: a bootstrap key registered again (a new row, the same
    # secret, name and scope) is the same principal.
    now = connection.execute(
        select(ApiKey.name, ApiKey.scope).where(ApiKey.secret_hash == key.secret_hash)
    ).first()
    _refuse_if_changed(None if now is None else (now.name, now.scope), key, cache)


def _refuse_if_changed(now: tuple[str, str] | None, key: KnownKey, cache: KeyCache) -> None:
    if now != (key.name, key.scope):
        cache.forget(key.secret_hash)
        raise Unauthorized("The API key is unknown or has been revoked")


def install(sessions: sessionmaker[Session]) -> None:
    event.listen(sessions, "after_begin", _check_key)
