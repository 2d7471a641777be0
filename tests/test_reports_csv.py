"""CSV answers of the reports and the matrix: negotiation, header, formula escaping."""

import csv
import io
from typing import Any

import pytest
from fastapi.testclient import TestClient

from app.core.csv_answers import csv_lines, safe_cell
from app.db.engine import Database
from app.main import create_app
from tests.portfolio_loader import demo_portfolio, load_portfolio
from tests.problems import assert_problem

CSV_PATHS = [
    "/reports/findings",
    "/reports/gaps",
    "/reports/overlaps",
    "/reports/roles",
    "/initiatives/support-chatbot/raci",
]


@pytest.fixture
def demo(database: Database) -> Database:
    load_portfolio(database, demo_portfolio())
    return database


def rows_of(response: Any) -> list[list[str]]:
    assert response.status_code == 200, response.text
    assert response.headers["content-type"] == "text/csv; charset=utf-8"
    return list(csv.reader(io.StringIO(response.text)))


@pytest.mark.parametrize("path", CSV_PATHS)
def test_accept_text_csv_and_format_csv_both_answer_csv(
    demo: Database, client: TestClient, path: str
) -> None:
    by_header = rows_of(client.get(path, headers={"Accept": "text/csv"}))
    by_param = rows_of(client.get(path, params={"format": "csv"}))
    assert by_header == by_param
    assert len(by_header) >= 2  # a header row and data
    assert "attachment" in client.get(path, params={"format": "csv"}).headers["content-disposition"]


@pytest.mark.parametrize("path", CSV_PATHS)
def test_json_is_the_default_and_format_json_is_accepted(
    demo: Database, client: TestClient, path: str
) -> None:
    for response in (
        client.get(path),
        client.get(path, params={"format": "json"}),
        client.get(path, headers={"Accept": "application/json"}),
        client.get(path, headers={"Accept": "text/csv;q=0.5, application/json"}),
        client.get(
            path, headers={"Accept": "text/csv", "X-Nothing": "1"}, params={"format": "json"}
        ),
    ):
        assert response.status_code == 200
        assert response.headers["content-type"].startswith("application/json")


@pytest.mark.parametrize("path", CSV_PATHS)
def test_a_bad_format_is_422(demo: Database, client: TestClient, path: str) -> None:
    assert_problem(client.get(path, params={"format": "pdf"}), 422)
    if not path.endswith("/raci"):  # only the matrix is also a workbook
        assert_problem(client.get(path, params={"format": "xlsx"}), 422)


def test_findings_csv_has_a_header_and_one_row_per_finding(
    demo: Database, client: TestClient
) -> None:
    params = {"as_of": "2026-11-23"}
    rows = rows_of(client.get("/reports/findings", params={**params, "format": "csv"}))
    assert rows[0] == [
        "rule",
        "severity",
        "initiative",
        "component",
        "capability",
        "kpi",
        "roles",
        "message",
        "waiver",
    ]
    findings = client.get("/reports/findings", params=params).json()["findings"]
    assert len(rows) == 1 + len(findings)
    for row, finding in zip(rows[1:], findings, strict=True):
        assert row[0] == finding["rule"]
        assert row[2] == (finding["initiative"] or "")
        assert row[6] == ";".join(finding["roles"])
        assert row[7] == finding["message"]  # commas and quotes survive the round trip
        assert row[8] == ""  # no waiver


def test_csv_takes_the_same_filters(demo: Database, client: TestClient) -> None:
    rows = rows_of(
        client.get("/reports/gaps", params={"format": "csv", "initiative": "spring-campaign"})
    )
    assert sorted(row[0] for row in rows[1:]) == ["NO_JOINT_KPI", "UNSPONSORED_INITIATIVE"]


def test_workload_csv_has_a_column_per_letter(demo: Database, client: TestClient) -> None:
    rows = rows_of(client.get("/reports/roles", params={"format": "csv"}))
    assert rows[0] == ["role", "A", "R", "C", "I", "sponsored", "S", "V"]
    assert rows[1:] == [
        ["CDO", "2", "1", "2", "1", "2", "0", "0"],
        ["CEO", "0", "0", "0", "0", "0", "0", "0"],
        ["CIO", "4", "5", "0", "0", "1", "0", "0"],
        ["CMO", "5", "3", "3", "1", "1", "0", "0"],
    ]


def test_matrix_csv_has_a_row_per_component_and_a_column_per_role(
    demo: Database, client: TestClient
) -> None:
    rows = rows_of(client.get("/initiatives/support-chatbot/raci", headers={"Accept": "text/csv"}))
    assert rows == [
        ["initiative", "component", "name", "CDO", "CIO", "CMO", "agreement"],
        ["support-chatbot", "crm-feed", "CRM data feed", "A", "A", "I", "proposed: CDO, CIO, CMO"],
        ["support-chatbot", "nlu", "NLU engine", "", "AR", "C", "proposed: CIO, CMO"],
        ["support-chatbot", "persona", "Conversation design", "R", "", "A", "proposed: CDO, CMO"],
    ]
    every = rows_of(client.get("/initiatives/support-chatbot/raci?format=csv&roles=all"))
    assert every[0] == ["initiative", "component", "name", "CDO", "CEO", "CIO", "CMO", "agreement"]


def test_cells_that_a_spreadsheet_would_run_are_prefixed(
    database: Database, client: TestClient
) -> None:
    names = ["=cmd()", "+1", "-2", "@sum", "\tTab", "\rReturn", "plain", "a=b"]
    load_portfolio(
        database,
        {
            "initiatives": [
                {
                    "key": "evil",
                    "name": '=HYPERLINK("http://x")',
                    "components": [
                        {"key": f"c{n}", "name": name, "raci": {"CIO": "AR"}}
                        for n, name in enumerate(names)
                    ],
                }
            ]
        },
    )
    rows = rows_of(client.get("/initiatives/evil/raci", params={"format": "csv"}))
    assert [row[2] for row in rows[1:]] == [
        "'=cmd()",
        "'+1",
        "'-2",
        "'@sum",
        "'\tTab",
        "'\rReturn",
        "plain",
        "a=b",
    ]
    findings = rows_of(client.get("/reports/findings", params={"format": "csv"}))
    for row in findings[1:]:
        assert all(not cell.startswith(("=", "+", "-", "@", "\t", "\r")) for cell in row)


def test_safe_cell_leaves_numbers_and_empty_values_alone() -> None:
    assert safe_cell(None) == ""
    assert safe_cell(-3) == -3
    assert safe_cell(2.5) == 2.5
    assert safe_cell("-3") == "'-3"
    assert safe_cell("=1+1") == "'=1+1"
    assert safe_cell("CIO") == "CIO"


def test_csv_lines_stream_the_rows_in_chunks() -> None:
    chunks = list(csv_lines(["a", "b"], ([i, f"row {i}"] for i in range(1200))))
    assert len(chunks) > 1
    rows = list(csv.reader(io.StringIO("".join(chunks))))
    assert rows[0] == ["a", "b"] and len(rows) == 1201 and rows[-1] == ["1199", "row 1199"]


def test_errors_stay_problem_json_when_csv_is_asked(client: TestClient) -> None:
    assert_problem(client.get("/initiatives/nope/raci", params={"format": "csv"}), 404)
    assert_problem(
        client.get("/reports/findings", params={"severity": "x"}, headers={"Accept": "text/csv"}),
        422,
    )


@pytest.mark.parametrize(
    "path",
    [
        "/api/v1/reports/findings",
        "/api/v1/reports/gaps",
        "/api/v1/reports/overlaps",
        "/api/v1/reports/roles",
        "/api/v1/initiatives/{key}/raci",
    ],
)
def test_openapi_documents_the_csv_answer(path: str) -> None:
    content = create_app().openapi()["paths"][path]["get"]["responses"]["200"]["content"]
    xlsx = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    expected = {"application/json", "text/csv"} | ({xlsx} if path.endswith("/raci") else set())
    assert set(content) == expected


@pytest.mark.parametrize("path", [*CSV_PATHS, "/audit"])
def test_each_format_has_a_path_of_its_own(demo: Database, client: TestClient, path: str) -> None:
    # For generated clients, which read one media type per operation (app.core.format_paths).
    by_path = client.get(path + ".csv")
    assert rows_of(by_path) == rows_of(client.get(path, params={"format": "csv"}))
    # The suffix wins over a format asked otherwise, and the other filters still apply.
    assert rows_of(client.get(path + ".csv", params={"format": "json"})) == rows_of(by_path)
    assert client.head(path + ".csv").headers["content-type"] == "text/csv; charset=utf-8"
    refused = assert_problem(client.post(path + ".csv"), 405)
    assert "GET" in refused["detail"]


def test_the_matrix_workbook_has_a_path_of_its_own(demo: Database, client: TestClient) -> None:
    workbook = client.get("/initiatives/support-chatbot/raci.xlsx")
    assert workbook.status_code == 200
    assert workbook.headers["content-type"].startswith("application/vnd.openxmlformats")
    assert workbook.content[:2] == b"PK"  # a zip, as every xlsx is


@pytest.mark.parametrize(
    "path", ["/roles.csv", "/reports/findings.json", "/reports/roles.xlsx", "/reports.csv"]
)
def test_a_format_a_path_does_not_have_is_a_404(
    demo: Database, client: TestClient, path: str
) -> None:
    assert_problem(client.get(path), 404)


def test_a_format_path_checks_its_filters_like_the_report(
    demo: Database, client: TestClient
) -> None:
    assert_problem(client.get("/reports/findings.csv", params={"severity": "extreme"}), 422)
    assert_problem(client.get("/initiatives/no-such-thing/raci.csv"), 404)
