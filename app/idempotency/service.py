"""Idempotency-Key records: claim a key, keep the first answer, replay it.

A record is claimed by inserting it *in flight* (no response yet) in a short transaction of
its own: the unique constraint on (API key, Idempotency-Key) decides which of two concurrent
requests does the work, on PostgreSQL as on SQLite. The answer is stored once the work is
done; an in-flight record older than the lease is taken to be abandoned (a crashed worker).
"""

import hashlib
import json
from dataclasses import dataclass
from datetime import datetime, timedelta
from urllib.parse import parse_qsl

from sqlalchemy import delete, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from app.idempotency.models import IdempotencyRecord

LEASE = timedelta(minutes=5)
PURGE_BATCH = 100
MAX_KEY_LENGTH = 255
# The headers of an answer that are part of it, and so are replayed with it.
KEPT_HEADERS = frozenset(
    {"content-type", "location", "etag", "cache-control", "retry-after", "last-modified"}
)


@dataclass(frozen=True)
class StoredResponse:
    status: int
    headers: list[tuple[str, str]]
    body: bytes


@dataclass(frozen=True)
class Claimed:
    """This request owns the key: do the work, then `complete` or `release`."""

    record_id: int


@dataclass(frozen=True)
class Replay:
    """The key was used for this same request: answer what was answered then."""

    response: StoredResponse


@dataclass(frozen=True)
class Mismatch:
    """The key was used for another request (another body, path or query)."""


@dataclass(frozen=True)
class InFlight:
    """The first request with this key is still being processed."""


ClaimOutcome = Claimed | Replay | Mismatch | InFlight


def is_valid_key(value: str) -> bool:
    """1 to 255 printable ASCII characters."""
    return 0 < len(value) <= MAX_KEY_LENGTH and all(" " <= ch <= "~" for ch in value)


def request_hash(method: str, path: str, query: str, body: bytes) -> str:
    """What makes two requests "the same": method, path, query and body.

    A JSON body is compared as data, so that key order and whitespace do not matter.
    """
    try:
        canonical = json.dumps(
            json.loads(body), sort_keys=True, separators=(",", ":"), ensure_ascii=False
        ).encode()
    except (ValueError, UnicodeDecodeError):
        canonical = body
    digest = hashlib.sha256()
    for part in (method.encode(), path.encode(), repr(sorted(parse_qsl(query, True))).encode()):
        digest.update(part)
        digest.update(b"\0")
    digest.update(canonical)
    return digest.hexdigest()


def claim(
    session: Session,
    *,
    api_key_name: str,
    idempotency_key: str,
    method: str,
    path: str,
    fingerprint: str,
    now: datetime,
    ttl: timedelta,
    lease: timedelta = LEASE,
) -> ClaimOutcome:
    """Claim the key for this request, or say why not. Flushes; the caller commits at once."""
    for _attempt in range(3):
        record = session.scalar(
            select(IdempotencyRecord).where(
                IdempotencyRecord.api_key_name == api_key_name,
                IdempotencyRecord.idempotency_key == idempotency_key,
            )
        )
        if record is None:
            new = IdempotencyRecord(
                api_key_name=api_key_name,
                idempotency_key=idempotency_key,
                method=method,
                path=path,
                request_hash=fingerprint,
                created_at=now,
                expires_at=now + ttl,
            )
            try:
                with session.begin_nested():
                    session.add(new)
                    session.flush()
            except IntegrityError:
                continue  # claimed by a concurrent request meanwhile: look again
            purge_expired(session, now)
            return Claimed(new.id)
        if record.expires_at <= now:
            session.execute(
                delete(IdempotencyRecord).where(
                    IdempotencyRecord.id == record.id, IdempotencyRecord.expires_at <= now
                )
            )
            continue
        if record.request_hash != fingerprint:
            return Mismatch()
        if record.response_status is None:
            if record.created_at > now - lease:
                return InFlight()
            # Abandoned by a worker that died: take it over, unless another request just did.
            taken = session.execute(
                update(IdempotencyRecord)
                .where(
                    IdempotencyRecord.id == record.id,
                    IdempotencyRecord.response_status.is_(None),
                    IdempotencyRecord.created_at == record.created_at,
                )
                .values(created_at=now, expires_at=now + ttl)
                .execution_options(synchronize_session=False)
            )
            if taken.rowcount == 1:  # type: ignore[attr-defined]
                return Claimed(record.id)
            session.expire(record)
            continue
        return Replay(
            StoredResponse(
                status=record.response_status,
                headers=[
                    (name, value) for name, value in json.loads(record.response_headers or "[]")
                ],
                body=record.response_body or b"",
            )
        )
    return InFlight()


def in_flight(session: Session, *, api_key_name: str, idempotency_key: str) -> bool:
    """Whether a request with this key is still being processed (a read: no lock taken)."""
    status = session.execute(
        select(IdempotencyRecord.response_status).where(
            IdempotencyRecord.api_key_name == api_key_name,
            IdempotencyRecord.idempotency_key == idempotency_key,
        )
    ).first()
    return status is not None and status.response_status is None


def complete(session: Session, record_id: int, response: StoredResponse) -> None:
    """Keep the answer of the request that claimed the record, for replays."""
    session.execute(
        update(IdempotencyRecord)
        .where(IdempotencyRecord.id == record_id)
        .values(
            response_status=response.status,
            response_headers=json.dumps(
                [[name, value] for name, value in response.headers if name in KEPT_HEADERS]
            ),
            response_body=response.body,
        )
        .execution_options(synchronize_session=False)
    )


def release(session: Session, record_id: int) -> None:
    """Forget a claim whose answer is not kept (5xx, a secret): the client may retry."""
    session.execute(
        delete(IdempotencyRecord)
        .where(IdempotencyRecord.id == record_id)
        .execution_options(synchronize_session=False)
    )


def purge_expired(session: Session, now: datetime, batch: int = PURGE_BATCH) -> int:
    """Delete up to `batch` expired records; how many were deleted."""
    expired = (
        select(IdempotencyRecord.id)
        .where(IdempotencyRecord.expires_at <= now)
        .order_by(IdempotencyRecord.id)
        .limit(batch)
        .with_for_update(skip_locked=True)
    )
    result = session.execute(
        delete(IdempotencyRecord)
        .where(IdempotencyRecord.id.in_(expired.scalar_subquery()))
        .execution_options(synchronize_session=False)
    )
    return int(result.rowcount)  # type: ignore[attr-defined]
