"""Writes that must survive concurrent clients: inserts that may race, in-place assignment."""

from typing import Any, TypeVar

from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from app.core.errors import Conflict
from app.db.base import utcnow

ObjT = TypeVar("ObjT")


def insert_new(session: Session, obj: ObjT, taken_message: str) -> ObjT:
    """Insert `obj`; a unique key taken meanwhile by a concurrent request is a 409, not a 500.

    The savepoint keeps the rest of the request's transaction usable after the failure.
    """
    try:
        with session.begin_nested():
            session.add(obj)
            session.flush()
    except IntegrityError:
        raise Conflict(taken_message) from None
    return obj


def assign(obj: Any, values: dict[str, Any]) -> None:
    """Set attributes; SQLAlchemy issues no UPDATE (and raises no version) if none changed."""
    for name, value in values.items():
        setattr(obj, name, value)


def touch(obj: Any) -> None:
    """Record a change to `obj`'s children on `obj` itself: new `updated_at`, version + 1.

    An initiative's ETag covers its whole document (components and cells), so that a PMO
    push with If-Match cannot silently overwrite a cell someone edited meanwhile.
    """
    obj.updated_at = utcnow()
