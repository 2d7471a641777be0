"""Two keys agreeing to a cell while a writer changes its letters, at once, against a real
server (`raci serve` in a subprocess; parallel connections on PostgreSQL, SQLite's write lock
otherwise): whatever the order, the change re-opens the agreement and the end state is the
one the audit trail tells."""

import threading
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor

import httpx
import pytest

from app.db.engine import Database
from app.keys import service as keys_service
from app.keys.schemas import ApiKeyCreate
from tests.live_server import LiveServer, client, live_server

CELL = "/initiatives/contested/components/nlu/raci/CIO"
ROUNDS = 3


@pytest.fixture(scope="module")
def server(database_url: str) -> Iterator[LiveServer]:
    with live_server(database_url, log_level="WARNING") as running:
        yield running


@pytest.fixture
def secrets(database: Database) -> dict[str, str]:
    """A writer's key and two keys acting for CIO (made after the per-test reset)."""
    made = {}
    with database.transaction() as session:
        for name, acts_for in (("writer", []), ("cio-a", ["CIO"]), ("cio-b", ["CIO"])):
            data = ApiKeyCreate(name=name, scope="write", acts_for=acts_for)
            made[name] = keys_service.create_key(session, data)[1]
    return made


def test_agreeing_while_the_letters_change_ends_consistent(
    server: LiveServer, secrets: dict[str, str], database: Database
) -> None:
    with client(server, secrets["writer"]) as http:
        document = {
            "name": "Contested",
            "components": [{"key": "nlu", "name": "NLU", "raci": {"CIO": "AR", "CMO": "C"}}],
        }
        assert http.put("/initiatives/contested", json=document).status_code == 201

    letters = ["A", "R", "AR"]
    for round_ in range(ROUNDS):
        barrier = threading.Barrier(3, timeout=60)

        def agree(name: str, barrier: threading.Barrier) -> httpx.Response:
            with client(server, secrets[name]) as http:
                http.get("/roles", params={"limit": 1})
                barrier.wait()
                if name == "cio-a":
                    return http.post(f"{CELL}/agreement", json={"decision": "agree"})
                body = {"decision": "agree", "initiative": "contested", "role": "CIO"}
                return http.post("/agreements", json=body)

        def change(raci: str, barrier: threading.Barrier) -> httpx.Response:
            with client(server, secrets["writer"]) as http:
                http.get("/roles", params={"limit": 1})
                barrier.wait()
                return http.put(CELL, json={"raci": raci})

        with ThreadPoolExecutor(3) as pool:
            answers = [
                pool.submit(agree, "cio-a", barrier),
                pool.submit(agree, "cio-b", barrier),
                pool.submit(change, letters[round_], barrier),
            ]
            responses = [future.result() for future in answers]
        for response in responses:
            assert response.status_code == 200, response.text

        with client(server, secrets["writer"]) as http:
            cell = http.get(CELL).json()
            entries = http.get(
                "/audit",
                params={
                    "resource_type": "raci_cell",
                    "resource_key": "contested/nlu/CIO",
                    "limit": 500,
                },
            ).json()["items"]
        # The change won: the letters are the writer's.
        assert cell["raci"] == letters[round_]
        # Every step of the trail is consistent: a change of letters re-opens the agreement,
        # a decision never changes letters.
        for entry in entries[1:]:
            before, after = entry["before"], entry["after"]
            if before["raci"] != after["raci"]:
                assert after["agreement"] == "proposed", entry
            else:
                assert after["agreement"] == "agreed" and after["agreement_by"], entry
        # And the end state is the trail's last word.
        last = entries[-1]["after"]
        assert cell["agreement"]["state"] == last["agreement"]
        assert cell["agreement"]["by"] == last["agreement_by"]
        changed_at = max(
            i
            for i, e in enumerate(entries)
            if e["before"] and e["before"]["raci"] != e["after"]["raci"]
        )
        decided_after = [
            e for e in entries[changed_at + 1 :] if e["after"]["agreement"] == "agreed"
        ]
        expected = "agreed" if decided_after else "proposed"
        assert cell["agreement"]["state"] == expected
        assert cell["version"] == len(entries)
