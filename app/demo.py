"""The demo portfolio shipped with the project: every kind of finding, right after set-up."""

import json
from datetime import datetime
from importlib.resources import files
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from app.agreements import service as agreements_service
from app.agreements.schemas import DecisionFields
from app.audit.models import AuditEntry
from app.capabilities import service as capabilities_service
from app.components.models import Component
from app.core.preconditions import IfMatch
from app.imports.schemas import ImportDocument, ImportResult
from app.imports.service import import_document
from app.initiatives import service as initiatives_service
from app.initiatives.models import Initiative
from app.kpis import service as kpis_service
from app.raci.models import RaciCell

DEMO_ACTOR = "demo"


def demo_document() -> ImportDocument:
    """Eight initiatives (a chatbot, IoT sensors, analytics, a campaign, an app...), their
    capabilities and four KPIs with measurements: app/data/portfolio.json and the initiatives
    of app/data/early-involvement.json (a chatbot planned without IT)."""
    data = files("app").joinpath("data")
    document: dict[str, Any] = json.loads(data.joinpath("portfolio.json").read_text("utf-8"))
    added = json.loads(data.joinpath("early-involvement.json").read_text(encoding="utf-8"))
    document["initiatives"] = [*document["initiatives"], *added["initiatives"]]
    return ImportDocument.model_validate(document)


def demo_agreements() -> list[dict[str, Any]]:
    """The demo's agreements (app/data/agreements.json): per cell, when its letters were
    proposed and, for some, who agreed or disputed them, when and why."""
    text = files("app").joinpath("data", "agreements.json").read_text(encoding="utf-8")
    cells: list[dict[str, Any]] = json.loads(text)["cells"]
    return cells


def load_demo(session: Session) -> ImportResult:
    """Import the demo portfolio; loading it twice changes nothing the second time. Its rows
    are attributed to the `demo` actor, which is how `remove_demo` knows them.

    The cells it creates then get the demo's agreements, so that a new user sees a disputed
    cell, a cell proposed long ago and an agreement to re-confirm; a cell that was there
    before (the second time, or a user's) is left as it is."""
    session.info.setdefault("actor", DEMO_ACTOR)
    agreements = demo_agreements()
    before = _existing_cells(session, agreements)
    result = import_document(session, demo_document())
    for cell in agreements:
        address = (cell["initiative"], cell["component"], cell["role"])
        if address not in before:
            _apply_agreement(session, address, cell)
    return result


def _existing_cells(
    session: Session, agreements: list[dict[str, Any]]
) -> set[tuple[str, str, str]]:
    rows = session.execute(
        select(Initiative.key, Component.key, RaciCell.role)
        .join(Component, Component.id == RaciCell.component_id)
        .join(Initiative, Initiative.id == Component.initiative_id)
        .where(Initiative.key.in_({cell["initiative"] for cell in agreements}))
    )
    return {(initiative, component, role) for initiative, component, role in rows}


def _apply_agreement(session: Session, address: tuple[str, str, str], cell: dict[str, Any]) -> None:
    initiative, component, role = address
    component_id = (
        select(Component.id)
        .join(Initiative, Initiative.id == Component.initiative_id)
        .where(Initiative.key == initiative, Component.key == component)
        .scalar_subquery()
    )
    # When the letters were proposed is not part of a cell's public state: no audit entry.
    session.connection().execute(
        update(RaciCell)
        .where(RaciCell.component_id == component_id, RaciCell.role == role)
        .values(letters_set_at=datetime.fromisoformat(cell["proposed_at"]))
    )
    if "decision" in cell:
        agreements_service.decide(
            session,
            agreements_service.Decider(name=cell["by"], is_admin=True),
            [address],
            DecisionFields(decision=cell["decision"], comment=cell["comment"]),
            at=datetime.fromisoformat(cell["at"]),
        )


DEMO_RESOURCES = ("kpi", "initiative", "capability")
"""What the demo creates, in the order it is taken out again (what refers first)."""


def remove_demo(session: Session) -> dict[str, list[str]]:
    """Take the demo out again: the KPIs (with their measurements and reviews), initiatives
    (with their components and cells) and capabilities that the demo created, as the audit
    trail tells (created by the `demo` actor) and that are still there. Rows anybody else
    created, even with a key the demo also uses, are left alone.

    Each goes through its domain's delete, so that the audit trail records it; a demo row
    that something of the user still refers to (a KPI of theirs serving a demo initiative)
    is a 409 naming it, and nothing is removed. Answers the keys removed, by resource type.
    """
    document = demo_document()
    shipped = {
        "kpi": {kpi.key for kpi in document.kpis},
        "initiative": {initiative.key for initiative in document.initiatives},
        "capability": {capability.key for capability in document.capabilities},
    }
    created = session.execute(
        select(AuditEntry.resource_type, AuditEntry.resource_key)
        .where(
            AuditEntry.actor == DEMO_ACTOR,
            AuditEntry.action == "create",
            AuditEntry.resource_type.in_(DEMO_RESOURCES),
        )
        .distinct()
    )
    by_type: dict[str, set[str]] = {kind: set() for kind in DEMO_RESOURCES}
    for resource_type, key in created:
        if key in shipped[resource_type]:
            by_type[resource_type].add(key)
    removed: dict[str, list[str]] = {kind: [] for kind in DEMO_RESOURCES}
    no_precondition = IfMatch(None)
    for key in sorted(by_type["kpi"]):
        if kpis_service.find_kpi(session, key) is not None:
            kpis_service.delete_kpi(session, key, no_precondition)
            removed["kpi"].append(key)
    for key in sorted(by_type["initiative"]):
        if initiatives_service.find_initiative(session, key) is not None:
            initiatives_service.delete_initiative(session, key, no_precondition)
            removed["initiative"].append(key)
    for key in sorted(by_type["capability"]):
        if capabilities_service.find_capability(session, key) is not None:
            capabilities_service.delete_capability(session, key, no_precondition)
            removed["capability"].append(key)
    return removed
