"""The `raci` command line, run as a user would, against a database of its own."""

import json
import os
import re
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select
from typer.testing import CliRunner, Result

from app import cli as cli_module
from app.auth.models import ApiKey
from app.auth.resolver import find_by_hash
from app.auth.secrets import hash_secret
from app.cli import cli
from app.db import migrate
from app.db.engine import Database, make_engine
from app.openapi import render
from tests import database as testdb

PROJECT_ROOT = Path(__file__).resolve().parent.parent
SECRET = re.compile(r"raci_[A-Za-z0-9_-]{40,}")


@pytest.fixture
def url(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Iterator[str]:
    """A new, empty database in RACI_DATABASE_URL, with the commands run from elsewhere than
    the project (so that they prove they find the migrations from any working directory)."""
    monkeypatch.delenv("RACI_BOOTSTRAP_ADMIN_KEY", raising=False)
    monkeypatch.chdir(tmp_path)
    with testdb.fresh_database("cli") as fresh:
        monkeypatch.setenv("RACI_DATABASE_URL", fresh)
        yield fresh


@pytest.fixture
def migrated(url: str) -> str:
    migrate.upgrade(url)
    return url


def run(*args: str) -> Result:
    return CliRunner().invoke(cli, list(args))


def assert_one_line_error(result: Result, exit_code: int, contains: str) -> None:
    assert result.exit_code == exit_code, result.output
    assert result.stdout == ""
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith("Error: ")
    assert contains.lower() in lines[0].lower(), lines[0]
    assert "Traceback" not in result.output


def keys_in(url: str) -> dict[str, str]:
    engine = make_engine(url)
    try:
        with engine.connect() as connection:
            return {row.name: row.scope for row in connection.execute(select(ApiKey))}
    finally:
        engine.dispose()


def test_db_upgrade_brings_a_new_database_to_head(url: str) -> None:
    result = run("db", "upgrade")
    assert result.exit_code == 0, result.output
    assert f"to {migrate.head()} (head)" in result.stdout
    assert migrate.current(url) == migrate.head()

    again = run("db", "upgrade")
    assert again.exit_code == 0
    assert "already at revision" in again.stdout


def test_db_current_tells_whether_the_database_is_at_head(url: str) -> None:
    assert "never migrated" in run("db", "current").stdout
    migrate.upgrade(url)
    result = run("db", "current")
    assert result.exit_code == 0
    assert result.stdout.strip() == f"{migrate.head()} (head)"


def test_keys_create_prints_only_the_secret_on_stdout(migrated: str) -> None:
    result = run("keys", "create", "pmo-sync", "--scope", "write")
    assert result.exit_code == 0, result.output
    secret = result.stdout.strip()
    assert result.stdout == secret + "\n"
    assert SECRET.fullmatch(secret)
    assert keys_in(migrated) == {"pmo-sync": "write"}
    database = Database(make_engine(migrated))
    with database.transaction(write=False) as session:
        key = find_by_hash(session, hash_secret(secret))
        assert key is not None and key.name == "pmo-sync"
    database.dispose()


@pytest.mark.parametrize("scope", ["read", "write", "admin"])
def test_keys_create_accepts_each_scope(migrated: str, scope: str) -> None:
    assert run("keys", "create", f"{scope}-key", "--scope", scope).exit_code == 0
    assert keys_in(migrated) == {f"{scope}-key": scope}


def test_keys_create_with_a_taken_name_is_one_line_and_exit_1(migrated: str) -> None:
    run("keys", "create", "pmo-sync", "--scope", "write")
    result = run("keys", "create", "pmo-sync", "--scope", "admin")
    assert_one_line_error(result, 1, "already exists")
    assert keys_in(migrated) == {"pmo-sync": "write"}


def test_keys_create_with_a_bad_scope_is_one_line_and_exit_2(migrated: str) -> None:
    result = run("keys", "create", "pmo-sync", "--scope", "root")
    assert_one_line_error(result, 2, "--scope must be one of read, write, admin")
    assert keys_in(migrated) == {}


def test_keys_create_with_a_bad_name_is_one_line_and_exit_2(migrated: str) -> None:
    assert_one_line_error(run("keys", "create", "PMO Sync"), 2, "not a valid key name")


def test_keys_create_acts_for_roles_and_keys_list_shows_them(migrated: str) -> None:
    made = run(
        "keys", "create", "cio", "--scope", "write", "--acts-for", "cio", "--acts-for", "CDO"
    )
    assert made.exit_code == 0, made.output
    assert "acting for CDO, CIO" in made.stderr
    assert run("keys", "create", "cmo", "--acts-for", "CMO,CEO").exit_code == 0
    result = run("keys", "list")
    rows = {
        cells[0]: cells[2]
        for line in result.stdout.splitlines()
        if "│" in line
        for cells in [[cell.strip() for cell in line.strip("│ ").split("│")]]
    }
    assert rows == {"cio": "CDO, CIO", "cmo": "CEO, CMO"}


def test_keys_create_acting_for_an_unknown_role_is_one_line(migrated: str) -> None:
    assert_one_line_error(run("keys", "create", "x", "--acts-for", "CXO"), 1, "CXO")
    assert_one_line_error(run("keys", "create", "x", "--acts-for", "not a code"), 2, "--acts-for")
    assert keys_in(migrated) == {}


def test_keys_commands_on_an_unmigrated_database_say_what_to_do(url: str) -> None:
    assert_one_line_error(run("keys", "create", "pmo-sync"), 1, "run 'raci db upgrade' first")
    assert_one_line_error(run("keys", "list"), 1, "raci db upgrade")


def test_keys_list_shows_names_and_scopes_but_no_secret(migrated: str) -> None:
    secret = run("keys", "create", "pmo-sync", "--scope", "write").stdout.strip()
    run("keys", "create", "dashboard", "--scope", "read")
    result = run("keys", "list")
    assert result.exit_code == 0
    rows = {line.split()[1]: line.split()[3] for line in result.stdout.splitlines() if "│" in line}
    assert rows == {"dashboard": "read", "pmo-sync": "write"}
    assert secret not in result.output
    # No secret of any shape (the database's name itself may contain "raci_").
    assert not SECRET.search(result.output)


def test_keys_list_of_none_says_how_to_create_one(migrated: str) -> None:
    result = run("keys", "list")
    assert result.exit_code == 0
    assert "raci keys create" in result.stderr


def test_keys_revoke_removes_the_key(migrated: str) -> None:
    run("keys", "create", "pmo-sync", "--scope", "write")
    result = run("keys", "revoke", "pmo-sync")
    assert result.exit_code == 0
    assert "Revoked" in result.stdout
    assert keys_in(migrated) == {}
    assert_one_line_error(run("keys", "revoke", "pmo-sync"), 1, "No API key named 'pmo-sync'")


def test_openapi_writes_sorted_json_with_a_trailing_newline(url: str, tmp_path: Path) -> None:
    target = tmp_path / "out" / "openapi.json"
    result = run("openapi", "--output", str(target))
    assert result.exit_code == 0, result.output
    text = target.read_text(encoding="utf-8")
    assert text.endswith("}\n") and not text.endswith("\n\n")
    document = json.loads(text)
    assert text == render(document)
    assert text.startswith('{\n  "components": ')
    assert "/api/v1/roles" in document["paths"]
    assert run("openapi").stdout == text


def test_openapi_matches_the_committed_document_format(url: str) -> None:
    committed = (PROJECT_ROOT / "openapi" / "openapi.json").read_text(encoding="utf-8")
    assert committed == render(json.loads(committed))


@pytest.fixture
def served(monkeypatch: pytest.MonkeyPatch) -> list[dict[str, Any]]:
    """uvicorn.run replaced by a recorder: serve's own work is what is tested here."""
    import uvicorn

    calls: list[dict[str, Any]] = []
    monkeypatch.setattr(
        uvicorn, "run", lambda app, **options: calls.append({"app": app, **options})
    )
    return calls


def test_serve_migrates_creates_a_first_admin_and_runs_uvicorn(
    url: str, served: list[dict[str, Any]]
) -> None:
    everywhere = "0.0.0.0"  # noqa: S104 (nothing listens: uvicorn.run is replaced)
    result = run("serve", "--host", everywhere, "--port", "8080", "--workers", "2")
    assert result.exit_code == 0, result.output
    assert migrate.current(url) == migrate.head()
    assert keys_in(url) == {"first-admin": "admin"}
    secrets_shown = SECRET.findall(result.stdout)
    assert len(secrets_shown) == 1
    assert "http://localhost:8080/docs" in result.stdout
    assert "Authorize" in result.stdout
    assert len(served) == 1
    options = served[0]
    assert {k: options[k] for k in ("app", "host", "port", "workers", "log_level")} == {
        "app": "app.main:app",
        "host": everywhere,
        "port": 8080,
        "workers": 2,
        "log_level": "info",
    }
    # JSON log lines for uvicorn too; the app writes the access lines; graceful shutdown.
    assert options["log_config"]["handlers"]["default"]["formatter"] == "json"
    assert options["access_log"] is False
    assert options["timeout_graceful_shutdown"] == 30


def test_a_second_serve_creates_no_key_and_shows_no_secret(
    url: str, served: list[dict[str, Any]]
) -> None:
    first = run("serve").stdout
    second = run("serve")
    assert second.exit_code == 0
    assert SECRET.search(first)
    assert not SECRET.search(second.output)
    assert keys_in(url) == {"first-admin": "admin"}
    assert len(served) == 2
    assert served[1]["host"] == "127.0.0.1" and served[1]["port"] == 8000


def test_serve_with_a_bootstrap_key_creates_no_first_admin(
    url: str, served: list[dict[str, Any]], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("RACI_BOOTSTRAP_ADMIN_KEY", "a-long-container-secret-42")
    result = run("serve")
    assert result.exit_code == 0, result.output
    assert not SECRET.search(result.output)
    assert keys_in(url) == {}
    assert len(served) == 1


def test_serve_refuses_a_weak_bootstrap_key_in_one_line(
    url: str, served: list[dict[str, Any]], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("RACI_BOOTSTRAP_ADMIN_KEY", "changeme")
    assert_one_line_error(run("serve"), 1, "RACI_BOOTSTRAP_ADMIN_KEY must be at least 16")
    assert served == []


@pytest.mark.parametrize(
    ("database_url", "message"),
    [
        ("postgresql+psycopg://postgres@127.0.0.1:1/raci?connect_timeout=2", "database error"),
        ("sqlite:////nonexistent-raci-folder/raci.db", "database error"),
        ("not a url", "RACI_DATABASE_URL is not a database URL"),
    ],
)
def test_an_unusable_database_is_one_line_not_a_traceback(
    monkeypatch: pytest.MonkeyPatch,
    tmp_path: Path,
    served: list[dict[str, Any]],
    database_url: str,
    message: str,
) -> None:
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("RACI_BOOTSTRAP_ADMIN_KEY", raising=False)
    monkeypatch.setenv("RACI_DATABASE_URL", database_url)
    for command in (["db", "upgrade"], ["db", "current"], ["keys", "list"], ["serve"]):
        assert_one_line_error(run(*command), 1, message)
    assert served == []


def test_an_unforeseen_failure_is_still_one_line(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], migrated: str
) -> None:
    def broken(_url: str) -> str:
        raise KeyError("something nobody planned for")

    monkeypatch.setattr(migrate, "current", broken)
    monkeypatch.setattr(sys, "argv", ["raci", "db", "current"])
    with pytest.raises(SystemExit) as exit_info:
        cli_module.main()
    assert exit_info.value.code == 1
    captured = capsys.readouterr()
    assert captured.err.strip().splitlines() == [
        "Error: unexpected KeyError: 'something nobody planned for'"
    ]


def test_the_entry_point_runs_from_another_working_directory(url: str, tmp_path: Path) -> None:
    env = {**os.environ, "RACI_DATABASE_URL": url}
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(PROJECT_ROOT), env.get("PYTHONPATH")]))
    completed = subprocess.run(
        [sys.executable, "-m", "app.cli", "db", "upgrade"],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert completed.returncode == 0, completed.stderr
    assert "(head)" in completed.stdout
    assert migrate.current(url) == migrate.head()


def test_no_arguments_shows_the_commands() -> None:
    result = run()
    for command in ("serve", "db", "keys", "openapi"):
        assert command in result.output
