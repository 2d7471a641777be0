"""The RACI matrix as it stood at a moment, rebuilt from the audit trail."""

import time
from datetime import UTC, datetime, timedelta

from fastapi.testclient import TestClient
from sqlalchemy import text

from app.db.engine import Database
from tests.problems import assert_problem

CHATBOT = {
    "name": "Customer support chatbot",
    "components": [
        {"key": "nlu", "name": "NLU engine", "raci": {"CIO": "AR", "CMO": "C"}},
        {"key": "persona", "name": "Conversation design", "raci": {"CMO": "A"}},
    ],
}


def moment() -> str:
    """Now, then a pause, so that audit timestamps fall clearly before or after it."""
    time.sleep(0.02)
    now = datetime.now(UTC).isoformat().replace("+00:00", "Z")
    time.sleep(0.02)
    return now


def test_matrix_at_a_moment_shows_who_was_accountable_then(client: TestClient) -> None:
    assert client.put("/initiatives/support-chatbot", json=CHATBOT).status_code == 201
    march = moment()
    client.put("/initiatives/support-chatbot/components/nlu/raci/CDO", json={"raci": "A"})
    client.put("/initiatives/support-chatbot/components/nlu/raci/CIO", json={"raci": "R"})
    client.delete("/initiatives/support-chatbot/components/persona")
    client.put("/initiatives/support-chatbot/components/tone", json={"name": "Tone of voice"})

    then = client.get("/initiatives/support-chatbot/raci", params={"at": march}).json()
    assert [row["component"] for row in then["rows"]] == ["nlu", "persona"]
    assert then["rows"][0]["cells"] == {"CIO": "AR", "CMO": "C"}
    assert then["rows"][1]["cells"] == {"CMO": "A"}

    now = client.get("/initiatives/support-chatbot/raci").json()
    assert [row["component"] for row in now["rows"]] == ["nlu", "tone"]
    assert now["rows"][0]["cells"] == {"CDO": "A", "CIO": "R", "CMO": "C"}
    latest = client.get("/initiatives/support-chatbot/raci", params={"at": moment()}).json()
    assert latest == now


def test_matrix_before_the_initiative_existed_is_404(client: TestClient) -> None:
    before = moment()
    client.put("/initiatives/support-chatbot", json=CHATBOT)
    assert_problem(
        client.get("/initiatives/support-chatbot/raci", params={"at": before}),
        404,
        detail_contains="did not exist",
    )


def test_matrix_of_a_deleted_initiative_is_still_answered_for_the_past(client: TestClient) -> None:
    client.put("/initiatives/support-chatbot", json=CHATBOT)
    while_alive = moment()
    assert client.delete("/initiatives/support-chatbot").status_code == 204
    then = client.get("/initiatives/support-chatbot/raci", params={"at": while_alive}).json()
    assert [row["component"] for row in then["rows"]] == ["nlu", "persona"]


def test_matrix_at_in_csv_has_the_initiative_column(client: TestClient) -> None:
    client.put("/initiatives/support-chatbot", json=CHATBOT)
    response = client.get(
        "/initiatives/support-chatbot/raci", params={"at": moment(), "format": "csv"}
    )
    lines = response.text.splitlines()
    assert lines[0] == "initiative,component,name,CIO,CMO,agreement"
    assert lines[1] == 'support-chatbot,nlu,NLU engine,AR,C,"proposed: CIO, CMO"'


def test_a_key_with_like_wildcards_does_not_match_other_initiatives(client: TestClient) -> None:
    client.put("/initiatives/a_b", json=CHATBOT)
    client.put(
        "/initiatives/axb", json={"name": "Other", "components": [{"key": "z", "name": "Z"}]}
    )
    then = client.get("/initiatives/a_b/raci", params={"at": moment()}).json()
    assert [row["component"] for row in then["rows"]] == ["nlu", "persona"]


def test_at_without_a_zone_is_422(client: TestClient) -> None:
    client.put("/initiatives/support-chatbot", json=CHATBOT)
    naive = (datetime.now(UTC) + timedelta(days=1)).replace(tzinfo=None).isoformat()
    assert_problem(client.get("/initiatives/support-chatbot/raci", params={"at": naive}), 422)


def test_the_matrix_at_a_moment_reads_its_initiative_through_the_index(database: Database) -> None:
    """The key prefix of `?at=` is served by ix_audit_entry_resource: a range on SQLite, LIKE
    on a text_pattern_ops index on PostgreSQL; neither reads the other initiatives' cells."""
    from sqlalchemy import func, select

    from app.audit.models import AuditEntry
    from app.db import dialect

    with database.transaction(write=False) as session:
        stmt = (
            select(func.max(AuditEntry.id))
            .where(
                AuditEntry.resource_type == "raci_cell",
                dialect.starts_with(session, AuditEntry.resource_key, "support-chatbot/"),
            )
            .group_by(AuditEntry.resource_key)
        )
        compiled = stmt.compile(session.get_bind(), compile_kwargs={"literal_binds": True})
        explain = "EXPLAIN QUERY PLAN " if dialect.is_sqlite(session) else "EXPLAIN "
        if not dialect.is_sqlite(session):
            # An empty table gives the planner no reason to use an index: ask whether it can.
            session.execute(text("SET LOCAL enable_seqscan = off"))
        plan = " ".join(str(row) for row in session.execute(text(explain + str(compiled))))
    if dialect.is_sqlite(session):
        assert (
            "ix_audit_entry_resource (resource_type=? AND resource_key>? AND resource_key<?)"
            in plan
        )
    else:
        # The LIKE prefix becomes a range on the pattern-ops index.
        assert "ix_audit_entry_resource" in plan and "~>=~" in plan, plan
