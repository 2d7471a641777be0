"""The red team's attack in its short form (bench/redteam.py): schemathesis with every check,
the stateful phase included, against a live server on this run's database kind (SQLite, or
PostgreSQL when RACI_TEST_DATABASE_URL names a server); seeded, at most 15 cases per
operation, the examples, fuzzing and stateful phases once each (the same cases on every
machine; tests/test_schemathesis.py runs the coverage phase), with a 600 s guard against a
hang. Any failed check, or a traceback in the server's log, fails it."""

from bench.redteam import run
from tests.database import base_url, is_postgres


def test_schemathesis_with_every_check_and_the_stateful_phase_finds_nothing() -> None:
    url = base_url()
    if is_postgres(url):
        assert run("postgresql", pg_url=url)
    else:
        assert run("sqlite")
