"""The Dockerfile, read rather than built (no Docker engine here): the parts that matter."""

import json
import re
import shlex
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent


def _instructions() -> list[tuple[str, str]]:
    """(INSTRUCTION, arguments) per line, with continuations joined and comments dropped."""
    text = (ROOT / "Dockerfile").read_text(encoding="utf-8")
    joined = re.sub(r"\\\n", " ", text)
    instructions = []
    for line in joined.splitlines():
        line = line.strip()
        if line and not line.startswith("#"):
            keyword, _, rest = line.partition(" ")
            instructions.append((keyword.upper(), rest.strip()))
    return instructions


def _all(keyword: str) -> list[str]:
    return [rest for name, rest in _instructions() if name == keyword]


def _exec_form(arguments: str) -> list[str]:
    """The command of a CMD/HEALTHCHECK CMD, exec form (JSON) or shell form."""
    arguments = arguments.strip()
    if arguments.startswith("["):
        parsed: list[str] = json.loads(arguments)
        return parsed
    return shlex.split(arguments)


def test_the_base_image_is_python_311_slim() -> None:
    bases = _all("FROM")
    assert len(bases) >= 1
    assert re.fullmatch(r"python:3\.11(\.\d+)?-slim(-\w+)?( AS \w+)?", bases[-1], re.IGNORECASE)


def test_it_runs_as_a_user_other_than_root() -> None:
    users = _all("USER")
    assert users, "no USER: the service would run as root"
    assert users[-1].split(":")[0] not in {"root", "0"}


def test_it_installs_the_package_and_ships_the_migrations() -> None:
    runs = " ".join(_all("RUN"))
    assert "pip install --no-cache-dir ." in runs
    copied = " ".join(_all("COPY"))
    for needed in ("pyproject.toml", "app", "alembic.ini", "migrations"):
        assert re.search(rf"(^|\s){re.escape(needed)}(\s|$)", copied), needed


def test_the_database_lives_on_a_volume_the_user_owns() -> None:
    envs = " ".join(_all("ENV"))
    assert "RACI_DATABASE_URL=sqlite:////data/raci.db" in envs
    assert any("/data" in volume for volume in _all("VOLUME"))
    user = _all("USER")[-1].split(":")[0]
    assert any(re.search(rf"chown\s+(-R\s+)?{user}(:\w+)?\s+/data", run) for run in _all("RUN"))


def test_it_serves_with_raci_serve_on_all_interfaces_port_8000() -> None:
    assert _all("EXPOSE") == ["8000"]
    command = _exec_form(_all("CMD")[-1])
    assert command[:2] == ["raci", "serve"]
    assert command[command.index("--host") + 1] == "0.0.0.0"  # noqa: S104 (inside a container)
    assert command[command.index("--port") + 1] == "8000"


def test_the_healthcheck_asks_healthz_without_curl() -> None:
    checks = _all("HEALTHCHECK")
    assert len(checks) == 1
    _, _, command = checks[0].partition(" CMD ")
    argv = _exec_form(command)
    assert argv[:2] == ["python", "-c"]
    assert "urllib.request" in argv[2]
    assert "http://127.0.0.1:8000/healthz" in argv[2]
    compile(argv[2], "<healthcheck>", "exec")


@pytest.mark.parametrize("ignored", [".venv", ".git", "*.db", ".pytest_cache", "__pycache__"])
def test_the_dockerignore_keeps_local_state_out_of_the_image(ignored: str) -> None:
    patterns = {
        line.strip().removeprefix("**/")
        for line in (ROOT / ".dockerignore").read_text(encoding="utf-8").splitlines()
        if line.strip() and not line.startswith("#")
    }
    assert ignored in patterns


def test_the_dockerignore_keeps_what_the_build_copies() -> None:
    patterns = (ROOT / ".dockerignore").read_text(encoding="utf-8").split()
    for needed in ("app", "migrations", "alembic.ini", "pyproject.toml", "README.md"):
        assert needed not in patterns
