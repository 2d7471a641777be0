"""The command line says which database it used and where that choice comes from, and
`raci demo --remove` takes out only what the demo created."""

from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from typer.testing import CliRunner, Result

from app.cli import cli
from app.db.engine import Database
from tests import builders


def run(*args: str) -> Result:
    return CliRunner().invoke(cli, list(args))


@pytest.fixture
def elsewhere(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Path:
    """An empty folder to run in, with no RACI_ setting in the environment."""
    monkeypatch.delenv("RACI_DATABASE_URL", raising=False)
    monkeypatch.delenv("RACI_BOOTSTRAP_ADMIN_KEY", raising=False)
    monkeypatch.chdir(tmp_path)
    return tmp_path


def test_by_default_the_cli_names_the_sqlite_file_in_this_folder(elsewhere: Path) -> None:
    assert run("db", "upgrade").exit_code == 0
    result = run("keys", "list")
    assert result.exit_code == 0, result.output
    line = result.stderr.splitlines()[0]
    assert line.startswith(f"Database: sqlite:///{(elsewhere / 'raci.db').resolve()} ")
    assert "the default: raci.db in this folder" in line and str(elsewhere) in line


def test_a_dot_env_file_is_named_as_the_source(elsewhere: Path) -> None:
    (elsewhere / ".env").write_text("RACI_DATABASE_URL=sqlite:///./team.db\n", encoding="utf-8")
    result = run("db", "upgrade")
    assert result.exit_code == 0, result.output
    created = run("keys", "create", "pmo-sync", "--scope", "write")
    assert created.exit_code == 0, created.output
    line = created.stderr.splitlines()[0]
    assert line == (
        f"Database: sqlite:///{(elsewhere / 'team.db').resolve()} "
        f"(from {(elsewhere / '.env').resolve()})"
    )
    assert (elsewhere / "team.db").exists() and not (elsewhere / "raci.db").exists()


def test_the_environment_variable_is_named_as_the_source(
    monkeypatch: pytest.MonkeyPatch, database_url: str, database: Database
) -> None:
    monkeypatch.setenv("RACI_DATABASE_URL", database_url)
    result = run("demo")
    assert result.exit_code == 0, result.output
    assert result.stderr.splitlines()[0].endswith("(from RACI_DATABASE_URL)")
    assert "raci demo --remove" in result.stderr


@pytest.fixture
def demo_loaded(monkeypatch: pytest.MonkeyPatch, database_url: str, database: Database) -> None:
    monkeypatch.setenv("RACI_DATABASE_URL", database_url)
    assert run("demo").exit_code == 0


def keys(client: TestClient, path: str) -> list[str]:
    return [item["key"] for item in client.get(path, params={"limit": 500}).json()["items"]]


@pytest.mark.usefixtures("demo_loaded")
def test_demo_remove_takes_out_only_what_the_demo_created(
    client: TestClient, database: Database
) -> None:
    assert (
        client.put("/initiatives/my-own", json={"name": "Mine", "sponsor": "CMO"}).status_code
        == 201
    )
    builders.capability(database, "my-capability")

    result = run("demo", "--remove")

    assert result.exit_code == 0, result.output
    assert "Demo portfolio removed" in result.stderr
    assert keys(client, "/initiatives") == ["my-own"]
    assert keys(client, "/capabilities") == ["my-capability"]
    assert keys(client, "/kpis") == []
    assert client.get("/roles/CMO").status_code == 200  # the seeded roles stay
    deleted = client.get("/audit", params={"action": "delete", "limit": 500}).json()["items"]
    assert {e["resource_key"] for e in deleted if e["resource_type"] == "initiative"} >= {
        "support-chatbot",
        "customer-360",
    }
    again = run("demo", "--remove")
    assert again.exit_code == 0 and "No demo data to remove" in again.stderr


def test_demo_remove_leaves_rows_the_user_created_under_a_demo_key(
    monkeypatch: pytest.MonkeyPatch, database_url: str, client: TestClient
) -> None:
    # Created by the user first; the demo then only updated it.
    capability = {"key": "conversational-ai", "name": "Ours"}
    assert client.post("/capabilities", json=capability).status_code == 201
    monkeypatch.setenv("RACI_DATABASE_URL", database_url)
    assert run("demo").exit_code == 0
    assert run("demo", "--remove").exit_code == 0
    assert keys(client, "/capabilities") == ["conversational-ai"]


@pytest.mark.usefixtures("demo_loaded")
def test_demo_remove_refuses_when_the_users_rows_still_use_the_demo_and_removes_nothing(
    client: TestClient,
) -> None:
    kpi = {
        "key": "our-kpi",
        "name": "Ours",
        "baseline": 1,
        "baseline_date": "2026-01-01",
        "target": 2,
        "target_date": "2027-01-01",
        "owners": ["CMO"],
        "initiatives": ["support-chatbot"],
    }
    assert client.post("/kpis", json=kpi).status_code == 201
    result = run("demo", "--remove")
    assert result.exit_code == 1
    assert "support-chatbot" in result.stderr and "our-kpi" in result.stderr
    assert "Traceback" not in result.output
    assert "support-chatbot" in keys(client, "/initiatives")
    assert "csat" in keys(client, "/kpis")
