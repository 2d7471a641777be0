"""`raci report ...` against the real application (FastAPI's TestClient injected as the HTTP
client): each report in each format, filters reaching the API, the --fail-on gate, and the
one-line errors."""

import csv
import io
import json
import socket
from typing import Any

import httpx
import pytest
from click.testing import Result
from fastapi import FastAPI
from fastapi.testclient import TestClient
from typer.testing import CliRunner

from app.cli import cli
from app.db.engine import Database
from raci_client.api import EXIT_ERROR, EXIT_GATE, format_loc, normalise_base_url
from tests.portfolio_loader import demo_portfolio, load_portfolio

# Wide enough that rich never folds a rule name or a key in the tables.
# A developer's own RACI_URL or key must not leak into these tests: None unsets them.
WIDE: dict[str, str | None] = {"COLUMNS": "220", "RACI_API_KEY": None, "RACI_URL": None}


class Recorder:
    """The requests a client sent and the responses it got, bodies read."""

    def __init__(self, http: httpx.Client) -> None:
        self.requests: list[httpx.Request] = []
        self.responses: list[httpx.Response] = []
        http.event_hooks["request"].append(self.requests.append)
        http.event_hooks["response"].append(self._response)

    def _response(self, response: httpx.Response) -> None:
        response.read()
        self.responses.append(response)

    @property
    def last(self) -> httpx.Request:
        return self.requests[-1]


def raci(http: httpx.Client | None, *args: str, env: dict[str, str] | None = None) -> Result:
    """Run the `raci` command line, its HTTP calls going to `http`."""
    return CliRunner().invoke(cli, list(args), obj=http, env={**WIDE, **(env or {})})


def closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
    return port


@pytest.fixture
def demo(database: Database) -> None:
    load_portfolio(database, demo_portfolio())


@pytest.fixture
def recorded(reader: TestClient) -> Recorder:
    return Recorder(reader)


def _findings(reader: TestClient, path: str = "/reports/findings", **params: Any) -> list[Any]:
    response = reader.get(path, params=params)
    assert response.status_code == 200, response.text
    findings: list[Any] = response.json()["findings"]
    return findings


# --- findings, gaps, overlaps ---------------------------------------------------------------


@pytest.mark.usefixtures("demo")
def test_findings_table_shows_every_finding_and_a_summary_line(
    reader: TestClient, recorded: Recorder
) -> None:
    expected = _findings(reader)
    result = raci(reader, "report", "findings")
    assert result.exit_code == 0, result.output
    lines = result.stdout.splitlines()
    assert any("Severity" in line and "Rule" in line and "Message" in line for line in lines)
    for finding in expected:
        assert finding["rule"] in result.stdout
    high = sum(1 for f in expected if f["severity"] == "high")
    assert lines[-1].startswith(f"{len(expected)} findings: {high} high")
    assert recorded.last.headers["accept"] == "application/json"


@pytest.mark.usefixtures("demo")
def test_findings_json_is_exactly_the_bytes_the_api_sent(
    reader: TestClient, recorded: Recorder
) -> None:
    result = raci(reader, "report", "findings", "--format", "json")
    assert result.exit_code == 0, result.output
    assert result.stdout_bytes == recorded.responses[-1].content
    assert json.loads(result.stdout_bytes)["summary"]["total"] == len(_findings(reader))


@pytest.mark.usefixtures("demo")
def test_findings_csv_is_exactly_the_bytes_the_api_sent(
    reader: TestClient, recorded: Recorder
) -> None:
    result = raci(reader, "report", "findings", "-f", "csv")
    assert result.exit_code == 0, result.output
    assert recorded.last.headers["accept"] == "text/csv"
    assert result.stdout_bytes == recorded.responses[-1].content
    rows = list(csv.DictReader(io.StringIO(result.stdout)))
    assert len(rows) == len(_findings(reader))
    assert {"rule", "severity", "initiative", "component", "roles", "message"} <= set(rows[0])


@pytest.mark.usefixtures("demo")
def test_every_filter_reaches_the_api_as_query_parameters(
    reader: TestClient, recorded: Recorder
) -> None:
    result = raci(
        reader,
        "report",
        "findings",
        "--rule",
        "no_responsible",
        "--rule",
        "OWNER_DRIFT",
        "--severity",
        "medium",
        "--severity",
        "low",
        "--initiative",
        "smart-store-iot",
        "--initiative",
        "support-chatbot",
        "--portfolio",
        "it",
        "--portfolio",
        "joint",
        "--role",
        "cmo",
        "--include-closed",
        "--as-of",
        "2026-06-30",
        "--format",
        "json",
    )
    assert result.exit_code == 0, result.output
    assert recorded.last.url.path == "/api/v1/reports/findings"
    assert recorded.last.url.query.decode() == (
        "rule=NO_RESPONSIBLE&rule=OWNER_DRIFT&severity=medium&severity=low"
        "&initiative=smart-store-iot&initiative=support-chatbot&portfolio=it&portfolio=joint"
        "&role=CMO&include_closed=true&as_of=2026-06-30"
    )
    findings = json.loads(result.stdout)["findings"]
    assert findings == _findings(
        reader,
        rule=["NO_RESPONSIBLE", "OWNER_DRIFT"],
        severity=["medium", "low"],
        initiative=["smart-store-iot", "support-chatbot"],
        portfolio=["it", "joint"],
        role="CMO",
        include_closed="true",
        as_of="2026-06-30",
    )


@pytest.mark.usefixtures("demo")
@pytest.mark.parametrize(
    ("report", "rules"),
    [
        ("gaps", {"UNOWNED_COMPONENT", "NO_RESPONSIBLE", "UNSPONSORED_INITIATIVE", "NO_JOINT_KPI"}),
        ("overlaps", {"MULTIPLE_ACCOUNTABLE", "CAPABILITY_OVERLAP", "OWNER_DRIFT"}),
    ],
)
@pytest.mark.parametrize("output", ["table", "json", "csv"])
def test_gaps_and_overlaps_come_from_their_own_endpoints(
    reader: TestClient, recorded: Recorder, report: str, rules: set[str], output: str
) -> None:
    result = raci(reader, "report", report, "--format", output, "--severity", "medium")
    assert result.exit_code == 0, result.output
    assert recorded.last.url.path == f"/api/v1/reports/{report}"
    assert recorded.last.url.query == b"severity=medium"
    sent = recorded.responses[-1].content
    expected = _findings(reader, f"/reports/{report}", severity="medium")
    assert expected, "the demo portfolio has medium findings of both kinds"
    if output == "table":
        shown = {rule for rule in rules if rule in result.stdout}
        assert shown == {f["rule"] for f in expected}
    else:
        assert result.stdout_bytes == sent


def test_no_findings_is_said_plainly(reader: TestClient) -> None:
    result = raci(reader, "report", "findings")
    assert result.exit_code == 0, result.output
    assert result.stdout.splitlines() == ["No findings.", "0 findings"]


# --- --fail-on --------------------------------------------------------------------------------


@pytest.mark.usefixtures("demo")
@pytest.mark.parametrize("output", ["table", "json", "csv"])
def test_fail_on_exits_1_when_a_finding_at_or_above_the_severity_exists(
    reader: TestClient, output: str
) -> None:
    findings = _findings(reader)
    high = sum(1 for f in findings if f["severity"] == "high")
    at_least_medium = sum(1 for f in findings if f["severity"] in ("high", "medium"))
    result = raci(reader, "report", "findings", "--format", output, "--fail-on", "medium")
    assert result.exit_code == EXIT_GATE, result.output
    assert f"{at_least_medium} findings at or above medium ({high} high" in result.stderr
    assert result.stdout, "the report is printed before the gate closes"


@pytest.mark.usefixtures("demo")
@pytest.mark.parametrize("output", ["table", "json", "csv"])
def test_fail_on_passes_when_only_lower_findings_exist(reader: TestClient, output: str) -> None:
    # OWNER_DRIFT findings are low: they pass a medium gate and close a low one.
    drift = ["report", "overlaps", "--rule", "OWNER_DRIFT", "--format", output]
    assert _findings(reader, rule="OWNER_DRIFT")
    passed = raci(reader, *drift, "--fail-on", "medium")
    assert passed.exit_code == 0, passed.output
    assert passed.stderr == ""
    closed = raci(reader, *drift, "--fail-on", "low")
    assert closed.exit_code == EXIT_GATE
    assert "at or above low" in closed.stderr


def test_fail_on_with_no_findings_passes(reader: TestClient) -> None:
    result = raci(reader, "report", "gaps", "--fail-on", "low")
    assert result.exit_code == 0, result.output


# --- roles and matrix -------------------------------------------------------------------------


@pytest.mark.usefixtures("demo")
def test_roles_table_has_a_row_per_role_with_its_counts(reader: TestClient) -> None:
    workload = reader.get("/reports/roles").json()["roles"]
    result = raci(reader, "report", "roles")
    assert result.exit_code == 0, result.output
    for entry in workload:
        row = next(line for line in result.stdout.splitlines() if f" {entry['role']} " in line)
        numbers = [int(cell) for cell in row.replace("│", " ").split() if cell.isdigit()]
        assert numbers == [entry[n] for n in ("A", "R", "C", "I", "sponsored")]
    assert result.stdout.splitlines()[-1] == f"{len(workload)} roles"


@pytest.mark.usefixtures("demo")
@pytest.mark.parametrize("output", ["json", "csv"])
def test_roles_json_and_csv_are_the_api_bytes_with_filters(
    reader: TestClient, recorded: Recorder, output: str
) -> None:
    result = raci(
        reader, "report", "roles", "-f", output, "--portfolio", "joint", "--include-closed"
    )
    assert result.exit_code == 0, result.output
    assert recorded.last.url.path == "/api/v1/reports/roles"
    assert recorded.last.url.query == b"portfolio=joint&include_closed=true"
    assert result.stdout_bytes == recorded.responses[-1].content


@pytest.mark.usefixtures("demo")
def test_matrix_table_shows_components_down_and_roles_across(reader: TestClient) -> None:
    matrix = reader.get("/initiatives/support-chatbot/raci").json()
    result = raci(reader, "report", "matrix", "support-chatbot")
    assert result.exit_code == 0, result.output
    header = next(line for line in result.stdout.splitlines() if "Component" in line)
    assert [code for code in header.replace("│", " ").split() if code in matrix["roles"]] == (
        matrix["roles"]
    )
    for row in matrix["rows"]:
        line = next(line for line in result.stdout.splitlines() if f" {row['component']} " in line)
        assert [
            cell for cell in line.replace("│", " ").split() if cell in ("A", "R", "C", "I", "AR")
        ] == [row["cells"][role] for role in matrix["roles"] if row["cells"].get(role)]
    assert result.stdout.splitlines()[-1] == (
        f"{len(matrix['rows'])} components, {len(matrix['roles'])} roles"
    )


@pytest.mark.usefixtures("demo")
@pytest.mark.parametrize(("output", "accept"), [("json", "application/json"), ("csv", "text/csv")])
def test_matrix_json_and_csv_are_the_api_bytes(
    reader: TestClient, recorded: Recorder, output: str, accept: str
) -> None:
    result = raci(reader, "report", "matrix", "support-chatbot", "--format", output)
    assert result.exit_code == 0, result.output
    assert recorded.last.url.path == "/api/v1/initiatives/support-chatbot/raci"
    assert recorded.last.headers["accept"] == accept
    assert result.stdout_bytes == recorded.responses[-1].content


def test_matrix_of_an_unknown_initiative_is_a_one_line_404(reader: TestClient) -> None:
    result = raci(reader, "report", "matrix", "nowhere")
    assert result.exit_code == EXIT_ERROR
    assert result.stderr.startswith("Error: GET /initiatives/nowhere/raci failed: 404 Not found")
    assert len(result.stderr.strip().splitlines()) == 1


@pytest.mark.usefixtures("demo")
@pytest.mark.parametrize(
    ("option", "value"),
    [("--initiative", "does-not-exist"), ("--role", "CXO"), ("--kpi", "no-such-kpi")],
)
@pytest.mark.parametrize("report", ["findings", "gaps", "overlaps"])
def test_a_filter_naming_nothing_that_exists_fails_the_gate_with_exit_2(
    reader: TestClient, report: str, option: str, value: str
) -> None:
    # A CI gate must not pass on a typo: not "No findings" and exit 0.
    result = raci(reader, "report", report, option, value, "--fail-on", "high")
    assert result.exit_code == EXIT_ERROR
    assert "404" in result.stderr and value in result.stderr
    assert "No findings" not in result.stdout


# --- connection, keys, errors -----------------------------------------------------------------


def test_an_unreachable_server_is_one_line_and_exit_2() -> None:
    port = closed_port()
    result = raci(None, "report", "findings", "--url", f"http://127.0.0.1:{port}")
    assert result.exit_code == EXIT_ERROR
    assert result.stderr.strip() == (
        f"Error: cannot reach http://127.0.0.1:{port}/api/v1/reports/findings: connection refused"
    )
    assert "Traceback" not in result.output


def test_the_server_and_key_come_from_the_environment_too() -> None:
    port = closed_port()
    result = raci(None, "report", "roles", env={"RACI_URL": f"127.0.0.1:{port}/api/v1/"})
    assert result.exit_code == EXIT_ERROR
    assert f"cannot reach http://127.0.0.1:{port}/api/v1/reports/roles" in result.stderr


def test_a_refused_key_is_named_as_such(anon: TestClient) -> None:
    result = raci(anon, "report", "findings", "--key", "not-a-real-key-at-all")
    assert result.exit_code == EXIT_ERROR
    assert result.stderr.startswith("Error: the API key was refused: 401 Unauthorized")
    assert "Traceback" not in result.output


def test_no_key_says_how_to_give_one(anon: TestClient) -> None:
    result = raci(anon, "report", "gaps")
    assert result.exit_code == EXIT_ERROR
    assert "the API key was refused: 401" in result.stderr
    assert "set RACI_API_KEY or pass --key" in result.stderr


def test_the_key_option_is_sent_as_a_bearer_token(app: FastAPI, database: Database) -> None:
    from app.keys import service as keys_service
    from app.keys.schemas import ApiKeyCreate

    with database.transaction() as session:
        _, secret = keys_service.create_key(session, ApiKeyCreate(name="ci", scope="read"))
    with TestClient(app, base_url="http://testserver/api/v1") as http:
        recorder = Recorder(http)
        result = raci(http, "report", "roles", env={"RACI_API_KEY": secret})
    assert result.exit_code == 0, result.output
    assert recorder.last.headers["authorization"] == f"Bearer {secret}"


def test_a_422_prints_each_error_with_its_location(reader: TestClient) -> None:
    result = raci(reader, "report", "findings", "--portfolio", "nowhere")
    assert result.exit_code == EXIT_ERROR
    first, *errors = result.stderr.strip().splitlines()
    assert first.startswith("Error: GET /reports/findings failed: 422 Validation failed")
    assert errors and errors[0].strip().startswith("query.portfolio[0]: ")


def test_a_base_url_without_api_v1_works(app: FastAPI, database: Database) -> None:
    load_portfolio(database, demo_portfolio())
    from tests.conftest import ADMIN_SECRET

    with TestClient(app, base_url="http://testserver") as http:
        recorder = Recorder(http)
        result = raci(http, "report", "matrix", "customer-360", "--key", ADMIN_SECRET, "-f", "json")
    assert result.exit_code == 0, result.output
    assert recorder.last.url.path == "/api/v1/initiatives/customer-360/raci"
    assert json.loads(result.stdout)["initiative"] == "customer-360"


@pytest.mark.parametrize(
    ("loc", "path"),
    [
        (
            ["body", "initiatives", 3, "components", 0, "raci", "CIO"],
            "initiatives[3].components[0].raci.CIO",
        ),
        (["roles", 0, "code"], "roles[0].code"),
        (["query", "portfolio", 0], "query.portfolio[0]"),
        (["body"], ""),
    ],
)
def test_locations_are_written_as_the_contract_writes_paths(loc: list[Any], path: str) -> None:
    assert format_loc(loc) == path


@pytest.mark.parametrize(
    "given",
    ["http://h:8000", "http://h:8000/", "http://h:8000/api/v1", "http://h:8000/api/v1/", "h:8000"],
)
def test_server_addresses_are_taken_with_or_without_api_v1(given: str) -> None:
    assert normalise_base_url(given) == "http://h:8000/api/v1"


@pytest.mark.usefixtures("demo")
def test_on_a_narrow_terminal_findings_are_a_list_with_whole_messages(reader: TestClient) -> None:
    findings = _findings(reader)
    result = raci(reader, "report", "findings", env={"COLUMNS": "80"})
    assert result.exit_code == 0, result.output
    assert "┃" not in result.stdout
    assert all(len(line) <= 80 for line in result.stdout.splitlines())
    words = " ".join(result.stdout.split())
    for finding in findings:
        assert " ".join(finding["message"].split()) in words
