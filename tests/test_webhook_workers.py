"""Several delivery workers at once (threads here, processes in production): no delivery is
claimed or sent by two of them (SELECT ... FOR UPDATE SKIP LOCKED on PostgreSQL, the write
lock on SQLite), and together they send everything once."""

import threading
from collections import Counter
from datetime import UTC, datetime

from app.db.engine import Database
from app.webhooks import service
from app.webhooks.delivery import Attempt, DeliveryPolicy, claim_due, deliver_due
from app.webhooks.outbox import Event, emit_many
from app.webhooks.schemas import WebhookCreate
from tests.receivers import receiver

EVENTS = 60


def _queue(database: Database, url: str) -> None:
    with database.transaction() as session:
        service.create_endpoint(
            session,
            WebhookCreate(url=url, events=["review.opened"]),  # type: ignore[list-item]
            allow_private=True,
        )
    with database.transaction() as session:
        emit_many(session, [Event("review.opened", {"n": n}) for n in range(EVENTS)])


def _together(count: int, work) -> list:  # type: ignore[no-untyped-def, type-arg]
    barrier = threading.Barrier(count)
    results: list = [None] * count  # type: ignore[type-arg]
    errors: list[BaseException] = []

    def run(index: int) -> None:
        try:
            barrier.wait()
            results[index] = work()
        except BaseException as error:  # surfaced below
            errors.append(error)

    threads = [threading.Thread(target=run, args=(i,)) for i in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    assert not errors, errors
    return results


def test_two_workers_claiming_at_once_never_claim_the_same_delivery(database: Database) -> None:
    _queue(database, "http://127.0.0.1:9/unused")
    policy = DeliveryPolicy(batch_size=25, allow_private=True)
    now = datetime.now(UTC)
    claimed: list[Attempt] = []
    for _ in range(3):
        for batch in _together(2, lambda: claim_due(database, now, policy)):
            claimed.extend(batch)
    ids = Counter(attempt.delivery_id for attempt in claimed)
    assert len(ids) == EVENTS and set(ids.values()) == {1}
    assert claim_due(database, now, policy) == []  # every one leased


def test_workers_together_send_every_event_exactly_once(database: Database) -> None:
    with receiver() as hook:
        _queue(database, hook.url)
        policy = DeliveryPolicy(batch_size=7, concurrency=3, allow_private=True)

        def drain() -> int:
            sent = 0
            while (n := deliver_due(database, policy)) > 0:
                sent += n
            return sent

        assert sum(_together(3, drain)) == EVENTS
        received = Counter(hook.ids())
    assert len(received) == EVENTS and set(received.values()) == {1}
