"""Webhook endpoints over HTTP (admin), and the events they receive end to end: the outbox
written with the change, signed deliveries to a receiver on 127.0.0.1, retries, the
delivery log, redelivery and disabling. Workers are driven with a fake clock."""

import json
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import func, select
from standardwebhooks.webhooks import Webhook

from app.core.config import Settings
from app.db.engine import Database
from app.main import create_app
from app.raci.models import RaciCell
from app.webhooks.delivery import DeliveryPolicy, deliver_due, purge
from app.webhooks.models import WebhookEvent
from app.webhooks.outbox import emit
from tests import builders
from tests.conftest import ADMIN_SECRET
from tests.live_server import wait_until
from tests.problems import assert_problem, error_locs
from tests.receivers import Receiver, receiver

POLICY = DeliveryPolicy(allow_private=True, timeout_seconds=2.0, concurrency=2)
CRM = "/initiatives/support-chatbot/components/crm-feed/raci"


@pytest.fixture
def chatbot(database: Database) -> Database:
    """nlu: CIO=AR, CMO=C; persona: CMO=A, CDO=R; crm-feed: CIO=A, CDO=A, CMO=I."""
    builders.support_chatbot(database)
    return database


@pytest.fixture
def hook() -> Iterator[Receiver]:
    with receiver() as r:
        yield r


def register(admin: TestClient, url: str, events: list[str], **fields: Any) -> dict[str, Any]:
    response = admin.post("/webhooks", json={"url": url, "events": events, **fields})
    assert response.status_code == 201, response.text
    body: dict[str, Any] = response.json()
    return body


def later(**delta: float) -> datetime:
    return datetime.now(UTC) + timedelta(**delta)


def deliveries(admin: TestClient, endpoint_id: str) -> list[dict[str, Any]]:
    response = admin.get(f"/webhooks/{endpoint_id}/deliveries")
    assert response.status_code == 200, response.text
    items: list[dict[str, Any]] = response.json()["items"]
    return items


def event_count(database: Database) -> int:
    with database.transaction(write=False) as session:
        return session.scalar(select(func.count()).select_from(WebhookEvent)) or 0


# --- the resource --------------------------------------------------------------------------


def test_register_shows_the_secret_once(admin: TestClient, hook: Receiver) -> None:
    response = admin.post(
        "/webhooks",
        json={"url": hook.url, "events": ["cell.changed"], "roles": ["cio"], "description": "x"},
    )
    assert response.status_code == 201, response.text
    created = response.json()
    assert created["secret"].startswith("whsec_")
    Webhook(created["secret"])  # a secret the library accepts
    assert created["roles"] == ["CIO"] and created["enabled"] is True
    assert response.headers["location"] == f"/api/v1/webhooks/{created['id']}"
    one = admin.get(f"/webhooks/{created['id']}")
    assert one.status_code == 200 and one.headers["etag"] == '"1"'
    assert "secret" not in one.json()
    listed = admin.get("/webhooks").json()
    assert [e["id"] for e in listed["items"]] == [created["id"]]
    assert "secret" not in listed["items"][0]
    audit = admin.get("/audit", params={"resource_type": "webhook"}).json()
    assert audit["items"][0]["after"]["url"] == hook.url
    assert created["secret"] not in json.dumps(audit)


def test_patch_and_delete(admin: TestClient, hook: Receiver) -> None:
    created = register(admin, hook.url, ["cell.changed"], roles=["CIO"])
    path = f"/webhooks/{created['id']}"
    changed = admin.patch(path, json={"events": ["kpi.status_changed"], "roles": None})
    assert changed.status_code == 200, changed.text
    assert changed.json()["events"] == ["kpi.status_changed"] and changed.json()["roles"] == []
    assert changed.json()["version"] == 2
    assert_problem(admin.patch(path, json={"enabled": False}, headers={"If-Match": '"1"'}), 412)
    assert_problem(admin.patch(path, json={"events": None}), 422)
    assert_problem(admin.delete(path, headers={"If-Match": '"1"'}), 412)
    assert admin.delete(path).status_code == 204
    assert_problem(admin.get(path), 404)
    assert_problem(admin.delete(path), 404)


@pytest.mark.parametrize(
    ("body", "loc"),
    [
        ({"url": "ftp://example.com/x", "events": ["cell.changed"]}, ["body", "url"]),
        ({"url": "http://", "events": ["cell.changed"]}, ["body", "url"]),
        ({"url": "https://example.com", "events": []}, ["body", "events"]),
        ({"url": "https://example.com", "events": ["cell.moved"]}, ["body", "events", 0]),
        ({"url": "https://example.com", "events": ["cell.changed"], "roles": ["NOPE"]}, None),
        ({"url": "https://example.com", "events": ["cell.changed"], "secret": "x"}, None),
        ({"events": ["cell.changed"]}, ["body", "url"]),
    ],
)
def test_bad_registrations_are_422_and_change_nothing(
    admin: TestClient, body: dict[str, Any], loc: list[Any] | None
) -> None:
    response = admin.post("/webhooks", json=body)
    assert_problem(response, 422)
    if loc is not None:
        assert loc in error_locs(response)
    assert admin.get("/webhooks").json()["items"] == []


def test_unknown_role_is_named(admin: TestClient) -> None:
    response = admin.post(
        "/webhooks",
        json={"url": "http://127.0.0.1:9/x", "events": ["cell.changed"], "roles": ["CIO", "ZZ"]},
    )
    body = assert_problem(response, 422)
    assert body["errors"][0]["loc"] == ["body", "roles", 1] and "ZZ" in body["errors"][0]["msg"]


def test_only_admins_manage_webhooks(client: TestClient, reader: TestClient) -> None:
    for http in (client, reader):
        assert_problem(http.get("/webhooks"), 403)
        assert_problem(
            http.post("/webhooks", json={"url": "http://127.0.0.1/", "events": ["cell.changed"]}),
            403,
        )


@pytest.fixture
def strict_admin(settings: Settings, database: Database) -> Iterator[TestClient]:
    """An admin client of a server that refuses private webhook URLs (the default)."""
    app: FastAPI = create_app(
        settings.model_copy(update={"webhook_allow_private": False}), database
    )
    with TestClient(
        app,
        base_url="http://testserver/api/v1",
        headers={"Authorization": f"Bearer {ADMIN_SECRET}"},
    ) as http:
        yield http


@pytest.mark.parametrize(
    "url",
    [
        "http://127.0.0.1:8080/hook",
        "http://localhost/hook",
        "https://10.1.2.3/hook",
        "http://192.168.0.10/hook",
        "http://169.254.169.254/latest/meta-data",
        "http://[::1]/hook",
        "http://[fe80::1]/hook",
        "http://0.0.0.0/hook",
    ],
)
def test_private_urls_are_refused_by_default(strict_admin: TestClient, url: str) -> None:
    response = strict_admin.post("/webhooks", json={"url": url, "events": ["cell.changed"]})
    body = assert_problem(response, 422, detail_contains=url)
    assert body["errors"][0]["loc"] == ["body", "url"]
    assert "RACI_WEBHOOK_ALLOW_PRIVATE" in body["detail"]
    assert strict_admin.get("/webhooks").json()["items"] == []


def test_a_public_address_is_accepted(strict_admin: TestClient) -> None:
    created = strict_admin.post(
        "/webhooks", json={"url": "https://93.184.216.34/hook", "events": ["cell.changed"]}
    )
    assert created.status_code == 201, created.text
    path = f"/webhooks/{created.json()['id']}"
    moved = strict_admin.patch(path, json={"url": "http://10.0.0.1/"})
    assert_problem(moved, 422, detail_contains="http://10.0.0.1/")


def test_private_url_is_refused_at_delivery_too(
    admin: TestClient, client: TestClient, chatbot: Database, hook: Receiver
) -> None:
    """Registered while allowed (or before DNS changed), refused when sending: no request."""
    created = register(admin, hook.url, ["cell.changed"])
    assert client.put(f"{CRM}/CEO", json={"raci": "I"}).status_code == 201
    strict = DeliveryPolicy(allow_private=False)
    assert deliver_due(chatbot, strict) == 1
    assert hook.received == []
    [log] = deliveries(admin, created["id"])
    assert log["status"] == "pending" and log["last_status_code"] is None
    assert "private" in log["last_error"]


# --- delivery ------------------------------------------------------------------------------


def test_a_cell_change_is_delivered_signed(
    admin: TestClient, client: TestClient, chatbot: Database, hook: Receiver
) -> None:
    created = register(admin, hook.url, ["cell.changed"])
    assert client.put(f"{CRM}/CIO", json={"raci": "A/R"}).status_code == 200
    [pending] = deliveries(admin, created["id"])
    assert pending["status"] == "pending" and pending["attempts"] == 0
    assert hook.received == []  # nothing is sent in the request

    assert deliver_due(chatbot, POLICY) == 1
    [got] = hook.received
    payload = Webhook(created["secret"]).verify(got.body, got.headers)
    assert got.headers["webhook-id"] == pending["event_id"]
    assert payload["type"] == "cell.changed"
    data = payload["data"]
    assert (data["initiative"], data["component"], data["role"]) == (
        "support-chatbot",
        "crm-feed",
        "CIO",
    )
    assert (data["before"], data["after"], data["action"]) == ("A", "AR", "update")
    assert data["actor"] == "pmo-tool"
    assert data["states"]["after"]["raci"] == "AR"
    [done] = deliveries(admin, created["id"])
    assert done["status"] == "delivered" and done["last_status_code"] == 200
    assert done["attempts"] == 1 and done["delivered_at"] and done["next_attempt_at"] is None
    assert deliver_due(chatbot, POLICY) == 0  # delivered once


def test_a_tampered_body_does_not_verify(
    admin: TestClient, client: TestClient, chatbot: Database, hook: Receiver
) -> None:
    created = register(admin, hook.url, ["cell.changed"])
    client.delete(f"{CRM}/CMO")
    deliver_due(chatbot, POLICY)
    [got] = hook.received
    assert json.loads(got.body)["data"]["after"] is None
    with pytest.raises(Exception, match="signature"):
        Webhook(created["secret"]).verify(got.body.replace(b"CMO", b"CEO"), got.headers)


def test_every_write_path_raises_cell_changed(
    admin: TestClient, client: TestClient, chatbot: Database, hook: Receiver
) -> None:
    """A document PUT and an import reach the outbox as a cell PUT does."""
    register(admin, hook.url, ["cell.changed"])
    document = client.get("/initiatives/support-chatbot", params={"expand": "components"}).json()
    for component in document["components"]:
        if component["key"] == "nlu":
            component["raci"] = {"CIO": "AR", "CMO": "I", "CEO": "C"}
    assert client.put("/initiatives/support-chatbot", json=document).status_code == 200
    deliver_due(chatbot, POLICY)
    changes = sorted(
        (json.loads(r.body)["data"]["role"], json.loads(r.body)["data"]["after"])
        for r in hook.received
    )
    assert changes == [("CEO", "C"), ("CMO", "I")]


def test_a_rolled_back_write_emits_nothing(
    admin: TestClient, chatbot: Database, hook: Receiver
) -> None:
    register(admin, hook.url, ["cell.changed", "review.opened"])
    with pytest.raises(RuntimeError), chatbot.transaction() as session:
        component_id = session.scalar(select(RaciCell.component_id).where(RaciCell.role == "CIO"))
        session.add(RaciCell(component_id=component_id, role="CEO", raci="I"))
        session.flush()
        emit(session, "review.opened", {"review": "q4"})
        raise RuntimeError("the write fails after its events were written")
    assert event_count(chatbot) == 0
    assert deliver_due(chatbot, POLICY) == 0 and hook.received == []
    with chatbot.transaction() as session:
        emit(session, "review.opened", {"review": "q4"})
    assert event_count(chatbot) == 1


def test_a_failed_request_emits_nothing(
    admin: TestClient, client: TestClient, chatbot: Database, hook: Receiver
) -> None:
    register(admin, hook.url, ["cell.changed"])
    stale = client.put(f"{CRM}/CIO", json={"raci": "R"}, headers={"If-Match": '"9"'})
    assert_problem(stale, 412)
    assert_problem(client.put(f"{CRM}/CIO", json={"raci": "X"}), 422)
    assert event_count(chatbot) == 0


def test_a_receiver_down_for_a_while_gets_every_event(
    admin: TestClient, client: TestClient, chatbot: Database, hook: Receiver
) -> None:
    created = register(admin, hook.url, ["cell.changed"])
    hook.status = 503
    for role, raci in (("CEO", "I"), ("CMO", "C"), ("CDO", "R")):
        assert client.put(f"{CRM}/{role}", json={"raci": raci}).status_code in (200, 201)
    start = datetime.now(UTC)
    assert deliver_due(chatbot, POLICY, start) == 3
    failed = deliveries(admin, created["id"])
    assert {d["last_status_code"] for d in failed} == {503}
    assert all(d["status"] == "pending" and d["attempts"] == 1 for d in failed)
    first_retry = min(datetime.fromisoformat(d["next_attempt_at"]) for d in failed)
    assert first_retry >= start + timedelta(seconds=POLICY.retry_base_seconds / 2)
    assert deliver_due(chatbot, POLICY, start) == 0  # not due yet
    # Still down an hour and more later: the waits grow.
    for hours in (1, 2, 4):
        assert deliver_due(chatbot, POLICY, start + timedelta(hours=hours)) == 3
    assert {d["attempts"] for d in deliveries(admin, created["id"])} == {4}
    assert admin.get(f"/webhooks/{created['id']}").json()["failing_since"] is not None

    hook.status = 200
    assert deliver_due(chatbot, POLICY, start + timedelta(hours=6)) == 3
    event_ids = {d["event_id"] for d in deliveries(admin, created["id"])}
    delivered = [r.headers["webhook-id"] for r in hook.received if r is not None]
    assert event_ids <= set(delivered)
    assert all(d["status"] == "delivered" for d in deliveries(admin, created["id"]))
    assert admin.get(f"/webhooks/{created['id']}").json()["failing_since"] is None


def test_a_receiver_that_never_answers_is_a_failure_with_no_status(
    admin: TestClient, client: TestClient, chatbot: Database
) -> None:
    created = register(admin, "http://127.0.0.1:9/closed", ["cell.changed"])
    client.put(f"{CRM}/CEO", json={"raci": "I"})
    assert deliver_due(chatbot, POLICY) == 1
    [log] = deliveries(admin, created["id"])
    assert log["status"] == "pending" and log["last_status_code"] is None
    assert log["last_error"]


def test_a_hanging_receiver_times_out(
    admin: TestClient, client: TestClient, chatbot: Database, hook: Receiver
) -> None:
    created = register(admin, hook.url, ["cell.changed"])
    hook.delay = 1.0
    client.put(f"{CRM}/CEO", json={"raci": "I"})
    assert deliver_due(chatbot, DeliveryPolicy(allow_private=True, timeout_seconds=0.2)) == 1
    [log] = deliveries(admin, created["id"])
    assert log["status"] == "pending" and "Timeout" in log["last_error"]


def test_endpoint_failing_for_days_is_disabled_and_can_be_enabled(
    admin: TestClient, client: TestClient, chatbot: Database, hook: Receiver
) -> None:
    created = register(admin, hook.url, ["cell.changed"])
    path = f"/webhooks/{created['id']}"
    hook.status = 500
    client.put(f"{CRM}/CEO", json={"raci": "I"})
    start = datetime.now(UTC)
    deliver_due(chatbot, POLICY, start)
    deliver_due(chatbot, POLICY, start + timedelta(days=4))
    assert admin.get(path).json()["enabled"] is True
    deliver_due(chatbot, POLICY, start + timedelta(days=5, minutes=1))
    endpoint = admin.get(path).json()
    assert endpoint["enabled"] is False and "500" in endpoint["disabled_reason"]
    entry = admin.get("/audit", params={"resource_type": "webhook"}).json()["items"][-1]
    assert entry["actor"] == "system" and entry["after"]["enabled"] is False
    # Disabled: nothing new is queued for it, nothing old is sent.
    client.put(f"{CRM}/CEO", json={"raci": "C"})
    [log] = deliveries(admin, created["id"])
    assert log["status"] == "failed"  # older than the grace period: given up
    assert_problem(admin.post(f"{path}/deliveries/{log['id']}/redeliver"), 409)

    hook.status = 200
    enabled = admin.patch(path, json={"enabled": True}).json()
    assert enabled["enabled"] is True and enabled["failing_since"] is None
    assert admin.post(f"{path}/deliveries/{log['id']}/redeliver").status_code == 202
    assert deliver_due(chatbot, POLICY, start + timedelta(days=6)) == 1
    assert deliveries(admin, created["id"])[0]["status"] == "delivered"


def test_redeliver_sends_the_same_event_again(
    admin: TestClient, client: TestClient, chatbot: Database, hook: Receiver
) -> None:
    created = register(admin, hook.url, ["cell.changed"])
    client.put(f"{CRM}/CEO", json={"raci": "I"})
    deliver_due(chatbot, POLICY)
    [log] = deliveries(admin, created["id"])
    path = f"/webhooks/{created['id']}/deliveries/{log['id']}/redeliver"
    queued = admin.post(path)
    assert queued.status_code == 202 and queued.json()["status"] == "pending"
    assert deliver_due(chatbot, POLICY) == 1
    assert hook.ids() == [log["event_id"], log["event_id"]]
    assert_problem(
        admin.post(f"/webhooks/{created['id']}/deliveries/dlv_{'0' * 26}/redeliver"), 404
    )
    assert_problem(admin.post(f"/webhooks/{created['id']}/deliveries/nope/redeliver"), 422)


def test_deleting_an_endpoint_drops_what_it_had_pending(
    admin: TestClient, client: TestClient, chatbot: Database, hook: Receiver
) -> None:
    created = register(admin, hook.url, ["cell.changed"])
    client.put(f"{CRM}/CEO", json={"raci": "I"})
    assert admin.delete(f"/webhooks/{created['id']}").status_code == 204
    assert deliver_due(chatbot, POLICY) == 0 and hook.received == []


# --- routing by letter ---------------------------------------------------------------------


def test_cell_changes_go_to_informed_roles_and_unbound_endpoints(
    admin: TestClient, client: TestClient, chatbot: Database
) -> None:
    with receiver() as everything, receiver() as cmo, receiver() as cio, receiver() as ceo:
        register(admin, everything.url, ["cell.changed"])
        register(admin, cmo.url, ["cell.changed"], roles=["CMO"])  # I on crm-feed
        register(admin, cio.url, ["cell.changed"], roles=["CIO"])  # A on crm-feed
        register(admin, ceo.url, ["cell.changed"], roles=["CEO"])
        client.put(f"{CRM}/CDO", json={"raci": "R"})  # crm-feed
        client.put("/initiatives/support-chatbot/components/nlu/raci/CDO", json={"raci": "C"})
        # Taken off as informed: the role hears of it.
        client.put(f"{CRM}/CEO", json={"raci": "I"})
        client.delete(f"{CRM}/CEO")
        deliver_due(chatbot, POLICY)

        def seen(r: Receiver) -> list[tuple[str, str | None, str | None]]:
            return [
                (
                    json.loads(x.body)["data"]["component"],
                    json.loads(x.body)["data"]["role"],
                    json.loads(x.body)["data"]["after"],
                )
                for x in sorted(r.received, key=lambda x: x.headers["webhook-id"])
            ]

        assert len(everything.received) == 4
        assert seen(cmo) == [
            ("crm-feed", "CDO", "R"),
            ("crm-feed", "CEO", "I"),
            ("crm-feed", "CEO", None),
        ]
        assert seen(cio) == []
        assert seen(ceo) == [("crm-feed", "CEO", "I"), ("crm-feed", "CEO", None)]


def test_kpi_status_changes_are_announced(
    admin: TestClient, client: TestClient, chatbot: Database, hook: Receiver
) -> None:
    created = register(admin, hook.url, ["kpi.status_changed"])
    kpi = {
        "key": "csat",
        "name": "Customer satisfaction",
        "baseline": 0,
        "baseline_date": "2026-01-01",
        "target": 100,
        "target_date": "2027-12-31",
        "owners": ["CMO"],
        "initiatives": ["support-chatbot"],
    }
    assert client.post("/kpis", json=kpi).status_code == 201
    assert event_count(chatbot) == 0  # a KPI's first status is kept, not announced
    reading = {"value": 100, "measured_at": "2026-06-01"}
    assert client.post("/kpis/csat/measurements", json=reading).status_code == 201
    again = {"value": 100, "measured_at": "2026-07-01"}
    assert client.post("/kpis/csat/measurements", json=again).status_code == 201  # no change
    deliver_due(chatbot, POLICY)
    [got] = hook.received
    payload = Webhook(created["secret"]).verify(got.body, got.headers)
    assert payload["type"] == "kpi.status_changed"
    assert payload["data"]["kpi"] == "csat"
    assert (payload["data"]["before"], payload["data"]["after"]) == ("no_data", "achieved")


def test_kpi_status_routing_uses_owners_and_cells(
    admin: TestClient, client: TestClient, chatbot: Database
) -> None:
    """kpi.status_changed is a notice: roles informed on the initiatives the KPI serves."""
    with receiver() as cmo, receiver() as cio:
        register(admin, cmo.url, ["kpi.status_changed"], roles=["CMO"])  # I on crm-feed
        register(admin, cio.url, ["kpi.status_changed"], roles=["CIO"])  # owner, never I
        kpi = {
            "key": "csat",
            "name": "CSAT",
            "baseline": 0,
            "baseline_date": "2026-01-01",
            "target": 100,
            "target_date": "2027-12-31",
            "owners": ["CIO"],
            "initiatives": ["support-chatbot"],
        }
        client.post("/kpis", json=kpi)
        client.post("/kpis/csat/measurements", json={"value": 100, "measured_at": "2026-06-01"})
        deliver_due(chatbot, POLICY)
        assert len(cmo.received) == 1 and cio.received == []


def test_the_worker_beside_the_server_sends_soon_after_the_commit(
    settings: Settings, chatbot: Database, hook: Receiver
) -> None:
    """The lifespan's worker, polling only hourly, is woken by the commit that queued."""
    hourly = settings.model_copy(update={"webhook_worker": "thread", "webhook_poll_seconds": 3600})
    app = create_app(hourly, chatbot)
    with TestClient(
        app,
        base_url="http://testserver/api/v1",
        headers={"Authorization": f"Bearer {ADMIN_SECRET}"},
    ) as http:
        register(http, hook.url, ["cell.changed"])
        assert http.put(f"{CRM}/CEO", json={"raci": "I"}).status_code == 201
        wait_until(lambda: len(hook.received) == 1, 20, "the worker to deliver")
    assert json.loads(hook.received[0].body)["data"]["role"] == "CEO"


def test_old_deliveries_are_forgotten_pending_ones_kept(
    admin: TestClient, client: TestClient, chatbot: Database, hook: Receiver
) -> None:
    created = register(admin, hook.url, ["cell.changed"])
    client.put(f"{CRM}/CEO", json={"raci": "I"})
    deliver_due(chatbot, POLICY)
    client.put(f"{CRM}/CEO", json={"raci": "C"})  # pending
    with chatbot.transaction() as session:
        assert purge(session, later(days=1)) == 1
    [left] = deliveries(admin, created["id"])
    assert left["status"] == "pending"
    assert event_count(chatbot) == 1


def test_emit_routes_what_other_features_raise(admin: TestClient, chatbot: Database) -> None:
    """The one call the agreement and review features make: escalations reach the
    Accountable role's endpoint, proposals the Consulted ones'."""
    with receiver() as cio, receiver() as cmo:
        register(admin, cio.url, ["review.overdue", "agreement.requested"], roles=["CIO"])
        register(admin, cmo.url, ["review.overdue", "agreement.requested"], roles=["CMO"])
        subject = {"CIO": "AR", "CMO": "C"}
        with chatbot.transaction() as session:
            assert emit(session, "review.overdue", {"review": "q4"}, subject_roles=subject)
            emit(session, "agreement.requested", {"cell": "nlu/CDO"}, subject_roles=subject)
            assert emit(session, "finding.opened", {"rule": "X"}, subject_roles=subject) is None
            with pytest.raises(ValueError, match="unknown"):
                emit(session, "cell.exploded", {})
        deliver_due(chatbot, POLICY)
        assert [json.loads(r.body)["type"] for r in cio.received] == ["review.overdue"]
        assert [json.loads(r.body)["type"] for r in cmo.received] == ["agreement.requested"]


def test_endpoints_follow_a_role_renamed_or_merged(
    admin: TestClient, client: TestClient, chatbot: Database, hook: Receiver
) -> None:
    created = register(admin, hook.url, ["cell.changed"], roles=["CDO", "CIO"])
    assert client.post("/roles/CDO/rename", json={"code": "CDAO"}).status_code == 200
    path = f"/webhooks/{created['id']}"
    assert admin.get(path).json()["roles"] == ["CDAO", "CIO"]
    assert client.post("/roles/CDAO/merge", json={"into": "CIO"}).status_code == 200
    assert admin.get(path).json()["roles"] == ["CIO"]
    entry = admin.get("/audit", params={"resource_type": "webhook"}).json()["items"][-1]
    assert entry["after"]["roles"] == ["CIO"]


def test_a_role_endpoints_are_bound_to_cannot_be_deleted(
    admin: TestClient, client: TestClient
) -> None:
    created = register(admin, "http://127.0.0.1:9/x", ["cell.changed"], roles=["CEO"])
    body = assert_problem(client.delete("/roles/CEO"), 409)
    assert created["id"] in body["detail"]
    admin.patch(f"/webhooks/{created['id']}", json={"roles": ["CIO"]})
    assert client.delete("/roles/CEO").status_code == 204


def test_agreements_requested_and_disputed_are_delivered(
    admin: TestClient, client: TestClient, chatbot: Database, hook: Receiver
) -> None:
    created = register(admin, hook.url, ["agreement.requested", "agreement.disputed"])
    assert client.put(f"{CRM}/CIO", json={"raci": "A/R"}).status_code == 200  # new letters
    assert client.put(f"{CRM}/CIO", json={"raci": "AR", "rationale": "Board"}).status_code == 200
    disputed = admin.post(
        f"{CRM}/CMO/agreement", json={"decision": "dispute", "comment": "We run the CRM feed"}
    )
    assert disputed.status_code == 200, disputed.text
    agreed = admin.post(f"{CRM}/CIO/agreement", json={"decision": "agree"})
    assert agreed.status_code == 200, agreed.text  # an agreement asks nothing of anyone
    assert deliver_due(chatbot, POLICY) == 2
    payloads = [Webhook(created["secret"]).verify(g.body, g.headers) for g in hook.received]
    by_type = {p["type"]: p["data"] for p in payloads}
    assert set(by_type) == {"agreement.requested", "agreement.disputed"}
    assert by_type["agreement.requested"]["role"] == "CIO"
    assert by_type["agreement.requested"]["raci"] == "AR"
    assert by_type["agreement.requested"]["agreement"]["state"] == "proposed"
    dispute = by_type["agreement.disputed"]
    assert (dispute["role"], dispute["agreement"]["state"]) == ("CMO", "disputed")
    assert dispute["agreement"]["comment"] == "We run the CRM feed"


def test_a_review_opened_reaches_its_participants(
    admin: TestClient, client: TestClient, chatbot: Database, hook: Receiver
) -> None:
    for_cio = register(admin, hook.url, ["review.opened"], roles=["CIO"])
    for_ceo = register(admin, hook.url, ["review.opened"], roles=["CEO"])
    kpi = {
        "key": "csat",
        "name": "Customer satisfaction",
        "baseline": 0,
        "baseline_date": "2026-01-01",
        "target": 100,
        "target_date": "2026-12-31",
        "owners": ["CMO", "CIO"],
        "initiatives": ["support-chatbot"],
    }
    assert client.post("/kpis", json=kpi).status_code == 201
    reading = {"value": 1, "measured_at": "2026-11-01"}
    assert client.post("/kpis/csat/measurements", json=reading).status_code == 201
    [review] = client.get("/reviews").json()["items"]
    assert deliver_due(chatbot, POLICY) == 1
    [got] = hook.received
    payload = Webhook(for_cio["secret"]).verify(got.body, got.headers)
    assert payload["type"] == "review.opened"
    assert payload["data"]["review"] == review["key"]
    assert payload["data"]["kpi"] == "csat"
    assert set(payload["data"]["participants"]) >= {"CIO", "CMO"}
    assert deliveries(admin, for_ceo["id"]) == []
