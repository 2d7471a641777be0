"""`raci webhooks add|list|remove`, run as a user would, against a database of its own."""

from collections.abc import Iterator
from pathlib import Path

import pytest
from typer.testing import CliRunner, Result

from app.cli import cli
from app.db import migrate
from tests import database as testdb


@pytest.fixture
def migrated(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Iterator[str]:
    monkeypatch.delenv("RACI_BOOTSTRAP_ADMIN_KEY", raising=False)
    monkeypatch.setenv("RACI_WEBHOOK_ALLOW_PRIVATE", "true")
    monkeypatch.chdir(tmp_path)
    with testdb.fresh_database("webhooks-cli") as url:
        monkeypatch.setenv("RACI_DATABASE_URL", url)
        migrate.upgrade(url)
        yield url


def run(*args: str) -> Result:
    return CliRunner().invoke(cli, list(args))


def test_add_list_remove(migrated: str) -> None:
    added = run(
        "webhooks", "add", "http://127.0.0.1:9000/hook", "--event", "cell.changed",
        "--event", "kpi.status_changed", "--role", "cio", "--description", "CIO channel",
    )  # fmt: skip
    assert added.exit_code == 0, added.output
    assert added.stdout.strip().startswith("whsec_")
    assert "routed to CIO" in added.stderr
    endpoint_id = added.stderr.split("endpoint ", 1)[1].split(" ", 1)[0]

    listed = run("webhooks", "list")
    assert listed.exit_code == 0, listed.output
    assert endpoint_id in listed.stdout and "CIO" in listed.stdout
    assert "whsec_" not in listed.stdout

    removed = run("webhooks", "remove", endpoint_id)
    assert removed.exit_code == 0, removed.output
    assert "No webhook endpoints" in run("webhooks", "list").stderr
    again = run("webhooks", "remove", endpoint_id)
    assert again.exit_code != 0 and "No webhook endpoint" in again.stderr


@pytest.mark.parametrize(
    ("args", "says"),
    [
        (("http://127.0.0.1/h", "--event", "cell.moved"), "unknown event type"),
        (("ftp://127.0.0.1/h", "--event", "cell.changed"), "http or https"),
        (("http://127.0.0.1/h", "--event", "cell.changed", "--role", "NOPE"), "no role"),
        (("http://127.0.0.1/h", "--event", "cell.changed", "--role", "1x"), "roles"),
    ],
)
def test_add_refuses_bad_input_in_one_line(migrated: str, args: tuple[str, ...], says: str) -> None:
    result = run("webhooks", "add", *args)
    assert result.exit_code != 0
    assert result.stdout == ""
    assert says.lower() in result.stderr.lower(), result.stderr
    assert "Traceback" not in result.output
    assert "No webhook endpoints" in run("webhooks", "list").stderr


def test_private_urls_are_refused_unless_allowed(
    migrated: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("RACI_WEBHOOK_ALLOW_PRIVATE", "false")
    result = run("webhooks", "add", "http://127.0.0.1/h", "--event", "cell.changed")
    assert result.exit_code != 0 and "RACI_WEBHOOK_ALLOW_PRIVATE" in result.stderr


def test_work_stops_when_its_parent_is_gone(migrated: str) -> None:
    """`raci serve` starts `raci webhooks work --parent <its pid>`: an orphan stops."""
    result = run("webhooks", "work", "--parent", "999999999")
    assert result.exit_code == 0, result.output


@pytest.mark.parametrize(
    ("value", "worker"),
    [("true", "process"), ("false", "off"), ("thread", "thread"), ("process", "process")],
)
def test_worker_setting(monkeypatch: pytest.MonkeyPatch, value: str, worker: str) -> None:
    from app.core.config import Settings

    monkeypatch.setenv("RACI_WEBHOOK_WORKER", value)
    assert Settings().webhook_worker == worker
