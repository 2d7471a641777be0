"""Test data inserted straight through the ORM, so that a test of one resource does not
depend on the endpoints of another. Each builder commits its own transaction.

    initiative(database, "support-chatbot", sponsor="CMO")
    component(database, "support-chatbot", "nlu", capability="conversational-ai")
    cell(database, "support-chatbot", "nlu", "CIO", "AR")
"""

from typing import Any

from sqlalchemy import select

from app.capabilities.models import Capability
from app.components.models import Component
from app.db.engine import Database
from app.initiatives.models import Initiative
from app.raci.models import RaciCell
from app.roles.models import Role


def role(database: Database, code: str, name: str | None = None, **fields: Any) -> None:
    with database.transaction() as session:
        session.add(Role(code=code, name=name or f"Role {code}", **fields))


def capability(database: Database, key: str, name: str | None = None, **fields: Any) -> None:
    with database.transaction() as session:
        session.add(Capability(key=key, name=name or key.replace("-", " ").title(), **fields))


def initiative(database: Database, key: str, name: str | None = None, **fields: Any) -> None:
    with database.transaction() as session:
        session.add(Initiative(key=key, name=name or key.replace("-", " ").title(), **fields))


def component(
    database: Database, initiative_key: str, key: str, name: str | None = None, **fields: Any
) -> None:
    with database.transaction() as session:
        initiative_id = session.scalar(
            select(Initiative.id).where(Initiative.key == initiative_key)
        )
        assert initiative_id is not None, f"build the initiative {initiative_key} first"
        session.add(
            Component(initiative_id=initiative_id, key=key, name=name or key.title(), **fields)
        )


def cell(
    database: Database,
    initiative_key: str,
    component_key: str,
    role_code: str,
    raci: str,
    rationale: str | None = None,
) -> None:
    with database.transaction() as session:
        component_id = session.scalar(
            select(Component.id)
            .join(Initiative, Initiative.id == Component.initiative_id)
            .where(Initiative.key == initiative_key, Component.key == component_key)
        )
        assert component_id is not None, f"build {initiative_key}/{component_key} first"
        session.add(
            RaciCell(component_id=component_id, role=role_code, raci=raci, rationale=rationale)
        )


def support_chatbot(database: Database) -> None:
    """The demo portfolio's chatbot: three components, with their capabilities and cells."""
    capability(database, "conversational-ai", "Conversational AI platform", agreed_owner="CIO")
    capability(database, "conversation-design", "Conversation and persona design")
    capability(database, "customer-data-platform", "Customer data platform", agreed_owner="CDO")
    initiative(
        database,
        "support-chatbot",
        "Customer support chatbot",
        kind="chatbot",
        status="active",
        portfolio="joint",
        sponsor="CMO",
    )
    components = {
        "nlu": ("NLU engine", "conversational-ai", {"CIO": "AR", "CMO": "C"}),
        "persona": ("Conversation design", "conversation-design", {"CMO": "A", "CDO": "R"}),
        "crm-feed": (
            "CRM data feed",
            "customer-data-platform",
            {"CIO": "A", "CDO": "A", "CMO": "I"},
        ),
    }
    for key, (name, capability_key, cells) in components.items():
        component(database, "support-chatbot", key, name, capability=capability_key)
        for role_code, raci in cells.items():
            cell(database, "support-chatbot", key, role_code, raci)


def initiative_version(database: Database, key: str) -> int:
    """The initiative's stored version: its ETag, read without its (separately built) API."""
    with database.transaction(write=False) as session:
        version = session.scalar(select(Initiative.version).where(Initiative.key == key))
    assert version is not None, f"no initiative {key}"
    return version


def cell_count(database: Database) -> int:
    """How many RACI cells exist, in every initiative."""
    with database.transaction(write=False) as session:
        return len(session.scalars(select(RaciCell.role)).all())
