"""Delivering the outbox: claim due deliveries, sign and send them, record the outcome.

At least once: a delivery stays `pending` until a receiver answers 2xx. Failures are retried
with exponential backoff and jitter (about `retry_base * 2**(n-1)` seconds after the n-th
failed attempt, at most `retry_max`); a delivery older than `disable_after` is given up
(`failed`), and an endpoint whose deliveries only failed for `disable_after` is disabled.
Requests are signed per Standard Webhooks (`webhook-id`, `webhook-timestamp`,
`webhook-signature`: HMAC-SHA256) by the `standardwebhooks` library.

Claims make several workers safe together: a claim sets a lease (`claimed_until`) in its own
short transaction, taking due rows with `SELECT ... FOR UPDATE SKIP LOCKED` on PostgreSQL
(app.db.dialect.skip_locked), so no two workers ever send one delivery at once. Nothing is
sent inside a database transaction, and nothing here runs in a request: a receiver that
hangs or fails never slows a write. By default the worker is a child process of the server
(`WorkerProcess`, `raci webhooks work`), so that signing and sending do not compete with
requests for the server process's interpreter; `RACI_WEBHOOK_WORKER=thread` runs it as a
thread of the server instead (`DeliveryWorker`), woken at once by a commit that queued.
"""

import json
import logging
import os
import random
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
from sqlalchemy import delete, exists, or_, select, update
from sqlalchemy.orm import Session
from standardwebhooks.webhooks import Webhook

from app.core.config import Settings
from app.db.base import utcnow
from app.db.dialect import skip_locked
from app.db.engine import Database
from app.webhooks.events import sweep_kpi_statuses
from app.webhooks.models import WebhookDelivery, WebhookEndpoint, WebhookEvent
from app.webhooks.outbox import DELIVERIES_QUEUED
from app.webhooks.urls import RefusedUrl, check_url

log = logging.getLogger("raci.webhooks")

USER_AGENT = "raci-tracker-webhooks/1"
_GATHER_SECONDS = 0.05
_ERROR_MAX = 1000


@dataclass(frozen=True)
class DeliveryPolicy:
    """How deliveries are sent and retried (the `RACI_WEBHOOK_*` settings)."""

    timeout_seconds: float = 5.0
    batch_size: int = 20
    concurrency: int = 4
    retry_base_seconds: float = 5.0
    retry_max_seconds: float = 3600.0
    disable_after: timedelta = timedelta(days=5)
    allow_private: bool = False

    @classmethod
    def from_settings(cls, settings: Settings) -> "DeliveryPolicy":
        return cls(
            timeout_seconds=settings.webhook_timeout_seconds,
            batch_size=settings.webhook_batch_size,
            concurrency=settings.webhook_concurrency,
            retry_base_seconds=settings.webhook_retry_base_seconds,
            retry_max_seconds=settings.webhook_retry_max_seconds,
            disable_after=timedelta(days=settings.webhook_disable_after_days),
            allow_private=settings.webhook_allow_private,
        )

    @property
    def lease(self) -> timedelta:
        """How long a claim holds a delivery: past the request's timeout, with room."""
        return timedelta(seconds=self.timeout_seconds + 30)


@dataclass(frozen=True)
class Attempt:
    """A claimed delivery, with what sending it needs."""

    delivery_id: str
    endpoint_id: str
    event_id: str
    url: str
    secret: str
    payload: dict[str, Any]
    attempts: int
    created_at: datetime


@dataclass(frozen=True)
class Outcome:
    """What one attempt got: the receiver's status code (None: no answer) and an error."""

    status_code: int | None
    error: str | None

    @property
    def ok(self) -> bool:
        return self.status_code is not None and 200 <= self.status_code < 300


def backoff(attempts: int, policy: DeliveryPolicy, rng: Callable[[], float]) -> timedelta:
    """The wait after the `attempts`-th failed attempt: half of the exponential delay plus a
    random part of the other half ("equal jitter"), so that retries do not come in waves."""
    delay = min(policy.retry_max_seconds, policy.retry_base_seconds * 2 ** max(attempts - 1, 0))
    return timedelta(seconds=delay / 2 + rng() * delay / 2)


def claim_due(database: Database, now: datetime, policy: DeliveryPolicy) -> list[Attempt]:
    """Claim up to `batch_size` deliveries due at `now` (pending, enabled endpoint, no live
    lease), oldest first, for `policy.lease`; in one short transaction, taken only when a
    read finds something due (an idle worker never queues for SQLite's write lock)."""
    due = (
        WebhookDelivery.status == "pending",
        WebhookDelivery.next_attempt_at <= now,
        or_(WebhookDelivery.claimed_until.is_(None), WebhookDelivery.claimed_until < now),
        WebhookEndpoint.enabled.is_(True),
    )
    with database.transaction(write=False) as session:
        first = session.scalar(
            select(WebhookDelivery.id)
            .join(WebhookEndpoint, WebhookEndpoint.id == WebhookDelivery.endpoint_id)
            .where(*due)
            .limit(1)
        )
        if first is None:
            return []
    with database.transaction() as session:
        stmt = (
            select(
                WebhookDelivery.id,
                WebhookDelivery.endpoint_id,
                WebhookDelivery.event_id,
                WebhookDelivery.attempts,
                WebhookDelivery.created_at,
            )
            .join(WebhookEndpoint, WebhookEndpoint.id == WebhookDelivery.endpoint_id)
            .where(*due)
            .order_by(WebhookDelivery.next_attempt_at, WebhookDelivery.id)
            .limit(policy.batch_size)
        )
        rows = session.execute(skip_locked(session, stmt, WebhookDelivery)).all()
        if not rows:
            return []
        session.execute(
            update(WebhookDelivery)
            .where(WebhookDelivery.id.in_([row.id for row in rows]))
            .values(claimed_until=now + policy.lease)
        )
        endpoints = {
            row.id: (row.url, row.secret)
            for row in session.execute(
                select(WebhookEndpoint.id, WebhookEndpoint.url, WebhookEndpoint.secret).where(
                    WebhookEndpoint.id.in_({row.endpoint_id for row in rows})
                )
            )
        }
        payloads: dict[str, dict[str, Any]] = {
            event_id: payload
            for event_id, payload in session.execute(
                select(WebhookEvent.id, WebhookEvent.payload).where(
                    WebhookEvent.id.in_({row.event_id for row in rows})
                )
            )
        }
    return [
        Attempt(
            delivery_id=row.id,
            endpoint_id=row.endpoint_id,
            event_id=row.event_id,
            url=endpoints[row.endpoint_id][0],
            secret=endpoints[row.endpoint_id][1],
            payload=payloads[row.event_id],
            attempts=row.attempts,
            created_at=row.created_at,
        )
        for row in rows
    ]


def signed_request(attempt: Attempt, sent_at: datetime) -> tuple[bytes, dict[str, str]]:
    """The body and the headers of one attempt, signed per Standard Webhooks at `sent_at`
    (the real time: receivers reject timestamps more than five minutes off)."""
    body = json.dumps(attempt.payload, separators=(",", ":"), ensure_ascii=False)
    signature = Webhook(attempt.secret).sign(attempt.event_id, sent_at, body)
    headers = {
        "content-type": "application/json",
        "user-agent": USER_AGENT,
        "webhook-id": attempt.event_id,
        "webhook-timestamp": str(int(sent_at.timestamp())),
        "webhook-signature": signature,
    }
    return body.encode(), headers


def send(client: httpx.Client, attempt: Attempt, policy: DeliveryPolicy) -> Outcome:
    """POST one attempt; never raises for what a receiver or the network does. The URL is
    checked again first: its host may resolve elsewhere since it was registered."""
    try:
        check_url(attempt.url, allow_private=policy.allow_private)
    except RefusedUrl as refused:
        return Outcome(None, f"refused: the URL {refused}")
    body, headers = signed_request(attempt, datetime.now(UTC))
    try:
        response = client.post(
            attempt.url, content=body, headers=headers, timeout=policy.timeout_seconds
        )
    except httpx.HTTPError as error:
        return Outcome(None, f"{type(error).__name__}: {error}"[:_ERROR_MAX] or "no answer")
    if 200 <= response.status_code < 300:
        return Outcome(response.status_code, None)
    return Outcome(response.status_code, f"answered {response.status_code}: {response.text[:200]}")


def record_outcomes(
    database: Database,
    outcomes: Sequence[tuple[Attempt, Outcome]],
    now: datetime,
    policy: DeliveryPolicy,
    rng: Callable[[], float] = random.random,
) -> None:
    """Write a round's outcomes in one transaction (one write, not one per delivery: on
    SQLite every write queues for the one write lock the requests need too).

    Each delivery is delivered; or retried later; or given up (older than
    `disable_after`). An endpoint's run of failures ends with a success in the round, or
    starts with its first failure; one that only failed for `disable_after` is disabled (an
    audited change, by `system`)."""
    if not outcomes:
        return
    rows = []
    succeeded: set[str] = set()
    failed: dict[str, str | None] = {}
    for attempt, outcome in outcomes:
        attempts = attempt.attempts + 1
        row: dict[str, Any] = {
            "id": attempt.delivery_id,
            "attempts": attempts,
            "last_attempt_at": now,
            "last_status_code": outcome.status_code,
            "last_error": outcome.error,
            "claimed_until": None,
        }
        if outcome.ok:
            row |= {"status": "delivered", "delivered_at": now, "next_attempt_at": None}
            succeeded.add(attempt.endpoint_id)
        else:
            given_up = attempt.created_at + policy.disable_after <= now
            row |= {
                "status": "failed" if given_up else "pending",
                "delivered_at": None,
                "next_attempt_at": None if given_up else now + backoff(attempts, policy, rng),
            }
            failed[attempt.endpoint_id] = outcome.error
        rows.append(row)
    only_failed = {e: error for e, error in failed.items() if e not in succeeded}
    days = f"{policy.disable_after.total_seconds() / 86400:g}"
    with database.transaction() as session:
        session.execute(update(WebhookDelivery), rows)
        if succeeded:
            session.execute(
                update(WebhookEndpoint)
                .where(
                    WebhookEndpoint.id.in_(succeeded), WebhookEndpoint.failing_since.is_not(None)
                )
                .values(failing_since=None)
            )
        if not only_failed:
            return
        session.execute(
            update(WebhookEndpoint)
            .where(WebhookEndpoint.id.in_(only_failed), WebhookEndpoint.failing_since.is_(None))
            .values(failing_since=now)
        )
        for endpoint_id, error in only_failed.items():
            session.execute(
                update(WebhookEndpoint)
                .where(
                    WebhookEndpoint.id == endpoint_id,
                    WebhookEndpoint.enabled.is_(True),
                    WebhookEndpoint.failing_since <= now - policy.disable_after,
                )
                .values(
                    enabled=False,
                    disabled_reason=(
                        f"disabled at {now.isoformat(timespec='seconds')}: every delivery "
                        f"failed for {days} days; last: {error}"
                    )[:500],
                    version=WebhookEndpoint.version + 1,
                    updated_at=now,
                )
            )


def deliver_due(
    database: Database,
    policy: DeliveryPolicy,
    now: datetime | None = None,
    *,
    client: httpx.Client | None = None,
    rng: Callable[[], float] = random.random,
) -> int:
    """One round: claim the deliveries due at `now` (default: the time now), send them
    (`concurrency` at once), record the outcomes. The number of attempts made.

    `now` drives scheduling only (claims, backoff, disabling): tests pass a fake clock;
    signatures always carry the real time."""
    now = now or utcnow()
    attempts = claim_due(database, now, policy)
    if not attempts:
        return 0
    own_client = client is None
    http = client or httpx.Client(follow_redirects=False)
    try:

        def one(attempt: Attempt) -> tuple[Attempt, Outcome]:
            return attempt, send(http, attempt, policy)

        if len(attempts) == 1 or policy.concurrency == 1:
            outcomes = [one(attempt) for attempt in attempts]
        else:
            with ThreadPoolExecutor(min(policy.concurrency, len(attempts))) as pool:
                outcomes = list(pool.map(one, attempts))
    finally:
        if own_client:
            http.close()
    record_outcomes(database, outcomes, now, policy, rng)
    return len(attempts)


def purge(session: Session, before: datetime) -> int:
    """Forget deliveries delivered or given up that were made before `before`, and the
    events left with no delivery: the number of deliveries removed. Pending ones stay."""
    result = session.execute(
        delete(WebhookDelivery).where(
            WebhookDelivery.status != "pending", WebhookDelivery.created_at < before
        )
    )
    removed = result.rowcount  # type: ignore[attr-defined]
    session.execute(
        delete(WebhookEvent).where(
            WebhookEvent.created_at < before,
            ~exists().where(WebhookDelivery.event_id == WebhookEvent.id),
        )
    )
    return int(removed or 0)


class DeliveryWorker:
    """A thread beside the server: delivers what is due every `poll_seconds`, and at once
    after a round that found work or a commit of this process that queued deliveries. Every
    `kpi_sweep_seconds` it announces the KPI statuses time changed and forgets deliveries
    older than the retention. `stop` ends it after the round under way."""

    def __init__(self, database: Database, settings: Settings) -> None:
        self.database = database
        self.policy = DeliveryPolicy.from_settings(settings)
        self.poll_seconds = settings.webhook_poll_seconds
        self.kpi_sweep_seconds = settings.webhook_kpi_sweep_seconds
        self.retention = timedelta(days=settings.webhook_retention_days)
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="raci-webhooks", daemon=True)

    def start(self) -> "DeliveryWorker":
        self._thread.start()
        return self

    def stop(self, timeout: float = 10.0) -> None:
        self._stop.set()
        DELIVERIES_QUEUED.set()
        self._thread.join(timeout)

    def _run(self) -> None:
        next_sweep = time.monotonic()
        with httpx.Client(follow_redirects=False) as client:
            while not self._stop.is_set():
                # Cleared before the round: a commit during it makes the wait below return.
                DELIVERIES_QUEUED.clear()
                busy = False
                try:
                    if time.monotonic() >= next_sweep:
                        next_sweep = time.monotonic() + self.kpi_sweep_seconds
                        with self.database.transaction() as session:
                            sweep_kpi_statuses(session, utcnow().date())
                            purge(session, utcnow() - self.retention)
                    busy = deliver_due(self.database, self.policy, client=client) > 0
                except Exception:
                    # A database that is busy or away: the next round tries again.
                    log.exception("webhook delivery round failed")
                if not busy and DELIVERIES_QUEUED.wait(self.poll_seconds):
                    # Woken by a commit: a moment more gathers a burst into one round.
                    self._stop.wait(_GATHER_SECONDS)


class WorkerProcess:
    """`raci webhooks work` as a child process of the server; it exits with its parent."""

    def __init__(self, settings: Settings) -> None:
        passed = {
            name: value
            for name, value in settings.model_dump().items()
            if name.startswith("webhook_")
            or name in {"database_url", "sqlite_busy_timeout_ms", "lock_timeout_ms", "log_level"}
        }
        environment = os.environ | {
            f"RACI_{name.upper()}": str(value).lower() if isinstance(value, bool) else str(value)
            for name, value in passed.items()
        }
        environment["RACI_WEBHOOK_WORKER"] = "thread"
        self._process = subprocess.Popen(  # noqa: S603 (our own interpreter and module)
            # Its parent's id, not read by the child: the server may be gone before the
            # child has started.
            [sys.executable, "-m", "app.cli", "webhooks", "work", "--parent", str(os.getpid())],
            env=environment,
            stdin=subprocess.DEVNULL,
        )

    def stop(self, timeout: float = 10.0) -> None:
        if self._process.poll() is None:
            self._process.terminate()
            try:
                self._process.wait(timeout)
            except subprocess.TimeoutExpired:
                self._process.kill()
                self._process.wait()


def start_delivery_worker(
    database: Database, settings: Settings
) -> DeliveryWorker | WorkerProcess | None:
    """The delivery worker the settings ask for, started (the application's lifespan calls
    this): a child process (`RACI_WEBHOOK_WORKER=process`, the default), a thread of this
    process (`thread`), or none (`off`). Stop it with `stop()`."""
    if settings.webhook_worker == "off":
        return None
    if settings.webhook_worker == "process":
        return WorkerProcess(settings)
    return DeliveryWorker(database, settings).start()
