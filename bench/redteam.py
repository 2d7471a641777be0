"""`python -m bench.redteam [--db sqlite|postgresql|both] [--short] [--seed N]
[--max-examples N] [--max-time S] [--keys write,admin]`

An outside attack on a live server, as the red team ran it: schemathesis against a real
uvicorn on 127.0.0.1 over a fresh database (a temporary SQLite file, or a new PostgreSQL
database dropped afterwards), with every check (`--checks all`: no 5xx, documented statuses,
content types, headers and schemas, invalid data refused, valid data accepted, methods not
served answered 405 with Allow, ignored authentication, use after free, resources available
after creation, object-level authorisation) and every phase, the stateful one included
(sequences of calls chained through the links between operations), once per key scope.

Bounded and reproducible: a fixed seed, at most `--max-examples` cases per operation, and a
time cap per key (`--max-time`; a run that exceeds it fails). The full form spends its time:
fuzzing and the stateful phase repeat until the cap (so how many cases it runs depends on
the machine). `--short` is the CI form: the write key, 15 cases per operation, the examples, fuzzing
and stateful phases once each (the same cases on every machine; the coverage phase runs in
process in tests/test_schemathesis.py), about a minute per database on an idle machine. Its
cap, 600 s, only guards against a hang: the run is a fixed set of cases, so a loaded machine
makes it slower, never different. Exit status 0 when every run passed; the server's log must
hold no traceback either.

The server runs with the failed-key and anonymous-request limits raised: schemathesis sends
wrong keys on purpose (`ignored_auth`) and would otherwise meet 429s, which those limits'
own tests (tests/test_rate_limit.py) cover.
"""

import argparse
import json
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, replace
from pathlib import Path

import httpx

from bench import load
from bench.server import PROJECT_ROOT, Server

SEED = 20261123
DEMO = PROJECT_ROOT / "app" / "data" / "portfolio.json"
SERVER_SETTINGS = {
    "RACI_AUTH_FAILURES_PER_MINUTE": "1000000",
    "RACI_ANONYMOUS_REQUESTS_PER_MINUTE": "1000000",
    "RACI_REPORTS_PER_KEY": "4",
}
# Schema-valid data may still be refused for what JSON Schema cannot say (as in
# tests/test_schemathesis.py): a stale If-Match, an unknown role named, a body key that
# differs from the URL's, a cursor this service did not issue, the last admin key kept.
CONFIG = """
[checks.positive_data_acceptance]
expected-statuses = ["2xx", "401", "403", "404", "409", "412", "422", "429"]
"""
# JUnit reports of each run (CI can keep them).
REPORTS = Path(tempfile.gettempdir()) / "raci-redteam"


@dataclass(frozen=True)
class Plan:
    """How much to run: cases per operation, the time cap per key, whether to spend all of
    it (repeating fuzzing and the stateful phase), which keys."""

    max_examples: int
    max_time: int
    repeat: bool
    keys: tuple[str, ...]
    phases: tuple[str, ...] = ("examples", "coverage", "fuzzing", "stateful")


SHORT = Plan(
    max_examples=15,
    max_time=600,
    repeat=False,
    keys=("write",),
    # The coverage phase (every boundary and invalid value of every parameter, every method
    # a path does not serve) takes a minute on its own; tests/test_schemathesis.py runs it in
    # process on every CI run.
    phases=("examples", "fuzzing", "stateful"),
)
FULL = Plan(max_examples=100, max_time=600, repeat=True, keys=("write", "admin"))


def _schemathesis() -> str:
    return str(Path(sys.executable).with_name("schemathesis"))


def _prepare(server: Server) -> dict[str, str]:
    """The demo portfolio loaded (so that reads meet real keys); a secret per scope."""
    secrets = {"admin": server.secret}
    with httpx.Client(base_url=server.base_url + "/api/v1", headers=server.headers) as http:
        loaded = http.post("/imports", content=DEMO.read_bytes(), headers=_json())
        loaded.raise_for_status()
        for scope in ("write", "read"):
            created = http.post("/keys", json={"name": f"redteam-{scope}", "scope": scope})
            created.raise_for_status()
            secrets[scope] = created.json()["secret"]
    return secrets


def _json() -> dict[str, str]:
    return {"Content-Type": "application/json"}


def run_one(server: Server, secret: str, *, seed: int, plan: Plan, report: Path) -> int:
    """One schemathesis run with one key; its exit status (1 when over the time cap)."""
    with tempfile.NamedTemporaryFile("w", suffix=".toml", delete=False) as config:
        config.write(CONFIG)
    command = [
        _schemathesis(),
        "--config-file",
        config.name,
        "--no-color",
        "run",
        f"{server.base_url}/openapi.json",
        "--checks",
        "all",
        "--phases",
        ",".join(plan.phases),
        "--max-examples",
        str(plan.max_examples),
        "--seed",
        str(seed),
        *(["--max-time", str(plan.max_time)] if plan.repeat else []),
        "--header",
        f"Authorization: Bearer {secret}",
        "--request-timeout",
        "60",
        "--workers",
        "1",
        "--suppress-health-check",
        "all",
        # No example database carried between runs: a run depends on its seed alone.
        "--generation-database",
        "none",
        "--report",
        "junit",
        "--report-junit-path",
        str(report),
    ]
    # A repeating run stops itself at the cap (and may take a little more to report).
    cap = plan.max_time + (60 if plan.repeat else 0)
    try:
        done = subprocess.run(command, cwd=PROJECT_ROOT, timeout=cap, check=False)
    except subprocess.TimeoutExpired:
        print(f"schemathesis did not finish within {cap} s", file=sys.stderr)
        return 1
    finally:
        Path(config.name).unlink(missing_ok=True)
    return done.returncode


def run(
    db: str,
    *,
    seed: int = SEED,
    plan: Plan = SHORT,
    pg_url: str = load.DEFAULT_PG_URL,
) -> bool:
    """Every key's run against a fresh server and database; whether all passed. `pg_url`
    names the PostgreSQL server on which the scratch database is made."""
    passed = True
    with (
        load.fresh_database(db, pg_url, tag="_redteam") as url,
        Server(url, settings=SERVER_SETTINGS) as server,
    ):
        secrets = _prepare(server)
        for scope in plan.keys:
            started = time.monotonic()
            report = REPORTS / f"redteam-{db}-{scope}.xml"
            report.parent.mkdir(parents=True, exist_ok=True)
            status = run_one(
                server,
                secrets[scope],
                seed=seed,
                plan=plan,
                report=report,
            )
            took = time.monotonic() - started
            outcome = {"db": db, "key": scope, "exit": status, "seconds": round(took, 1)}
            print(json.dumps({**outcome, "junit": str(report)}))
            passed = passed and status == 0
        log = server.log_text()
        if "Traceback" in log:
            print(f"the server logged a traceback on {db}:\n{log[-4000:]}", file=sys.stderr)
            passed = False
    return passed


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.redteam", description=__doc__)
    parser.add_argument("--db", choices=["sqlite", "postgresql", "both"], default="both")
    parser.add_argument("--short", action="store_true", help="the CI form: under a minute")
    parser.add_argument("--seed", type=int, default=SEED)
    parser.add_argument("--max-examples", type=int)
    parser.add_argument("--max-time", type=int, help="the time cap, seconds per key")
    parser.add_argument("--keys", help="comma-separated scopes: write,admin,read")
    parser.add_argument("--pg-url", default=load.DEFAULT_PG_URL, help="a PostgreSQL server")
    args = parser.parse_args(argv)
    plan = SHORT if args.short else FULL
    if args.max_examples is not None:
        plan = replace(plan, max_examples=args.max_examples)
    if args.max_time is not None:
        plan = replace(plan, max_time=args.max_time)
    if args.keys:
        plan = replace(plan, keys=tuple(args.keys.split(",")))
    databases = ["sqlite", "postgresql"] if args.db == "both" else [args.db]
    results = [run(db, seed=args.seed, plan=plan, pg_url=args.pg_url) for db in databases]
    return 0 if all(results) else 1


if __name__ == "__main__":
    sys.exit(main())
