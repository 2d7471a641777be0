"""Races with real threads against a real server (`raci serve` in a subprocess): on
PostgreSQL the requests run on parallel connections; on SQLite they queue on its write lock,
and none of them may see "database is locked".

Each test starts its threads at one barrier and checks what no interleaving may break:
one winner per If-Match, one creation per key, no lost update, no half-written initiative,
no 5xx.
"""

import random
import threading
from collections import Counter
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import httpx
import pytest
from sqlalchemy import func, select

from app.components.models import Component
from app.db.engine import Database
from app.initiatives.models import Initiative
from app.keys import service as keys_service
from app.keys.schemas import ApiKeyCreate
from app.roles.models import Role
from tests import database as testdb
from tests.live_server import LiveServer, client, live_server

THREADS = 12
on_postgres = pytest.mark.skipif(
    not testdb.is_postgres(testdb.base_url()),
    reason="needs PostgreSQL (RACI_TEST_DATABASE_URL) for parallel connections and row locks",
)


@pytest.fixture(scope="module")
def server(database_url: str) -> Iterator[LiveServer]:
    with live_server(database_url, log_level="WARNING") as running:
        yield running


@pytest.fixture
def secret(database: Database) -> str:
    """A write key, made after the per-test reset emptied the keys."""
    with database.transaction() as session:
        _, value = keys_service.create_key(session, ApiKeyCreate(name="racer", scope="write"))
    return value


def at_once(
    count: int, work: Callable[[int, httpx.Client], httpx.Response], secret: str, server: LiveServer
) -> list[httpx.Response]:
    """Run `work(i, client)` in `count` threads released together; their answers in order."""
    barrier = threading.Barrier(count, timeout=60)

    def run(i: int) -> httpx.Response:
        with client(server, secret) as http:
            http.get("/roles", params={"limit": 1})  # connect (and warm up) before the start
            barrier.wait()
            return work(i, http)

    with ThreadPoolExecutor(count) as pool:
        return list(pool.map(run, range(count)))


def assert_no_server_error(responses: list[httpx.Response]) -> None:
    for response in responses:
        assert response.status_code < 500, response.text
        assert "database is locked" not in response.text


def initiative_document(key: str, name: str, cio: str = "AR", cmo: str | None = None) -> dict:
    raci = {"CIO": cio} | ({"CMO": cmo} if cmo else {})
    return {
        "key": key,
        "name": name,
        "status": "active",
        "sponsor": "CMO",
        "components": [
            {"key": "nlu", "name": "NLU engine", "raci": raci},
            {"key": "persona", "name": "Conversation design", "raci": {"CMO": "A", "CDO": "R"}},
        ],
    }


def test_same_if_match_exactly_one_writer_wins(
    server: LiveServer, secret: str, database: Database
) -> None:
    with client(server, secret) as http:
        created = http.put("/initiatives/contested", json=initiative_document("contested", "v1"))
        assert created.status_code == 201, created.text
        etag = created.headers["ETag"]

    responses = at_once(
        THREADS,
        lambda i, http: http.patch(
            "/initiatives/contested", json={"name": f"writer {i}"}, headers={"If-Match": etag}
        ),
        secret,
        server,
    )

    assert_no_server_error(responses)
    statuses = Counter(r.status_code for r in responses)
    assert statuses == {200: 1, 412: THREADS - 1}
    winner = next(r for r in responses if r.status_code == 200).json()
    with client(server, secret) as http:
        stored = http.get("/initiatives/contested").json()
    assert stored["version"] == 2
    assert stored["name"] == winner["name"]


KPI_BODY = {
    "key": "raced-kpi",
    "name": "Raced KPI",
    "baseline": 0,
    "baseline_date": "2026-01-01",
    "target": 100,
    "target_date": "2026-12-31",
    "owners": ["CMO", "CIO"],
}
# Every PUT that creates: (path, body, what must exist first).
CREATING_PUTS = {
    "role": ("/roles/CCO", {"code": "CCO", "name": "Chief Customer Officer"}, None),
    "capability": ("/capabilities/raced-cap", {"name": "Raced capability"}, None),
    "initiative-with-components": (
        "/initiatives/brand-new",
        initiative_document("brand-new", "Brand new"),
        None,
    ),
    "component": ("/initiatives/host/components/voice", {"name": "Voice"}, "host"),
    "cell": ("/initiatives/host/components/nlu/raci/CEO", {"raci": "C"}, "host"),
    "kpi": ("/kpis/raced-kpi", KPI_BODY, None),
}


@pytest.mark.parametrize(("path", "body", "host"), CREATING_PUTS.values(), ids=CREATING_PUTS)
def test_many_puts_creating_the_same_key_create_it_once_and_replace_it_after(
    server: LiveServer, secret: str, database: Database, path: str, body: dict, host: str | None
) -> None:
    """PUT is create-or-replace on both databases: exactly one 201, every other one a 200
    that replaced it (with the same document: nothing changed, version 1)."""
    if host is not None:
        with client(server, secret) as http:
            assert http.put(f"/initiatives/{host}", json=initiative_document(host, "h")).is_success
    responses = at_once(THREADS, lambda i, http: http.put(path, json=body), secret, server)

    assert_no_server_error(responses)
    statuses = Counter(r.status_code for r in responses)
    assert statuses == {201: 1, 200: THREADS - 1}, [r.text for r in responses if r.is_error]
    with client(server, secret) as http:
        assert http.get(path).json()["version"] == 1  # unchanged replacements raise nothing
    if path.startswith("/initiatives/brand-new"):
        with database.transaction(write=False) as session:
            ids = session.scalars(select(Initiative.id).where(Initiative.key == "brand-new")).all()
            assert len(ids) == 1
            components = session.scalar(
                select(func.count()).where(Component.initiative_id == ids[0])
            )
            assert components == 2
    if path.startswith("/roles"):
        with database.transaction(write=False) as session:
            assert session.scalar(select(func.count()).where(Role.code == "CCO")) == 1


def test_many_create_only_puts_create_it_once_and_the_rest_are_412(
    server: LiveServer, secret: str, database: Database
) -> None:
    body = initiative_document("create-only", "Create only")
    responses = at_once(
        THREADS,
        lambda i, http: http.put(
            "/initiatives/create-only", json=body, headers={"If-None-Match": "*"}
        ),
        secret,
        server,
    )
    assert_no_server_error(responses)
    assert Counter(r.status_code for r in responses) == {201: 1, 412: THREADS - 1}


def test_many_posts_with_one_idempotency_key_do_the_work_once(
    server: LiveServer, secret: str, database: Database
) -> None:
    """Concurrent retries of one POST: one does the work, the others get its answer."""
    role = {"code": "CXO", "name": "Chief Experience Officer"}
    responses = at_once(
        THREADS,
        lambda i, http: http.post("/roles", json=role, headers={"Idempotency-Key": "one-try"}),
        secret,
        server,
    )
    assert_no_server_error(responses)
    assert [r.status_code for r in responses] == [201] * THREADS
    replayed = [r.headers.get("idempotent-replayed") for r in responses]
    assert replayed.count(None) == 1
    with database.transaction(write=False) as session:
        assert session.scalar(select(func.count()).where(Role.code == "CXO")) == 1


def test_imports_racing_cell_edits_lose_no_update_and_half_write_nothing(
    server: LiveServer, secret: str, database: Database
) -> None:
    keys = [f"raced-{n}" for n in range(4)]
    imports, edits_per_thread, editors = 6, 8, 5

    def import_document(round_: int) -> dict[str, Any]:
        return {
            "initiatives": [
                initiative_document(key, f"import {round_}", cio="AR" if round_ % 2 else "A")
                for key in keys
            ]
        }

    with client(server, secret) as http:
        first = http.post("/imports", json=import_document(0))
        assert first.status_code == 200, first.text

    def work(i: int, http: httpx.Client) -> list[tuple[str, str, httpx.Response]]:
        done: list[tuple[str, str, httpx.Response]] = []
        if i == 0:
            for round_ in range(1, imports + 1):
                response = http.post("/imports", json=import_document(round_))
                done.append(("import", "*", response))
            return done
        chooser = random.Random(i)
        for n in range(edits_per_thread):
            key = chooser.choice(keys)
            rationale = f"edit {i}.{n}"
            response = http.put(
                f"/initiatives/{key}/components/nlu/raci/CMO",
                json={"raci": "C", "rationale": rationale},
            )
            done.append((key, rationale, response))
        return done

    barrier = threading.Barrier(editors + 1, timeout=60)

    def run(i: int) -> list[tuple[str, str, httpx.Response]]:
        with client(server, secret) as http:
            http.get("/roles", params={"limit": 1})
            barrier.wait()
            return work(i, http)

    with ThreadPoolExecutor(editors + 1) as pool:
        results = [item for batch in pool.map(run, range(editors + 1)) for item in batch]

    assert_no_server_error([response for *_, response in results])
    import_answers = [r for what, _, r in results if what == "import"]
    assert all(r.status_code == 200 for r in import_answers), [r.text for r in import_answers]
    landed: dict[str, list[str]] = {key: [] for key in keys}
    for key, rationale, response in results:
        if key == "import":
            continue
        # Landed (201 created the cell, 200 changed it), or refused as a conflict.
        assert response.status_code in {200, 201, 409, 412}, response.text
        if response.status_code in {200, 201}:
            landed[key].append(rationale)

    with client(server, secret) as http:
        for key in keys:
            document = http.get(f"/initiatives/{key}", params={"expand": "components"}).json()
            # Every change raised the version by exactly one: the first import created it
            # (1), each later import renamed it, each landed edit changed its CMO cell. A
            # lost update (two writers from the same version) would leave it lower.
            assert document["version"] == 1 + imports + len(landed[key]), (key, landed[key])
            # Whole: the last import's name goes with that import's cells.
            assert document["name"] == f"import {imports}"
            components = {c["key"]: c for c in document["components"]}
            assert set(components) == {"nlu", "persona"}
            nlu = components["nlu"]["raci"]
            assert nlu["CIO"] == ("AR" if imports % 2 else "A")
            assert components["persona"]["raci"] == {"CMO": "A", "CDO": "R"}
            # The CMO cell is not in the imports: present only if an edit landed after the
            # last import, and then it is a landed edit, never a refused one.
            if "CMO" in nlu:
                assert landed[key], key
                cell = http.get(f"/initiatives/{key}/components/nlu/raci/CMO").json()
                assert cell["rationale"] in landed[key]


def test_mixed_writers_never_see_a_locked_database(
    server: LiveServer, secret: str, database: Database
) -> None:
    """Several threads each doing every kind of write: on SQLite they queue on the write
    lock (busy timeout), on PostgreSQL on row locks; no client sees a 5xx or a lock error."""
    with client(server, secret) as http:
        assert http.put("/initiatives/shared", json=initiative_document("shared", "s")).is_success
        kpi = {
            "key": "shared-kpi",
            "name": "Shared KPI",
            "baseline": 0,
            "baseline_date": "2026-01-01",
            "target": 100,
            "target_date": "2026-12-31",
            "owners": ["CMO", "CIO"],
            "initiatives": ["shared"],
        }
        assert http.put("/kpis/shared-kpi", json=kpi).is_success

    rounds = 6

    def work(i: int, http: httpx.Client) -> httpx.Response:
        answers = []
        for n in range(rounds):
            own = f"mixed-{i}-{n}"
            answers += [
                http.put(f"/initiatives/{own}", json=initiative_document(own, own)),
                http.patch("/initiatives/shared", json={"goals": own}),
                http.put(
                    "/initiatives/shared/components/nlu/raci/CDO",
                    json={"raci": "I", "rationale": own},
                ),
                http.post(
                    "/kpis/shared-kpi/measurements",
                    json={
                        "value": i * 100 + n,
                        "measured_at": f"2026-03-{n + 1:02d}T{i:02d}:00:00Z",
                    },
                ),
                http.post("/imports", json={"capabilities": [{"key": own, "name": own}]}),
                http.get("/reports/findings"),
                http.delete(f"/initiatives/{own}"),
            ]
        bad = [r for r in answers if r.status_code >= 500 or "database is locked" in r.text]
        return bad[0] if bad else answers[-1]

    responses = at_once(6, work, secret, server)
    assert_no_server_error(responses)
    assert "database is locked" not in server.logs()
