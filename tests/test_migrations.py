"""Migrations: one history, reversible, and in step with the models (CI's `alembic check`)."""

from collections.abc import Iterator

import pytest
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import inspect, select, text

from app.db import migrate
from app.db.engine import make_engine
from app.models import Base, Role, RuleSetting
from tests import database as testdb

FINDINGS_RULES = {
    "UNOWNED_COMPONENT": "high",
    "MULTIPLE_ACCOUNTABLE": "high",
    "NO_RESPONSIBLE": "medium",
    "UNSPONSORED_INITIATIVE": "high",
    "SILOED_INITIATIVE": "medium",
    "CAPABILITY_OVERLAP": "medium",
    "OWNER_DRIFT": "low",
    "NO_JOINT_KPI": "medium",
    "KPI_OFF_TRACK": "medium",
    "GOVERNANCE_REVIEW_OVERDUE": "high",
    "DISPUTED_CELL": "high",
    "UNAGREED_CELL": "low",
    "STALE_AGREEMENT": "low",
    "IT_NOT_INVOLVED_EARLY": "medium",
    "BUSINESS_NOT_INVOLVED_EARLY": "medium",
}


@pytest.fixture
def empty_url() -> Iterator[str]:
    """A database of its own, not the suite's shared one: these tests tear theirs down."""
    with testdb.fresh_database("migrations") as url:
        yield url


def _table_names(url: str) -> set[str]:
    engine = make_engine(url)
    try:
        return set(inspect(engine).get_table_names()) - {"alembic_version"}
    finally:
        engine.dispose()


def test_the_history_has_exactly_one_head() -> None:
    assert len(migrate.heads()) == 1


def test_upgrade_downgrade_and_upgrade_again_on_a_fresh_database(empty_url: str) -> None:
    assert migrate.current(empty_url) is None
    assert migrate.upgrade(empty_url) == migrate.head()
    assert _table_names(empty_url) == set(Base.metadata.tables)

    assert migrate.downgrade(empty_url, "base") is None
    assert _table_names(empty_url) == set()

    assert migrate.upgrade(empty_url) == migrate.head()
    assert _table_names(empty_url) == set(Base.metadata.tables)


def test_upgrade_twice_changes_nothing(empty_url: str) -> None:
    migrate.upgrade(empty_url)
    assert migrate.upgrade(empty_url) == migrate.head()


def test_after_upgrade_the_database_matches_the_models(database_url: str) -> None:
    engine = make_engine(database_url)
    try:
        with engine.connect() as connection:
            context = MigrationContext.configure(connection, opts={"compare_type": True})
            differences = compare_metadata(context, Base.metadata)
    finally:
        engine.dispose()
    assert differences == [], (
        "The models and the migrations disagree; add a migration "
        "(alembic revision --autogenerate -m '...') for:\n"
        + "\n".join(str(difference) for difference in differences)
    )


def test_a_new_database_has_the_four_roles_and_every_rule(empty_url: str) -> None:
    migrate.upgrade(empty_url)
    engine = make_engine(empty_url)
    try:
        with engine.connect() as connection:
            roles = {code: name for code, name in connection.execute(select(Role.code, Role.name))}
            functions = {
                code: function
                for code, function in connection.execute(select(Role.code, Role.function))
            }
            rules = {
                code: severity
                for code, severity in connection.execute(
                    select(RuleSetting.code, RuleSetting.severity)
                )
            }
            enabled = connection.execute(select(RuleSetting.enabled)).scalars().all()
            versions = connection.execute(text("SELECT version FROM role")).scalars().all()
    finally:
        engine.dispose()
    assert roles == {
        "CMO": "Chief Marketing Officer",
        "CIO": "Chief Information Officer",
        "CDO": "Chief Digital Officer",
        "CEO": "Chief Executive Officer",
    }
    assert functions == {
        "CMO": "marketing",
        "CIO": "technology",
        "CDO": "digital",
        "CEO": "executive",
    }
    assert rules == FINDINGS_RULES
    assert all(enabled)
    assert set(versions) == {1}
