"""POST /initiatives/{key}/raci/import: RACI sheets as people keep them, through HTTP.

Every example sheet (tests/data/real-world, a copy of the shared examples) gives exactly its
expected cells; bad sheets are 422 problems naming line, column and value, and change nothing.
"""

import io
import json
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from openpyxl import Workbook

from tests.problems import assert_problem, error_locs

DATA = Path(__file__).parent / "data" / "real-world"
EXPECTED = json.loads((DATA / "expected.json").read_text(encoding="utf-8"))
CASES = {case["file"]: case for case in EXPECTED["cases"]}
CSV = {"Content-Type": "text/csv"}
URL = "/initiatives/{key}/raci/import"


def post_sheet(
    client: TestClient,
    key: str,
    body: bytes | str,
    *,
    content_type: str = "text/csv",
    **params: Any,
) -> Any:
    data = body.encode() if isinstance(body, str) else body
    return client.post(
        URL.format(key=key),
        content=data,
        headers={"Content-Type": content_type},
        params={name: _param(value) for name, value in params.items()},
    )


def _param(value: Any) -> Any:
    return str(value).lower() if isinstance(value, bool) else value


def matrix_by_label(client: TestClient, key: str) -> dict[str, dict[str, str]]:
    """The initiative's cells keyed as expected.json keys them: `group / task` (or the task)
    and the role's code."""
    document = client.get(f"/initiatives/{key}", params={"expand": "components"}).json()
    cells = {}
    for component in document["components"]:
        label = component["name"]
        if component["group"]:
            label = f"{component['group']} / {label}"
        cells[label] = component["raci"]
    return cells


def header_codes(client: TestClient) -> dict[str, str]:
    """Role code by what a sheet may head it with: its code, or its name."""
    roles = client.get("/roles", params={"limit": 500}).json()["items"]
    return {**{r["code"]: r["code"] for r in roles}, **{r["name"]: r["code"] for r in roles}}


MIME = {".csv": "text/csv", ".tsv": "text/tab-separated-values", ".md": "text/markdown"}


@pytest.mark.parametrize("name", sorted(CASES))
def test_every_example_sheet_gives_exactly_its_expected_cells_through_http(
    client: TestClient, name: str
) -> None:
    case = CASES[name]
    key = "sheet-" + name.split(".")[0]
    response = post_sheet(
        client,
        key,
        (DATA / name).read_bytes(),
        content_type=MIME[Path(name).suffix],
        create=True,
        create_roles=case.get("create_roles", False),
    )
    assert response.status_code == 200, response.text
    codes = header_codes(client)
    expected = {
        task: {
            codes[header]: "".join(sorted(letters, key="ARSCIV".index))
            for header, letters in row.items()
        }
        for task, row in case["cells"].items()
    }
    assert matrix_by_label(client, key) == expected
    for task, notes in case.get("rationales", {}).items():
        document = client.get(f"/initiatives/{key}", params={"expand": "components"}).json()
        component = next(c for c in document["components"] if c["name"] == task)
        assert component["rationales"] == {codes[h]: text for h, text in notes.items()}


def test_importing_the_same_sheet_twice_changes_nothing_the_second_time(
    client: TestClient,
) -> None:
    sheet = (DATA / "semicolon.csv").read_bytes()
    first = post_sheet(client, "twice", sheet, create=True).json()
    assert first["summary"] == {"created": 4, "updated": 0, "removed": 0, "unchanged": 0}
    version = client.get("/initiatives/twice").json()["version"]
    audit_before = len(client.get("/audit", params={"limit": 500}).json()["items"])
    second = post_sheet(client, "twice", sheet).json()
    assert second["summary"] == {"created": 0, "updated": 0, "removed": 0, "unchanged": 4}
    assert second["changes"] == []
    assert client.get("/initiatives/twice").json()["version"] == version
    assert len(client.get("/audit", params={"limit": 500}).json()["items"]) == audit_before


def test_a_dry_run_answers_the_changes_and_writes_nothing(client: TestClient) -> None:
    post_sheet(client, "dry", "Task,CIO,CMO\nNLU,A,R\n", create=True)
    response = post_sheet(client, "dry", "Task,CIO,CMO\nNLU,R/A,C\nFeed,A,\n", dry_run=True)
    body = response.json()
    assert body["dry_run"] is True
    assert body["summary"] == {"created": 1, "updated": 2, "removed": 0, "unchanged": 0}
    assert {(c["component"], c["role"], c["before"], c["after"]) for c in body["changes"]} == {
        ("nlu", "CIO", "A", "AR"),
        ("nlu", "CMO", "R", "C"),
        ("feed", "CIO", None, "A"),
    }
    assert body["components_created"] == ["feed"]
    assert matrix_by_label(client, "dry") == {"NLU": {"CIO": "A", "CMO": "R"}}


def test_merge_keeps_what_the_sheet_does_not_name_and_warns_about_it(client: TestClient) -> None:
    post_sheet(client, "merge", "Task,CIO,CMO\nNLU,A,R\nFeed,R,A\n", create=True)
    body = post_sheet(client, "merge", "Task,CIO\nNLU,R\n").json()
    assert matrix_by_label(client, "merge") == {
        "NLU": {"CIO": "R", "CMO": "R"},
        "Feed": {"CIO": "R", "CMO": "A"},
    }
    assert "component 'feed' is not in the sheet: left as it is" in body["warnings"]


def test_replace_makes_the_matrix_exactly_the_sheet(client: TestClient) -> None:
    post_sheet(client, "replace", "Task,CIO,CMO\nNLU,A,R\nFeed,R,A\n", create=True)
    body = post_sheet(client, "replace", "Task,CIO\nNLU,AR\n", mode="replace").json()
    assert matrix_by_label(client, "replace") == {"NLU": {"CIO": "AR"}}
    assert body["summary"] == {"created": 0, "updated": 1, "removed": 3, "unchanged": 0}


def test_findings_follow_the_letter_sets(client: TestClient) -> None:
    post_sheet(
        client, "findings", "Task,CIO,CMO\nBoth own it,A/C,R/A\nNobody owns it,C/I,R\n", create=True
    )
    findings = client.get("/reports/findings", params={"initiative": "findings"}).json()
    rules = {(f["rule"], f["component"]) for f in findings["findings"]}
    assert ("MULTIPLE_ACCOUNTABLE", "both-own-it") in rules
    assert ("UNOWNED_COMPONENT", "nobody-owns-it") in rules
    assert ("NO_RESPONSIBLE", "both-own-it") not in rules


def test_a_multipart_upload_and_an_xlsx_workbook_are_read(client: TestClient) -> None:
    book = Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.append(["RACI for the chatbot"])
    sheet.append([])
    sheet.append(["Task", "CIO", "CMO"])
    sheet.append(["NLU", "A/R", "C"])
    buffer = io.BytesIO()
    book.save(buffer)
    response = client.post(
        URL.format(key="upload"),
        params={"create": "true"},
        files={"file": ("matrix.xlsx", buffer.getvalue(), "application/octet-stream")},
    )
    assert response.status_code == 200, response.text
    assert matrix_by_label(client, "upload") == {"NLU": {"CIO": "AR", "CMO": "C"}}


def test_role_mappings_and_created_roles(client: TestClient) -> None:
    response = post_sheet(
        client,
        "mapped",
        "Task,Marketing,Growth Hacker\nCampaign,A,R\n",
        create=True,
        create_roles=True,
        role="Marketing=CMO",
    )
    body = response.json()
    assert body["roles_created"] == ["GH"]
    assert matrix_by_label(client, "mapped") == {"Campaign": {"CMO": "A", "GH": "R"}}
    assert client.get("/roles/GH").json()["name"] == "Growth Hacker"
    assert client.get("/roles/GH").json()["function"] == "other"


def test_created_roles_take_the_function_asked_for(client: TestClient) -> None:
    response = post_sheet(
        client,
        "functions",
        "Task,Data Steward\nFeed,R\n",
        create=True,
        create_roles=True,
        role_function="data",
    )
    assert response.json()["roles_created"] == ["DS"]
    assert client.get("/roles/DS").json()["function"] == "data"


def test_an_unknown_role_function_for_created_roles_is_422(client: TestClient) -> None:
    response = post_sheet(
        client,
        "functions",
        "Task,Data Steward\nFeed,R\n",
        create=True,
        create_roles=True,
        role_function="finance",
    )
    assert_problem(response, 422)
    assert error_locs(response) == [["query", "role_function"]]
    assert client.get("/roles/DS").status_code == 404
    assert_nothing_written(client, "functions")


# --- bad input: 422 (or 404, 413, 415) and nothing written --------------------------------


def assert_nothing_written(client: TestClient, key: str) -> None:
    assert client.get(f"/initiatives/{key}").status_code == 404


def sheet_errors(response: Any) -> list[tuple[Any, Any, Any]]:
    body = assert_problem(response, 422)
    return [(e["line"], e["column"], e["value"]) for e in body["errors"]]


def test_unknown_headers_are_one_error_each_with_their_column(client: TestClient) -> None:
    response = post_sheet(client, "unknown", "Task,CIO,Growth,Ops\nA,A,R,C\nB,R,A,I\n", create=True)
    assert sheet_errors(response) == [(1, 3, "Growth"), (1, 4, "Ops")]
    assert_nothing_written(client, "unknown")


@pytest.mark.parametrize(
    ("sheet", "where"),
    [
        ("Task,CIO,CMO\nNLU,A\n", (2, None, None)),  # a short row
        ("Task,CIO,CMO\nNLU,A,R,C\n", (2, 4, "C")),  # a long row
        ("Task,CIO,CMO\nNLU,A,X\n", (2, 3, "X")),  # an unknown letter
        ('Task,CIO,CMO\nNLU,"A,R\n', (2, None, None)),  # a broken quote
    ],
)
def test_a_bad_row_is_a_422_naming_its_line_and_changes_nothing(
    client: TestClient, sheet: str, where: tuple[Any, Any, Any]
) -> None:
    post_sheet(client, "bad-rows", "Task,CIO,CMO\nNLU,A,R\n", create=True)
    before = matrix_by_label(client, "bad-rows")
    errors = sheet_errors(post_sheet(client, "bad-rows", sheet))
    line, column, value = where
    assert errors[0][0] == line
    if column is not None:
        assert errors[0][1:] == (column, value)
    assert matrix_by_label(client, "bad-rows") == before


def test_an_unknown_initiative_is_404_unless_create(client: TestClient) -> None:
    assert_problem(post_sheet(client, "nowhere", "Task,CIO\nNLU,A\n"), 404)
    assert_nothing_written(client, "nowhere")


@pytest.mark.parametrize(
    ("body", "content_type"),
    [
        (
            b"PK\x03\x04not really a zip",
            "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        ),
        (
            b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\0" * 64,
            "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        ),
        (b"\x00\x01\x02\x03binary", "text/csv"),
    ],
)
def test_an_unreadable_file_is_a_422_and_changes_nothing(
    client: TestClient, body: bytes, content_type: str
) -> None:
    assert_problem(
        post_sheet(client, "unreadable", body, content_type=content_type, create=True), 422
    )
    assert_nothing_written(client, "unreadable")


def test_a_sheet_in_a_media_type_it_cannot_read_is_415(client: TestClient) -> None:
    response = post_sheet(client, "pdf", b"%PDF-1.7", content_type="application/pdf", create=True)
    assert_problem(response, 415)
    assert_nothing_written(client, "pdf")


def test_a_bad_role_mapping_is_a_422_naming_the_parameter(client: TestClient) -> None:
    response = post_sheet(client, "mapping", "Task,X\nA,A\n", create=True, role="X=not a code")
    body = assert_problem(response, 422)
    assert body["errors"][0]["loc"] == ["query", "role", 0]
    assert_nothing_written(client, "mapping")


def test_a_read_key_may_not_import(reader: TestClient) -> None:
    assert_problem(post_sheet(reader, "read-only", "Task,CIO\nNLU,A\n", create=True), 403)


@pytest.mark.parametrize("name", sorted(CASES))
@pytest.mark.parametrize("output", ["csv", "xlsx"])
def test_the_matrix_exported_as_csv_or_xlsx_imports_back_unchanged(
    client: TestClient, name: str, output: str
) -> None:
    key = "round-" + name.split(".")[0]
    case = CASES[name]
    first = post_sheet(
        client,
        key,
        (DATA / name).read_bytes(),
        content_type=MIME[Path(name).suffix],
        create=True,
        create_roles=case.get("create_roles", False),
    )
    assert first.status_code == 200, first.text
    exported = client.get(f"/initiatives/{key}/raci", params={"format": output})
    assert exported.status_code == 200
    content_type = "text/csv" if output == "csv" else XLSX
    again = post_sheet(client, key, exported.content, content_type=content_type, mode="replace")
    assert again.status_code == 200, again.text
    assert again.json()["changes"] == []
    assert again.json()["summary"]["created"] == again.json()["summary"]["removed"] == 0


def test_the_matrix_has_the_initiatives_roles_a_group_column_and_letter_sets(
    client: TestClient,
) -> None:
    sheet = "Task,CIO,CMO\nPLANNING,,\nCharter,A/C,R\nBUILD,,\nNLU,R,\n"
    assert post_sheet(client, "grouped", sheet, create=True).status_code == 200
    matrix = client.get("/initiatives/grouped/raci").json()
    assert matrix["roles"] == ["CIO", "CMO"]
    assert [(r["name"], r["group"], r["cells"]) for r in matrix["rows"]] == [
        ("Charter", "PLANNING", {"CIO": "AC", "CMO": "R"}),
        ("NLU", "BUILD", {"CIO": "R"}),
    ]
    every = client.get("/initiatives/grouped/raci", params={"roles": "all"}).json()
    assert every["roles"] == ["CDO", "CEO", "CIO", "CMO"]
    lines = client.get("/initiatives/grouped/raci", params={"format": "csv"}).text.splitlines()
    assert lines[0] == "initiative,component,name,group,CIO,CMO,agreement"
    assert lines[1] == 'grouped,charter,Charter,PLANNING,AC,R,"proposed: CIO, CMO"'


def test_the_xlsx_matrix_keeps_the_heat_map_colours(client: TestClient) -> None:
    from openpyxl import load_workbook

    assert post_sheet(client, "colours", "Task,CIO,CMO\nNLU,A,I\n", create=True).status_code == 200
    answer = client.get("/initiatives/colours/raci", headers={"Accept": XLSX})
    assert answer.headers["content-type"] == XLSX
    book = load_workbook(io.BytesIO(answer.content))
    cells = {cell.value: cell.fill.fgColor.rgb for row in book.active.iter_rows() for cell in row}
    assert cells["A"] != cells["I"]
    assert cells["A"] not in (None, "00000000")


def test_a_sheet_over_the_body_limit_is_413_and_changes_nothing(client: TestClient) -> None:
    huge = "Task,CIO\n" + "x,A\n" * 3_000_000
    assert_problem(post_sheet(client, "huge", huge, create=True), 413)
    assert_nothing_written(client, "huge")


XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
