"""Keyset pagination by key, with opaque cursors bound to the filters they were made for."""

import base64
import binascii
import hashlib
import json
from dataclasses import dataclass
from typing import Any

from sqlalchemy import ColumnElement, Select
from sqlalchemy.orm import InstrumentedAttribute

from app.core.errors import Unprocessable

DEFAULT_LIMIT = 50
MAX_LIMIT = 500
MAX_AFTER_LENGTH = 200


@dataclass(frozen=True)
class PageParams:
    limit: int
    after: str | None
    filters_fingerprint: str


def fingerprint(filters: dict[str, list[str]]) -> str:
    canonical = json.dumps(sorted((k, sorted(v)) for k, v in filters.items()))
    return hashlib.sha256(canonical.encode()).hexdigest()[:16]


def encode_cursor(last_key: str, filters_fingerprint: str) -> str:
    raw = json.dumps({"after": last_key, "f": filters_fingerprint}, separators=(",", ":"))
    return base64.urlsafe_b64encode(raw.encode()).decode().rstrip("=")


def decode_cursor(cursor: str, filters_fingerprint: str) -> str:
    """The key a cursor continues after; 422 for a cursor that is forged or for other filters."""
    try:
        padded = cursor + "=" * (-len(cursor) % 4)
        data = json.loads(base64.urlsafe_b64decode(padded.encode()))
        after, made_for = data["after"], data["f"]
        if not isinstance(after, str) or not isinstance(made_for, str):
            raise ValueError
        # Nothing this service issues is long or holds control characters (PostgreSQL cannot
        # even compare a NUL byte): a cursor that does was made by hand.
        if len(after) > MAX_AFTER_LENGTH or any(ord(ch) < 32 for ch in after):
            raise ValueError
    except (ValueError, KeyError, TypeError, binascii.Error, UnicodeDecodeError):
        raise Unprocessable.at(["query", "cursor"], "is not a cursor this service issued") from None
    if made_for != filters_fingerprint:
        raise Unprocessable.at(
            ["query", "cursor"], "was issued for other filters; start again without a cursor"
        )
    return after


def page_of(
    stmt: Select[Any],
    key_column: ColumnElement[str] | InstrumentedAttribute[str],
    params: PageParams,
) -> Select[Any]:
    """`stmt` narrowed to one page: one row more than the limit tells whether more follow."""
    if params.after is not None:
        stmt = stmt.where(key_column > params.after)
    return stmt.order_by(key_column).limit(params.limit + 1)


def split_page(rows: list[Any], params: PageParams, key_of: Any) -> tuple[list[Any], str | None]:
    """The page's rows and the cursor for the next page (None on the last page)."""
    if len(rows) <= params.limit:
        return rows, None
    rows = rows[: params.limit]
    return rows, encode_cursor(key_of(rows[-1]), params.filters_fingerprint)
