"""Governance reviews (API.md, "Additions", "Governance reviews"): a joint KPI that becomes
off track opens one review; a decision closes it; an open review past its due date is a
GOVERNANCE_REVIEW_OVERDUE finding."""

import time as clock
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import insert, select

from app.core.config import Settings
from app.db.base import utcnow
from app.db.engine import Database
from app.kpis.models import Kpi, Measurement
from app.main import create_app
from app.reports.findings import FindingsQuery, findings_report
from app.reviews.models import Review
from app.reviews.service import open_due_reviews
from tests import builders
from tests.problems import assert_problem, error_locs

TODAY = utcnow().date()
BASELINE_DATE = TODAY - timedelta(days=200)
TARGET_DATE = TODAY + timedelta(days=200)
# Half the time from baseline to target has passed yesterday: 0 is off track, 60 on track.
OFF, ON, MET = 0.0, 60.0, 100.0


def kpi_body(key: str = "csat", owners: tuple[str, ...] = ("CMO", "CIO"), **extra: Any) -> Any:
    return {
        "key": key,
        "name": "Customer satisfaction",
        "baseline": 0,
        "baseline_date": BASELINE_DATE.isoformat(),
        "target": 100,
        "target_date": TARGET_DATE.isoformat(),
        "owners": list(owners),
        **extra,
    }


def moment(days_ago: int) -> str:
    return f"{(TODAY - timedelta(days=days_ago)).isoformat()}T00:00:00Z"


def post_reading(client: TestClient, value: float, days_ago: int = 1, key: str = "csat") -> Any:
    response = client.post(
        f"/kpis/{key}/measurements", json={"value": value, "measured_at": moment(days_ago)}
    )
    assert response.status_code in (200, 201), response.text
    return response


def reviews(client: TestClient, **params: Any) -> list[dict[str, Any]]:
    response = client.get("/reviews", params=params)
    assert response.status_code == 200, response.text
    items: list[dict[str, Any]] = response.json()["items"]
    return items


@pytest.fixture
def portfolio(database: Database) -> None:
    """Two live initiatives (sponsors CDO and CMO) and a finished one (sponsor CEO)."""
    builders.initiative(database, "support-chatbot", status="active", sponsor="CMO")
    builders.initiative(database, "customer-360", status="planned", sponsor="CDO")
    builders.initiative(database, "legacy-portal", status="done", sponsor="CEO")


@pytest.fixture
def joint(client: TestClient, portfolio: None) -> str:
    body = kpi_body(initiatives=["support-chatbot", "customer-360", "legacy-portal"])
    assert client.post("/kpis", json=body).status_code == 201
    return "csat"


# --- opening ---------------------------------------------------------------------------------


def test_an_off_track_reading_of_a_joint_kpi_opens_one_review(
    client: TestClient, joint: str
) -> None:
    post_reading(client, OFF)
    (review,) = reviews(client)
    assert review["key"] == f"csat-{TODAY.isoformat()}"
    assert review["kpi"] == "csat"
    assert review["state"] == "open"
    assert review["due_on"] == (TODAY + timedelta(days=30)).isoformat()
    # The owners, and the sponsors of the live initiatives served (not legacy-portal's CEO).
    assert review["participants"] == ["CDO", "CIO", "CMO"]
    assert datetime.fromisoformat(review["opened_at"]).date() == TODAY
    for name in ("decision", "rationale", "what_changed", "decided_by", "decided_at"):
        assert review[name] is None
    one = client.get(f"/reviews/{review['key']}")
    assert one.status_code == 200
    assert one.headers["etag"] == '"1"'
    assert one.json() == review
    audit = client.get("/audit", params={"resource_type": "review"}).json()["items"]
    assert [(e["action"], e["actor"], e["resource_key"]) for e in audit] == [
        ("create", "pmo-tool", review["key"])
    ]
    assert audit[0]["after"]["participants"] == ["CDO", "CIO", "CMO"]


def test_the_same_reading_twice_and_more_off_track_readings_keep_one_review(
    client: TestClient, joint: str
) -> None:
    post_reading(client, OFF)
    assert post_reading(client, OFF).status_code == 200  # the same reading: nothing changes
    post_reading(client, 1, days_ago=0)  # still off track, one is open already
    assert len(reviews(client)) == 1


def test_a_single_owner_kpi_off_track_opens_none(client: TestClient, portfolio: None) -> None:
    assert client.post("/kpis", json=kpi_body(owners=("CIO",))).status_code == 201
    post_reading(client, OFF)
    assert client.get("/kpis/csat").json()["status"] == "off_track"
    assert reviews(client) == []


def test_an_on_track_reading_opens_none(client: TestClient, joint: str) -> None:
    post_reading(client, ON)
    assert reviews(client) == []


def test_a_correction_that_puts_the_kpi_off_track_opens_one(client: TestClient, joint: str) -> None:
    post_reading(client, ON)
    corrected = client.put(f"/kpis/csat/measurements/{moment(1)}", json={"value": OFF})
    assert corrected.status_code == 200, corrected.text
    assert [r["kpi"] for r in reviews(client)] == ["csat"]


def test_a_review_open_all_along_stays_the_only_one(client: TestClient, joint: str) -> None:
    post_reading(client, OFF, days_ago=20)
    # Off track at first: one review; decide it, then look at a later fall.
    (first,) = reviews(client)
    post_reading(client, ON, days_ago=1)
    assert reviews(client, state="open") == [first]
    client.delete(f"/kpis/csat/measurements/{moment(1)}")
    assert len(reviews(client)) == 1  # it was open all along: none more
    assert client.get("/kpis/csat").json()["status"] == "off_track"


def test_deleting_a_reading_opens_one_after_a_decision(
    client: TestClient, admin: TestClient, joint: str
) -> None:
    post_reading(client, ON, days_ago=1)
    post_reading(client, OFF, days_ago=0)
    (first,) = reviews(client)
    decided = admin.post(
        f"/reviews/{first['key']}/decision", json={"decision": "keep", "rationale": "A blip."}
    )
    assert decided.status_code == 200, decided.text
    assert client.delete(f"/kpis/csat/measurements/{moment(0)}").status_code == 204
    assert reviews(client, state="open") == []  # on track again
    post_reading(client, OFF, days_ago=0)
    (second,) = reviews(client, state="open")
    assert second["key"] == f"csat-{TODAY.isoformat()}-2"


def test_a_kpi_edit_that_makes_it_joint_or_off_track_opens_one(
    client: TestClient, portfolio: None
) -> None:
    assert client.post("/kpis", json=kpi_body(owners=("CIO",))).status_code == 201
    post_reading(client, OFF)
    assert reviews(client) == []
    patched = client.patch("/kpis/csat", json={"owners": ["CIO", "CMO"]})
    assert patched.status_code == 200, patched.text
    assert [r["participants"] for r in reviews(client)] == [["CIO", "CMO"]]

    assert client.post("/kpis", json=kpi_body("nps")).status_code == 201
    post_reading(client, ON, key="nps")
    assert reviews(client, kpi="nps") == []
    raised = client.patch("/kpis/nps", json={"target": 1000})  # far behind plan now
    assert raised.status_code == 200, raised.text
    assert [r["kpi"] for r in reviews(client, kpi="nps")] == ["nps"]


def test_an_import_that_puts_a_joint_kpi_off_track_opens_one(
    client: TestClient, portfolio: None
) -> None:
    document = {
        "kpis": [kpi_body()],
        "measurements": {"csat": [{"value": OFF, "measured_at": moment(1)}]},
    }
    assert client.post("/imports", json=document).status_code == 200
    assert [r["kpi"] for r in reviews(client)] == ["csat"]
    again = client.post("/imports", json=document)
    assert again.json()["kpis"]["unchanged"] == 1
    assert len(reviews(client)) == 1


def test_deleting_the_kpi_deletes_its_reviews(client: TestClient, joint: str) -> None:
    post_reading(client, OFF)
    (review,) = reviews(client)
    assert client.delete("/kpis/csat").status_code == 204
    assert reviews(client) == []
    assert_problem(client.get(f"/reviews/{review['key']}"), 404)
    audit = client.get("/audit", params={"resource_type": "review"}).json()["items"]
    assert [e["action"] for e in audit] == ["create", "delete"]


# --- the target date passing -----------------------------------------------------------------


def _quiet_kpi(database: Database, key: str = "csat") -> None:
    """A joint KPI on track, its reading written past the ORM (so that no change is seen)."""
    with database.transaction() as session:
        session.add(Kpi(**{k: v for k, v in _row(key).items()}))
    with database.transaction() as session:
        kpi_id = session.scalar(select(Kpi.id).where(Kpi.key == key))
        session.execute(
            insert(Measurement).values(
                kpi_id=kpi_id,
                value=ON,
                measured_at=datetime.combine(TODAY - timedelta(days=1), time.min, tzinfo=UTC),
                version=1,
                created_at=utcnow(),
                updated_at=utcnow(),
            )
        )


def _row(key: str) -> dict[str, Any]:
    from app.kpis.models import KpiOwner

    return {
        "key": key,
        "name": key,
        "baseline": 0,
        "baseline_date": BASELINE_DATE,
        "target": 100,
        "target_date": TARGET_DATE,
        "version": 1,
        "owner_rows": [KpiOwner(role="CIO"), KpiOwner(role="CMO")],
    }


def test_the_check_opens_a_review_once_the_target_date_passed(
    client: TestClient, database: Database
) -> None:
    _quiet_kpi(database)
    with database.transaction() as session:
        assert open_due_reviews(session, TARGET_DATE) == []  # not passed yet
    later = TARGET_DATE + timedelta(days=1)
    with database.transaction() as session:
        opened = [review.key for review in open_due_reviews(session, later)]
    assert opened == [f"csat-{later.isoformat()}"]
    with database.transaction() as session:
        assert open_due_reviews(session, later) == []  # one is open
    (review,) = reviews(client)
    assert review["due_on"] == (later + timedelta(days=30)).isoformat()
    audit = client.get("/audit", params={"resource_type": "review"}).json()["items"]
    assert [(e["action"], e["actor"]) for e in audit] == [("create", "system")]
    # Decided: the same passed date opens no second review.
    with database.transaction() as session:
        stored = session.scalar(select(Review))
        assert stored is not None
        stored.state, stored.open_kpi_id, stored.decision = "decided", None, "keep"
    with database.transaction() as session:
        assert open_due_reviews(session, later + timedelta(days=5)) == []


def test_the_check_ignores_single_owner_and_met_kpis(
    client: TestClient, database: Database
) -> None:
    assert client.post("/kpis", json=kpi_body("solo", owners=("CIO",))).status_code == 201
    assert client.post("/kpis", json=kpi_body("met")).status_code == 201
    post_reading(client, MET, key="met")
    post_reading(client, ON, key="solo")
    with database.transaction() as session:
        assert open_due_reviews(session, TARGET_DATE + timedelta(days=1)) == []


def test_raci_serve_checks_periodically_without_a_request(
    settings: Settings, database: Database
) -> None:
    _quiet_kpi(database)
    with database.transaction() as session:  # the target date passed yesterday
        kpi = session.scalar(select(Kpi))
        assert kpi is not None
        kpi.baseline_date, kpi.target_date = TODAY - timedelta(days=400), TODAY - timedelta(days=1)
    with database.transaction() as session:  # that edit opened one; take it away again
        for review in session.scalars(select(Review)):
            session.delete(review)
    fast = settings.model_copy(update={"review_check_seconds": 0.05})
    with TestClient(create_app(fast, database)):
        deadline = clock.monotonic() + 20
        found: list[str] = []
        while not found and clock.monotonic() < deadline:
            clock.sleep(0.05)
            with database.transaction(write=False) as session:
                found = list(session.scalars(select(Review.key)))
    assert found == [f"csat-{TODAY.isoformat()}"]


def test_the_cli_check_opens_due_reviews(
    monkeypatch: pytest.MonkeyPatch, database: Database, database_url: str
) -> None:
    from typer.testing import CliRunner

    from app.cli import cli

    _quiet_kpi(database)
    with database.transaction() as session:
        kpi = session.scalar(select(Kpi))
        assert kpi is not None
        kpi.baseline_date, kpi.target_date = TODAY - timedelta(days=400), TODAY - timedelta(days=1)
        session.flush()
    with database.transaction() as session:
        for review in session.scalars(select(Review)):
            session.delete(review)
    monkeypatch.setenv("RACI_DATABASE_URL", database_url)
    first = CliRunner().invoke(cli, ["reviews", "check"])
    assert first.exit_code == 0, first.output
    assert f"csat-{TODAY.isoformat()}" in first.output
    second = CliRunner().invoke(cli, ["reviews", "check"])
    assert second.exit_code == 0 and "0 governance review(s) opened" in second.output


# --- deciding --------------------------------------------------------------------------------


@pytest.fixture
def open_review(client: TestClient, joint: str) -> str:
    post_reading(client, OFF)
    (review,) = reviews(client)
    key: str = review["key"]
    return key


def test_an_admin_decides_and_a_second_decision_is_409(
    client: TestClient, admin: TestClient, open_review: str
) -> None:
    body = {
        "decision": "change_owner",
        "rationale": "  CIO takes the NLU engine.  ",
        "what_changed": "raci_cell support-chatbot/nlu/CIO set to AR",
    }
    decided = admin.post(f"/reviews/{open_review}/decision", json=body)
    assert decided.status_code == 200, decided.text
    review = decided.json()
    assert review["state"] == "decided"
    assert review["decision"] == "change_owner"
    assert review["rationale"] == "CIO takes the NLU engine."
    assert review["what_changed"] == body["what_changed"]
    assert review["decided_by"] == "bootstrap"
    assert datetime.fromisoformat(review["decided_at"]).date() == TODAY
    assert decided.headers["etag"] == '"2"'
    assert reviews(client, state="decided") == [review]
    assert reviews(client, state="open") == []
    again = admin.post(f"/reviews/{open_review}/decision", json={**body, "decision": "keep"})
    assert_problem(again, 409, detail_contains="already decided")
    audit = client.get("/audit", params={"resource_type": "review"}).json()["items"]
    assert [(e["action"], e["actor"]) for e in audit] == [
        ("create", "pmo-tool"),
        ("update", "bootstrap"),
    ]
    assert audit[1]["after"]["what_changed"] == body["what_changed"]
    assert audit[1]["after"]["decision"] == "change_owner"


def test_a_write_key_acting_for_no_participant_may_not_decide(
    client: TestClient, reader: TestClient, open_review: str
) -> None:
    body = {"decision": "keep", "rationale": "Fine."}
    assert_problem(client.post(f"/reviews/{open_review}/decision", json=body), 403)
    assert_problem(reader.post(f"/reviews/{open_review}/decision", json=body), 403)
    assert reviews(client)[0]["state"] == "open"


def _acting_client(admin: TestClient, name: str, scope: str, roles: list[str]) -> TestClient:
    created = admin.post("/keys", json={"name": name, "scope": scope, "acts_for": roles})
    assert created.status_code == 201, created.text
    return TestClient(
        admin.app,
        base_url=str(admin.base_url),
        headers={"Authorization": f"Bearer {created.json()['secret']}"},
    )


def test_only_keys_acting_for_a_participant_or_admin_may_decide(
    admin: TestClient, open_review: str
) -> None:
    body = {"decision": "keep", "rationale": "The model holds; the dip was seasonal."}
    path = f"/reviews/{open_review}/decision"
    participants = admin.get(f"/reviews/{open_review}").json()["participants"]
    assert "CIO" in participants and "CEO" not in participants
    with _acting_client(admin, "ceo-office", "write", ["CEO"]) as ceo:
        assert_problem(ceo.post(path, json=body), 403)
    with _acting_client(admin, "cio-reader", "read", ["CIO"]) as cio_reader:
        assert_problem(cio_reader.post(path, json=body), 403)
    assert admin.get(f"/reviews/{open_review}").json()["state"] == "open"
    with _acting_client(admin, "cio-office", "write", ["CIO"]) as cio:
        decided = cio.post(path, json=body)
    assert decided.status_code == 200, decided.text
    assert decided.json()["decided_by"] == "cio-office"


@pytest.mark.parametrize(
    ("body", "loc"),
    [
        ({"decision": "keep"}, ["body", "rationale"]),
        ({"decision": "keep", "rationale": "   "}, ["body", "rationale"]),
        ({"decision": "scrap", "rationale": "No."}, ["body", "decision"]),
        ({"rationale": "No."}, ["body", "decision"]),
        ({"decision": "keep", "rationale": "x", "state": "open"}, ["body", "state"]),
        ({"decision": "keep", "rationale": "x", "what_changed": ""}, ["body", "what_changed"]),
    ],
)
def test_a_bad_decision_is_422_and_changes_nothing(
    admin: TestClient, client: TestClient, open_review: str, body: dict[str, Any], loc: list[str]
) -> None:
    response = admin.post(f"/reviews/{open_review}/decision", json=body)
    assert_problem(response, 422)
    assert loc in error_locs(response)
    assert reviews(client)[0]["state"] == "open"


def test_unknown_reviews_are_404(admin: TestClient) -> None:
    assert_problem(admin.get("/reviews/nope"), 404)
    assert_problem(
        admin.post("/reviews/nope/decision", json={"decision": "keep", "rationale": "x"}), 404
    )
    assert_problem(admin.get("/reviews/NOT A KEY"), 422)


# --- listing ---------------------------------------------------------------------------------


def test_the_list_pages_by_key_and_filters(
    client: TestClient, admin: TestClient, portfolio: None
) -> None:
    for key in ("a-kpi", "b-kpi", "c-kpi"):
        assert client.post("/kpis", json=kpi_body(key)).status_code == 201
        post_reading(client, OFF, key=key)
    admin.post(
        f"/reviews/b-kpi-{TODAY.isoformat()}/decision",
        json={"decision": "change_target", "rationale": "Target was set too high."},
    )
    first = client.get("/reviews", params={"limit": 2}).json()
    assert [r["kpi"] for r in first["items"]] == ["a-kpi", "b-kpi"]
    rest = client.get("/reviews", params={"limit": 2, "cursor": first["next_cursor"]}).json()
    assert [r["kpi"] for r in rest["items"]] == ["c-kpi"]
    assert rest["next_cursor"] is None
    assert [r["kpi"] for r in reviews(client, state="open")] == ["a-kpi", "c-kpi"]
    assert [r["kpi"] for r in reviews(client, kpi=["c-kpi", "b-kpi"])] == ["b-kpi", "c-kpi"]
    assert reviews(client, kpi="no-such-kpi") == []
    assert_problem(client.get("/reviews", params={"state": "closed"}), 422)
    assert_problem(client.get("/reviews", params={"limit": 0}), 422)


# --- the finding -----------------------------------------------------------------------------


def test_an_open_review_past_due_is_a_high_finding_naming_its_participants(
    client: TestClient, admin: TestClient, open_review: str
) -> None:
    due_on = date.fromisoformat(client.get(f"/reviews/{open_review}").json()["due_on"])

    def overdue(as_of: date) -> list[dict[str, Any]]:
        report = client.get(
            "/reports/findings",
            params={"rule": "GOVERNANCE_REVIEW_OVERDUE", "as_of": as_of.isoformat()},
        )
        assert report.status_code == 200, report.text
        found: list[dict[str, Any]] = report.json()["findings"]
        return found

    assert overdue(due_on) == []
    (finding,) = overdue(due_on + timedelta(days=1))
    assert finding["severity"] == "high"
    assert finding["kpi"] == "csat"
    assert finding["initiative"] is None and finding["component"] is None
    assert finding["roles"] == ["CDO", "CIO", "CMO"]
    assert open_review in finding["message"] and due_on.isoformat() in finding["message"]
    by_role = client.get(
        "/reports/findings",
        params={"role": "CDO", "as_of": (due_on + timedelta(days=1)).isoformat()},
    ).json()["findings"]
    assert "GOVERNANCE_REVIEW_OVERDUE" in {f["rule"] for f in by_role}
    admin.post(f"/reviews/{open_review}/decision", json={"decision": "keep", "rationale": "Ok."})
    assert overdue(due_on + timedelta(days=1)) == []


def test_the_due_days_come_from_the_settings(
    client: TestClient, admin: TestClient, joint: str, database: Database
) -> None:
    assert admin.patch("/settings", json={"review_due_days": 7}).status_code == 200
    post_reading(client, OFF)
    (review,) = reviews(client)
    assert review["due_on"] == (TODAY + timedelta(days=7)).isoformat()
    with database.transaction(write=False) as session:
        report = findings_report(
            session,
            FindingsQuery(
                rules=frozenset({"GOVERNANCE_REVIEW_OVERDUE"}), as_of=TODAY + timedelta(days=8)
            ),
        )
    assert [f.kpi for f in report.findings] == ["csat"]


# --- roles renamed or merged -----------------------------------------------------------------


def test_a_renamed_or_merged_role_is_carried_into_the_participants(
    client: TestClient, admin: TestClient, open_review: str
) -> None:
    renamed = admin.post("/roles/CIO/rename", json={"code": "CTO"})
    assert renamed.status_code == 200, renamed.text
    review = client.get(f"/reviews/{open_review}")
    assert review.json()["participants"] == ["CDO", "CMO", "CTO"]
    assert review.headers["etag"] == '"2"'
    merged = admin.post("/roles/CDO/merge", json={"into": "CMO"})
    assert merged.status_code in (200, 204), merged.text
    assert client.get(f"/reviews/{open_review}").json()["participants"] == ["CMO", "CTO"]
    audit = client.get("/audit", params={"resource_type": "review"}).json()["items"]
    assert [(e["action"], e["after"]["participants"]) for e in audit] == [
        ("create", ["CDO", "CIO", "CMO"]),
        ("update", ["CDO", "CMO", "CTO"]),
        ("update", ["CMO", "CTO"]),
    ]


def test_an_import_opens_many_reviews_at_once_with_distinct_keys(
    client: TestClient, portfolio: None
) -> None:
    long = "k" * 60  # keys cut to the same 48 characters still get keys of their own
    keys = [f"kpi-{n:02d}" for n in range(30)] + [f"{long}-a", f"{long}-b"]
    document = {
        "kpis": [kpi_body(key) for key in keys],
        "measurements": {key: [{"value": OFF, "measured_at": moment(1)}] for key in keys},
    }
    assert client.post("/imports", json=document).status_code == 200
    items = client.get("/reviews", params={"limit": 100}).json()["items"]
    assert sorted(r["kpi"] for r in items) == sorted(keys)
    review_keys = {r["key"] for r in items}
    assert len(review_keys) == len(keys)
    assert all(len(key) <= 64 for key in review_keys)
    assert {f"{'k' * 48}-{TODAY.isoformat()}", f"{'k' * 48}-{TODAY.isoformat()}-2"} <= review_keys
    for key in review_keys:
        assert client.get(f"/reviews/{key}").status_code == 200
