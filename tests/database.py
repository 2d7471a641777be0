"""Test databases: a fresh one per test run, built by the real migrations, reset per test."""

import os
import tempfile
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from alembic import command
from alembic.config import Config
from sqlalchemy import Engine, create_engine, insert, text
from sqlalchemy.engine import make_url

from app.models import Base

PROJECT_ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
# Rows the migrations seed (roles, rules); restored before every test.
SEEDED_TABLES = ("role", "rule_setting", "service_settings", "governance_model")


def alembic_config(url: str) -> Config:
    config = Config(os.path.join(PROJECT_ROOT, "alembic.ini"))
    config.set_main_option("script_location", os.path.join(PROJECT_ROOT, "migrations"))
    config.attributes["database_url"] = url
    config.attributes["configure_logging"] = False
    return config


def base_url() -> str:
    """`RACI_TEST_DATABASE_URL` names a PostgreSQL server to test against; SQLite otherwise."""
    return os.environ.get("RACI_TEST_DATABASE_URL", "sqlite://")


def is_postgres(url: str) -> bool:
    return url.startswith("postgresql")


@contextmanager
def fresh_database(tag: str = "") -> Iterator[str]:
    """A new, empty database for this run; dropped afterwards."""
    url = base_url()
    if not is_postgres(url):
        with tempfile.TemporaryDirectory(prefix="raci-test-") as folder:
            yield f"sqlite:///{folder}/raci{tag}.db"
        return
    name = f"raci_test_{tag}_{uuid.uuid4().hex[:8]}".lower().replace("-", "_")
    admin = create_engine(url, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        yield make_url(url).set(database=name).render_as_string(hide_password=False)
    finally:
        with admin.connect() as connection:
            connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


def migrate(url: str, revision: str = "head") -> None:
    command.upgrade(alembic_config(url), revision)


def snapshot_seed(engine: Engine) -> dict[str, list[dict[str, Any]]]:
    with engine.connect() as connection:
        return {
            table: [
                dict(row._mapping)
                for row in connection.execute(Base.metadata.tables[table].select())
            ]
            for table in SEEDED_TABLES
        }


def reset(engine: Engine, seed: dict[str, list[dict[str, Any]]]) -> None:
    """Empty every table and put the seeded rows back, in one transaction."""
    with engine.begin() as connection:
        for table in reversed(Base.metadata.sorted_tables):
            connection.execute(table.delete())
        for table_name, rows in seed.items():
            if rows:
                connection.execute(insert(Base.metadata.tables[table_name]), rows)


PORTFOLIO_TABLES = (
    "measurement",
    "kpi_initiative",
    "kpi_owner",
    "kpi",
    "raci_cell",
    "component",
    "initiative_tag",
    "initiative",
    "capability",
)


def wipe_portfolio(engine: Engine) -> None:
    """Remove the portfolio (not the keys, roles or rules): an empty database to import into."""
    with engine.begin() as connection:
        for name in PORTFOLIO_TABLES:
            connection.execute(Base.metadata.tables[name].delete())
