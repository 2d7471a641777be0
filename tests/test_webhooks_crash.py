"""A server killed with SIGKILL between a write's commit and its webhook delivery loses
nothing: the event is in the outbox, and the next server's worker sends it."""

import signal
from pathlib import Path

from standardwebhooks.webhooks import Webhook

from app.db.engine import Database
from app.webhooks import service
from app.webhooks.schemas import WebhookCreate
from tests import builders
from tests.live_server import LiveServer, client, wait_until
from tests.receivers import receiver

SECRET = "webhooks-crash-admin-secret-0123456789"


def test_sigkill_after_commit_still_delivers(
    database: Database, database_url: str, tmp_path: Path
) -> None:
    builders.support_chatbot(database)
    with receiver() as hook:
        with database.transaction() as session:
            _, secret = service.create_endpoint(
                session,
                WebhookCreate(url=hook.url, events=["cell.changed"]),  # type: ignore[list-item]
                allow_private=True,
            )
        settings = {
            "bootstrap_admin_key": SECRET,
            "log_level": "WARNING",
            "webhook_allow_private": "true",
            "webhook_worker": "process",  # the default of `raci serve`
        }
        # The first server's worker looks once, at start, then sleeps for an hour.
        first = LiveServer(database_url, webhook_poll_seconds="3600", **settings).start()
        try:
            with client(first, SECRET) as http:
                path = "/initiatives/support-chatbot/components/nlu/raci/CEO"
                assert http.put(path, json={"raci": "I"}).status_code == 201
            first.signal(signal.SIGKILL)
            assert first.wait() == -signal.SIGKILL
        finally:
            first.stop()
        assert hook.received == []

        second = LiveServer(database_url, webhook_poll_seconds="0.1", **settings).start()
        try:
            wait_until(lambda: len(hook.received) == 1, 30, "the event to be delivered")
        finally:
            second.stop()
        [got] = hook.received
        payload = Webhook(secret).verify(got.body, got.headers)
        assert payload["data"]["role"] == "CEO" and payload["data"]["after"] == "I"
