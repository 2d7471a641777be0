"""A lock a request's transaction takes as it begins, held until it ends.

A PUT creates its resource when it does not exist. Two PUTs of the same new key at once
would both find nothing and both insert; on PostgreSQL the second insert then fails on
the unique key. Taking a lock named after the resource first makes them take turns: the
second begins its work once the first has committed, finds the resource and replaces it
(200), exactly as SQLite's single writer already makes it. `dialect.lock_transaction`
says how (an advisory lock on PostgreSQL, nothing on SQLite).
"""

from typing import Any

from sqlalchemy import event
from sqlalchemy.orm import Session, sessionmaker

from app.db import dialect

_LOCK = "lock_on_begin"


def lock_on_begin(session: Session, name: str) -> None:
    """Have `session`'s transaction take the lock `name` as it begins. The session must not
    have begun yet (the request's session begins lazily, at its first statement)."""
    if session.in_transaction():
        raise RuntimeError("the lock must be asked for before the session begins")
    session.info[_LOCK] = name


def _take(session: Session, _transaction: Any, connection: Any) -> None:
    name = session.info.pop(_LOCK, None)
    if name is not None:
        dialect.lock_transaction(connection, name)


def install(sessions: sessionmaker[Session]) -> None:
    event.listen(sessions, "after_begin", _take)
