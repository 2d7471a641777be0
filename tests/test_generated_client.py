"""A client generated from the OpenAPI document by a tool nobody here wrote
(openapi-python-client), driven against the app: what a PMO integrator does.

The document is the one the app serves now (test_openapi.py keeps the committed file equal
to it). A document change that breaks generated clients (a 201 without its body, a CSV
answer read as JSON, an untyped problem) fails here. Skipped only when the generator is not
installed (it is in the dev extras).
"""

import importlib
import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from app.db.engine import Database
from app.openapi import document, render
from tests.conftest import _key
from tests.portfolio_loader import demo_portfolio, load_portfolio

PACKAGE = "raci_generated_client"
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
# The generator reads a workbook as bytes only under the media type it knows for bytes.
CONFIG = f"""\
project_name_override: {PACKAGE}
package_name_override: {PACKAGE}
post_hooks: []
content_type_overrides:
  {XLSX}: application/octet-stream
"""
# What openapi-python-client cannot read and says so: the sheet import's text bodies (it
# sends a sheet as a multipart form or as bytes instead). Anything else it warns about fails.
KNOWN_WARNINGS = ("POST /api/v1/initiatives/{key}/raci/import",)


def _generator() -> str:
    pytest.importorskip("openapi_python_client", reason="openapi-python-client not installed")
    executable = Path(sys.executable).with_name("openapi-python-client")
    return str(executable) if executable.exists() else shutil.which("openapi-python-client") or ""


@pytest.fixture(scope="module")
def generated(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ModuleType]:
    generator = _generator()
    if not generator:
        pytest.skip("the openapi-python-client command is not installed")
    from app.core.config import Settings
    from app.main import create_app

    folder = tmp_path_factory.mktemp("generated")
    spec = folder / "openapi.json"
    spec.write_text(render(document(create_app(Settings(database_url="sqlite://")))))  # type: ignore[call-arg]
    (folder / "config.yml").write_text(CONFIG)
    result = subprocess.run(  # noqa: S603 - our own venv's tool, fixed arguments
        [
            generator,
            "generate",
            "--path",
            str(spec),
            "--config",
            str(folder / "config.yml"),
            "--meta",
            "none",
            "--output-path",
            str(folder / PACKAGE),
        ],
        capture_output=True,
        text=True,
        check=False,
        timeout=300,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    warnings = [
        line
        for line in (result.stdout + result.stderr).splitlines()
        if line.startswith("WARNING") and not line.endswith(KNOWN_WARNINGS[0] + " within imports.")
    ]
    assert warnings == [], result.stdout
    sys.path.insert(0, str(folder))
    try:
        yield importlib.import_module(PACKAGE)
    finally:
        sys.path.remove(str(folder))
        for name in [name for name in sys.modules if name.startswith(PACKAGE)]:
            del sys.modules[name]


def _module(package: ModuleType, name: str) -> Any:
    return importlib.import_module(f"{package.__name__}.{name}")


def test_every_operation_became_a_function(generated: ModuleType) -> None:
    from app.core.config import Settings
    from app.main import create_app

    schema = document(create_app(Settings(database_url="sqlite://")))  # type: ignore[call-arg]
    api = Path(generated.__file__).parent / "api"
    written = {path.stem for path in api.glob("*/*.py")}
    missing = [
        operation["operationId"]
        for item in schema["paths"].values()
        for operation in item.values()
        if operation["operationId"] not in written
    ]
    assert missing == []


@pytest.fixture
def api(generated: ModuleType, app: FastAPI, database: Database) -> Iterator[Any]:
    """The generated client, authenticated with a write key, talking to the app in process
    (Starlette's TestClient is an httpx client over an ASGI transport)."""
    secret = _key(database, "generated-client", "write")
    client = generated.AuthenticatedClient(base_url="http://testserver", token=secret)
    with TestClient(
        app, base_url="http://testserver", headers={"Authorization": f"Bearer {secret}"}
    ) as transport:
        client.set_httpx_client(transport)
        yield client


def test_create_read_with_etag_and_update_conditionally(generated: ModuleType, api: Any) -> None:
    models = _module(generated, "models")
    put_initiative = _module(generated, "api.initiatives.put_initiative")
    put_component = _module(generated, "api.components.put_component")
    put_cell = _module(generated, "api.raci.put_cell")
    get_cell = _module(generated, "api.raci.get_cell")

    created = put_initiative.sync_detailed(
        "support-chatbot",
        client=api,
        body=models.InitiativeReplace.from_dict(
            {"name": "Support chatbot", "portfolio": "digital", "sponsor": "CMO"}
        ),
    )
    assert created.status_code == 201
    assert isinstance(created.parsed, models.InitiativeRead)  # the body, not None
    assert created.parsed.portfolio is models.Portfolio.DIGITAL
    assert created.headers["Location"] == "/api/v1/initiatives/support-chatbot"

    component = put_component.sync(
        "support-chatbot", "nlu", client=api, body=models.ComponentReplace(name="NLU")
    )
    assert isinstance(component, models.ComponentRead)
    assert component.key == "nlu"

    cell = put_cell.sync_detailed(
        "support-chatbot", "nlu", "CIO", client=api, body=models.RaciCellReplace(raci="r/a")
    )
    assert cell.status_code == 201
    assert isinstance(cell.parsed, models.RaciCellRead)
    assert cell.parsed.raci == "AR"

    read = get_cell.sync_detailed("support-chatbot", "nlu", "CIO", client=api)
    etag = read.headers["ETag"]
    assert etag == cell.headers["ETag"] == f'"{read.parsed.version}"'

    changed = put_cell.sync_detailed(
        "support-chatbot",
        "nlu",
        "CIO",
        client=api,
        body=models.RaciCellReplace(raci="A", rationale="Owns the platform"),
        if_match=etag,
    )
    assert changed.status_code == 200
    assert changed.parsed.raci == "A"
    assert changed.headers["ETag"] != etag

    stale = put_cell.sync_detailed(
        "support-chatbot",
        "nlu",
        "CIO",
        client=api,
        body=models.RaciCellReplace(raci="C"),
        if_match=etag,
    )
    assert stale.status_code == 412
    assert isinstance(stale.parsed, models.Problem)
    assert stale.parsed.type_ == "urn:raci:problem:precondition-failed"
    assert get_cell.sync("support-chatbot", "nlu", "CIO", client=api).raci == "A"


def test_page_to_the_end_of_a_list(generated: ModuleType, api: Any, database: Database) -> None:
    load_portfolio(database, demo_portfolio())
    list_initiatives = _module(generated, "api.initiatives.list_initiatives")
    keys: list[str] = []
    cursor = None
    for _ in range(100):
        page = list_initiatives.sync(client=api, limit=2, cursor=cursor)
        keys += [initiative.key for initiative in page.items]
        cursor = page.next_cursor  # always sent: None on the last page
        if cursor is None:
            break
    assert cursor is None
    everything = list_initiatives.sync(client=api, limit=200)
    assert keys == [initiative.key for initiative in everything.items]
    assert len(keys) > 2 and everything.next_cursor is None


def test_reports_as_json_csv_and_a_workbook(
    generated: ModuleType, api: Any, database: Database
) -> None:
    load_portfolio(database, demo_portfolio())
    models = _module(generated, "models")
    findings = _module(generated, "api.reports.get_findings").sync(client=api)
    assert isinstance(findings, models.FindingsReportRead)
    assert findings.findings and isinstance(findings.findings[0].severity, models.Severity)

    as_csv = _module(generated, "api.reports.get_findings_csv").sync(
        client=api, severity=[models.Severity.HIGH]
    )
    assert isinstance(as_csv, str)
    header, *rows = as_csv.splitlines()
    assert header.startswith("rule,") or "rule" in header.split(",")
    high = [finding for finding in findings.findings if finding.severity is models.Severity.HIGH]
    assert len(rows) == len(high)

    matrix = _module(generated, "api.raci.get_raci_matrix_csv").sync("support-chatbot", client=api)
    assert isinstance(matrix, str) and matrix.count("\n") > 1
    workbook = _module(generated, "api.raci.get_raci_matrix_xlsx").sync(
        "support-chatbot", client=api
    )
    assert workbook.payload.read()[:2] == b"PK"

    exported = _module(generated, "api.imports.get_export").sync(client=api)
    assert isinstance(exported, models.ImportDocument)
    assert "support-chatbot" in [initiative.key for initiative in exported.initiatives]


def test_problems_are_typed(generated: ModuleType, api: Any) -> None:
    models = _module(generated, "models")
    put_initiative = _module(generated, "api.initiatives.put_initiative")
    invalid = put_initiative.sync_detailed(
        "support-chatbot",
        client=api,
        body=models.InitiativeReplace.from_dict(
            {
                "name": "Support chatbot",
                "components": [{"key": "nlu", "name": "NLU", "raci": {"CIO": "X"}}],
            }
        ),
    )
    assert invalid.status_code == 422
    problem = invalid.parsed
    assert isinstance(problem, models.Problem)
    assert problem.type_ == "urn:raci:problem:validation-failed"
    item = problem.errors[0]
    assert isinstance(item, models.ProblemItem)
    assert item.path == "components[0].raci.CIO"
    assert item.loc[0] == "body"

    missing = _module(generated, "api.roles.get_role").sync_detailed("CXO", client=api)
    assert missing.status_code == 404
    assert missing.parsed.type_ == "urn:raci:problem:not-found"
    assert missing.headers["X-Request-ID"]
