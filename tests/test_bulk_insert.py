"""app.db.bulk: the rows read back as an INSERT would have stored them, on both
databases (COPY on PostgreSQL), and its failures are SQLAlchemy's like any statement's."""

from datetime import UTC, datetime

import pytest
from sqlalchemy import Table, select
from sqlalchemy.exc import IntegrityError

from app.audit.models import AuditEntry
from app.components.models import Component
from app.db.bulk import insert_many, insert_rows
from app.db.engine import Database
from app.initiatives.models import Initiative
from app.roles.models import Role

AUDIT: Table = AuditEntry.__table__  # type: ignore[assignment]
ROLES: Table = Role.__table__  # type: ignore[assignment]
AT = datetime(2026, 11, 23, 17, 30, 5, 123456, tzinfo=UTC)

# What COPY's text format must escape, and what JSON must keep.
AWKWARD = "tab\there, new\nline, back\\slash, quote \" and ' , \\N, café, 漢字"


def _audit_row(number: int, before: object, after: object) -> dict[str, object]:
    return {
        "at": AT,
        "actor": "bulk-test",
        "action": "update",
        "resource_type": "role",
        "resource_key": f"R{number}",
        "before": before,
        "after": after,
    }


def test_rows_read_back_as_inserted(database: Database) -> None:
    rows = [
        _audit_row(1, None, {"name": AWKWARD, "count": 3, "ok": True, "list": [1, None]}),
        _audit_row(2, {"name": "x"}, None),
        *(_audit_row(n, {"n": n}, {"n": n + 1}) for n in range(3, 503)),
    ]
    with database.transaction() as session:
        insert_many(session.connection(), AUDIT, rows)
    with database.session(write=False) as session:
        stored = session.execute(
            select(AuditEntry).where(AuditEntry.actor == "bulk-test").order_by(AuditEntry.id)
        ).scalars()
        read = [{column: getattr(entry, column) for column in rows[0]} for entry in stored.all()]
    assert read == rows


def test_nothing_to_insert_is_no_statement(database: Database) -> None:
    with database.transaction() as session:
        insert_many(session.connection(), AUDIT, [])


def test_a_taken_key_is_an_integrity_error_and_the_transaction_rolls_back(
    database: Database,
) -> None:
    now = datetime.now(UTC)
    row = {
        "code": "CMO",  # seeded
        "name": "Another CMO",
        "description": None,
        "version": 1,
        "created_at": now,
        "updated_at": now,
    }
    fresh = row | {"code": "CFO", "name": "Chief Financial Officer"}
    with pytest.raises(IntegrityError), database.transaction() as session:
        insert_many(session.connection(), ROLES, [fresh, row])
    with database.session(write=False) as session:
        assert session.scalar(select(Role).where(Role.code == "CFO")) is None


def test_columns_with_a_python_default_are_filled_in(database: Database) -> None:
    # `at` defaults to now in Python: COPY would leave it NULL, so such rows go by INSERT.
    row = _audit_row(1, None, {"n": 1})
    del row["at"]
    with database.transaction() as session:
        insert_many(session.connection(), AUDIT, [row])
    with database.session(write=False) as session:
        entry = session.scalar(select(AuditEntry).where(AuditEntry.actor == "bulk-test"))
    assert entry is not None
    assert entry.at is not None


def test_inserted_rows_come_back_by_their_identity_and_only_those(database: Database) -> None:
    components: Table = Component.__table__  # type: ignore[assignment]
    stamp = {"version": 1, "created_at": AT, "updated_at": AT}
    with database.transaction() as session:
        chatbot = Initiative(key="chatbot", name="Chatbot", kind="chatbot", priority=3, **stamp)
        session.add(chatbot)
        session.flush()
        # Already there, under the same initiative: shares the first identifying column.
        insert_rows(
            session,
            components,
            [{"initiative_id": chatbot.id, "key": "nlu", "name": "NLU", **stamp}],
        )
        new = [
            {"initiative_id": chatbot.id, "key": key, "name": key.upper(), **stamp}
            for key in ("crm-link", "voice")
        ]
        returned = insert_rows(session, components, new, returning=("id", "initiative_id", "key"))
        stored = {
            row.key: row.id
            for row in session.execute(select(components.c.id, components.c.key)).all()
        }
    assert sorted((row.key, row.id) for row in returned) == sorted(
        (key, stored[key]) for key in ("crm-link", "voice")
    )
