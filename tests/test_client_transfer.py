"""`raci import` and `raci export` against the real application (FastAPI's TestClient injected
as the HTTP client): counts, 422 paths, idempotency, CSV matrices merged into the current
components, and an export that imports into an empty database with the same findings."""

import copy
import json
from pathlib import Path
from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from app.db.engine import Database
from raci_client.api import EXIT_ERROR, RaciClient
from raci_client.export_cli import assemble_export
from raci_client.render import count_rows
from raci_client.transfer_cli import post_import, upload_chunks
from tests import database as testdb
from tests.conftest import _key
from tests.portfolio_loader import demo_portfolio, load_portfolio
from tests.test_client_reports import Recorder, raci


def _has_route(app: FastAPI, method: str, path: str) -> bool:
    # The OpenAPI document, not app.routes: included routers may be resolved lazily.
    return method.lower() in app.openapi().get("paths", {}).get(path, {})


@pytest.fixture
def imports(app: FastAPI) -> None:
    """Skips the test while the server has no POST /imports."""
    if not _has_route(app, "POST", "/api/v1/imports"):
        pytest.skip("the server has no POST /api/v1/imports yet")


@pytest.fixture
def demo(database: Database) -> None:
    load_portfolio(database, demo_portfolio())


@pytest.fixture
def recorded(client: TestClient) -> Recorder:
    return Recorder(client)


def write_json(path: Path, document: Any) -> Path:
    path.write_text(json.dumps(document, indent=2), encoding="utf-8")
    return path


def _auth(key: str | None) -> dict[str, str]:
    return {"Authorization": f"Bearer {key}"} if key else {}


def findings_of(http: TestClient, key: str | None = None) -> list[Any]:
    response = http.get("/reports/findings", params={"include_closed": "true"}, headers=_auth(key))
    assert response.status_code == 200, response.text
    findings: list[Any] = response.json()["findings"]
    return findings


def matrices_of(http: TestClient, key: str | None = None) -> dict[str, Any]:
    listed = http.get("/initiatives", params={"limit": 500}, headers=_auth(key))
    assert listed.status_code == 200, listed.text
    keys = [item["key"] for item in listed.json()["items"]]
    return {k: http.get(f"/initiatives/{k}/raci", headers=_auth(key)).json() for k in keys}


def matrix_cells(http: TestClient, initiative: str) -> dict[str, dict[str, str]]:
    matrix = http.get(f"/initiatives/{initiative}/raci").json()
    return {row["component"]: row["cells"] for row in matrix["rows"]}


# --- import of a JSON document ----------------------------------------------------------------


@pytest.mark.usefixtures("imports")
def test_import_prints_counts_per_resource_and_sends_an_idempotency_key(
    client: TestClient, recorded: Recorder, tmp_path: Path
) -> None:
    file = write_json(tmp_path / "portfolio.json", demo_portfolio())
    result = raci(client, "import", str(file))
    assert result.exit_code == 0, result.output
    sent = recorded.last
    assert (sent.method, sent.url.path) == ("POST", "/api/v1/imports")
    assert sent.headers["idempotency-key"].startswith("raci-import-")
    assert sent.content == file.read_bytes()
    assert "Created" in result.stdout and "Unchanged" in result.stdout
    for resource in ("roles", "capabilities", "initiatives", "kpis"):
        assert resource in result.stdout
    assert result.stdout.splitlines()[-1].endswith("unchanged")
    assert findings_of(client), "the demo portfolio has findings once imported"


@pytest.mark.usefixtures("imports")
def test_a_retried_import_with_the_same_key_is_answered_from_the_first(
    client: TestClient, recorded: Recorder, tmp_path: Path
) -> None:
    file = write_json(tmp_path / "portfolio.json", demo_portfolio())
    first = raci(client, "import", str(file), "--format", "json", "--idempotency-key", "run-1")
    assert first.exit_code == 0, first.output
    versions = {i["key"]: i["version"] for i in client.get("/initiatives").json()["items"]}
    again = raci(client, "import", str(file), "--format", "json", "--idempotency-key", "run-1")
    assert again.exit_code == 0, again.output
    assert again.stdout == first.stdout, "the retry is answered as the first import was"
    assert {i["key"]: i["version"] for i in client.get("/initiatives").json()["items"]} == versions


@pytest.mark.usefixtures("imports")
def test_each_run_sends_a_new_idempotency_key(
    client: TestClient, recorded: Recorder, tmp_path: Path
) -> None:
    file = write_json(tmp_path / "portfolio.json", demo_portfolio())
    assert raci(client, "import", str(file)).exit_code == 0
    assert raci(client, "import", str(file)).exit_code == 0
    keys = [r.headers["idempotency-key"] for r in recorded.requests if r.method == "POST"]
    assert len(keys) == 2 and keys[0] != keys[1]


@pytest.mark.usefixtures("imports")
def test_a_fresh_idempotency_key_applies_the_same_file_again(
    client: TestClient, tmp_path: Path
) -> None:
    file = write_json(tmp_path / "portfolio.json", demo_portfolio())
    assert raci(client, "import", str(file)).exit_code == 0
    again = raci(client, "import", str(file), "--idempotency-key", "run-2", "--format", "json")
    assert again.exit_code == 0, again.output
    counts = [row for _, row in count_rows(json.loads(again.stdout))]
    assert counts and all(row.get("created", 0) == row.get("updated", 0) == 0 for row in counts)
    assert any(row.get("unchanged", 0) > 0 for row in counts)


@pytest.mark.usefixtures("imports")
def test_an_invalid_document_prints_every_error_as_its_path_and_writes_nothing(
    client: TestClient, tmp_path: Path
) -> None:
    document = copy.deepcopy(demo_portfolio())
    document["initiatives"][1]["components"][0]["raci"]["CIO"] = "X"
    document["initiatives"][0]["sponsor"] = "nobody at all"
    file = write_json(tmp_path / "broken.json", document)
    result = raci(client, "import", str(file))
    assert result.exit_code == EXIT_ERROR
    assert result.stderr.startswith("Error: the import was refused, nothing was written")
    lines = [line.strip() for line in result.stderr.splitlines()[1:]]
    assert any(line.startswith("initiatives[1].components[0].raci.CIO: ") for line in lines)
    assert any(line.startswith("initiatives[0].sponsor") for line in lines)
    assert "Traceback" not in result.output
    assert client.get(f"/initiatives/{document['initiatives'][2]['key']}").status_code == 404


def test_a_file_that_is_not_json_is_refused_before_anything_is_sent(
    client: TestClient, recorded: Recorder, tmp_path: Path
) -> None:
    file = tmp_path / "document.json"
    file.write_text("initiative,component,CIO\n", encoding="utf-8")
    result = raci(client, "import", str(file))
    assert result.exit_code == EXIT_ERROR
    assert "is not valid JSON: line 1 column 1" in result.stderr
    assert recorded.requests == []


def test_a_sheet_without_initiative_is_refused_before_anything_is_sent(
    client: TestClient, recorded: Recorder, tmp_path: Path
) -> None:
    file = tmp_path / "matrix.csv"
    file.write_text("Task,CIO\nNLU,A\n", encoding="utf-8")
    result = raci(client, "import", str(file))
    assert result.exit_code == EXIT_ERROR
    assert "--initiative KEY" in result.stderr
    assert recorded.requests == []


def test_a_missing_file_is_a_usage_error(client: TestClient, tmp_path: Path) -> None:
    result = raci(client, "import", str(tmp_path / "nothing.json"))
    assert result.exit_code == 2
    assert "does not exist" in result.output


def test_upload_chunks_yield_the_whole_body_and_report_each_chunk() -> None:
    body = bytes(range(256)) * 1000
    reported: list[int] = []
    chunks = list(upload_chunks(body, reported.append, chunk_bytes=10_000))
    assert b"".join(chunks) == body
    assert reported == [len(chunk) for chunk in chunks]
    assert sum(reported) == len(body)


@pytest.mark.usefixtures("imports")
def test_a_streamed_upload_with_progress_reaches_the_server_whole(client: TestClient) -> None:
    document = demo_portfolio()
    # Padding makes the body span many chunks without changing what it means.
    body = json.dumps(document, indent=200).encode()
    assert len(body) > 200_000
    response = post_import(RaciClient(client), body, show_progress=True)
    assert response.status_code == 200, response.text
    assert len(findings_of(client)) > 0


# --- import of a RACI sheet -------------------------------------------------------------------

SHEETS = Path(__file__).parent / "data" / "real-world"
CASES = {
    case["file"]: case
    for case in json.loads((SHEETS / "expected.json").read_text(encoding="utf-8"))["cases"]
}


@pytest.mark.parametrize("name", sorted(CASES))
def test_every_example_sheet_gives_its_expected_cells_through_the_command_line(
    client: TestClient, name: str
) -> None:
    case = CASES[name]
    key = "cli-" + name.split(".")[0]
    args = ["import", str(SHEETS / name), "--initiative", key, "--create"]
    if case.get("create_roles"):
        args.append("--create-roles")
    result = raci(client, *args)
    assert result.exit_code == 0, result.output
    roles = client.get("/roles", params={"limit": 500}).json()["items"]
    codes = {**{r["code"]: r["code"] for r in roles}, **{r["name"]: r["code"] for r in roles}}
    document = client.get(f"/initiatives/{key}", params={"expand": "components"}).json()
    cells = {
        (f"{c['group']} / {c['name']}" if c["group"] else c["name"]): c["raci"]
        for c in document["components"]
    }
    assert cells == {
        task: {codes[h]: "".join(sorted(v, key="ARSCIV".index)) for h, v in row.items()}
        for task, row in case["cells"].items()
    }


def test_a_sheet_dry_run_prints_the_changes_and_writes_nothing(
    client: TestClient, tmp_path: Path
) -> None:
    file = tmp_path / "chatbot.md"
    file.write_text(
        "| Task | CIO | CMO |\n|---|---|---|\n| NLU | **A** | R/C |\n", encoding="utf-8"
    )
    result = raci(client, "import", str(file), "--initiative", "md", "--create", "--dry-run")
    assert result.exit_code == 0, result.output
    assert "would change 2 created" in result.stdout
    assert "dry run: nothing written" in result.stdout
    assert client.get("/initiatives/md").status_code == 404


def test_a_bad_sheet_names_line_column_and_value_and_writes_nothing(
    client: TestClient, tmp_path: Path
) -> None:
    file = tmp_path / "bad.csv"
    file.write_text("Task,CIO,CMO\nNLU,A,X\nFeed,R\n", encoding="utf-8")
    result = raci(client, "import", str(file), "--initiative", "bad", "--create")
    assert result.exit_code == EXIT_ERROR
    assert "nothing was imported" in result.stderr
    assert "line 2, column 3 ('X')" in result.stderr
    assert "line 3" in result.stderr
    assert client.get("/initiatives/bad").status_code == 404


def test_replace_and_role_mappings_reach_the_server(client: TestClient, tmp_path: Path) -> None:
    first = tmp_path / "first.csv"
    first.write_text("Task,CIO,Marketing\nNLU,A,R\nFeed,R,A\n", encoding="utf-8")
    args = ["--initiative", "mapped", "--create", "--role", "Marketing=CMO"]
    assert raci(client, "import", str(first), *args).exit_code == 0
    second = tmp_path / "second.csv"
    second.write_text("Task,CIO\nNLU,AR\n", encoding="utf-8")
    result = raci(client, "import", str(second), "--initiative", "mapped", "--replace")
    assert result.exit_code == 0, result.output
    assert matrix_cells(client, "mapped") == {"nlu": {"CIO": "AR"}}


def test_created_roles_take_the_function_given_on_the_command_line(
    client: TestClient, tmp_path: Path
) -> None:
    file = tmp_path / "roles.csv"
    file.write_text("Task,Data Steward\nFeed,R\n", encoding="utf-8")
    args = ["--initiative", "steward", "--create", "--create-roles", "--role-function", "data"]
    result = raci(client, "import", str(file), *args)
    assert result.exit_code == 0, result.output
    assert client.get("/roles/DS").json()["function"] == "data"


def test_the_matrix_csv_export_imports_back_unchanged(client: TestClient, tmp_path: Path) -> None:
    load = tmp_path / "load.csv"
    load.write_text("Task,CIO,CMO\nPLANNING,,\nCharter,A/C,R\n", encoding="utf-8")
    assert raci(client, "import", str(load), "--initiative", "again", "--create").exit_code == 0
    exported = raci(client, "report", "matrix", "again", "--format", "csv")
    assert exported.exit_code == 0, exported.output
    file = tmp_path / "again.csv"
    file.write_bytes(exported.stdout_bytes)
    result = raci(client, "import", str(file), "--initiative", "again", "--format", "json")
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout)["changes"] == []


# --- export -----------------------------------------------------------------------------------


@pytest.mark.usefixtures("demo")
def test_export_writes_an_import_document_of_the_whole_portfolio(
    client: TestClient, tmp_path: Path
) -> None:
    file = tmp_path / "export.json"
    result = raci(client, "export", str(file))
    assert result.exit_code == 0, result.output
    document = json.loads(file.read_text(encoding="utf-8"))
    demo = demo_portfolio()
    assert {"roles", "capabilities", "initiatives", "kpis", "measurements"} <= set(document)
    assert {i["key"] for i in document["initiatives"]} == {i["key"] for i in demo["initiatives"]}
    chatbot = next(i for i in document["initiatives"] if i["key"] == "support-chatbot")
    assert {c["key"]: c["raci"] for c in chatbot["components"]}["nlu"] == {"CIO": "AR", "CMO": "C"}
    assert {k["key"] for k in document["kpis"]} == {k["key"] for k in demo["kpis"]}
    assert sum(map(len, document["measurements"].values())) == sum(
        map(len, demo["measurements"].values())
    )
    for item in [*document["initiatives"], *document["kpis"], *document["roles"]]:
        assert "version" not in item and "created_at" not in item
    assert result.stderr.startswith("exported 4 roles, ")


@pytest.mark.usefixtures("demo")
def test_export_to_stdout_writes_the_document_there(client: TestClient) -> None:
    result = raci(client, "export", "-")
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout)["initiatives"]
    assert "to standard output" in result.stderr


@pytest.mark.usefixtures("imports")
@pytest.mark.parametrize("how", ["command", "assembled from the list endpoints"])
def test_export_then_import_into_an_empty_database_gives_the_same_findings_and_matrices(
    client: TestClient,
    database: Database,
    _session_database: tuple[Database, dict[str, Any]],
    tmp_path: Path,
    how: str,
) -> None:
    load_portfolio(database, demo_portfolio())
    client.patch("/initiatives/spring-campaign", json={"status": "done"})
    findings, matrices = findings_of(client), matrices_of(client)
    file = tmp_path / "export.json"
    if how == "command":
        result = raci(client, "export", str(file))
        assert result.exit_code == 0, result.output
    else:
        write_json(file, assemble_export(RaciClient(client), concurrency=2))

    # An empty database: only the migrations' seed rows, and (the old ones being gone) a key.
    _, seed = _session_database
    testdb.reset(database.engine, seed)
    key = _key(database, "restore", "write")
    assert matrices_of(client, key) == {}
    result = raci(client, "import", str(file), "--key", key)
    assert result.exit_code == 0, result.output
    assert findings_of(client, key) == findings
    assert matrices_of(client, key) == matrices
