"""Roles: the executives who hold RACI cells, sponsor initiatives and own KPIs."""

from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.capabilities.models import Capability
from app.components.models import Component
from app.core.errors import NotFound
from app.core.pagination import PageParams, page_of, split_page
from app.core.preconditions import IfMatch
from app.core.resources import check_identity, merge_patch, raise_if_referenced, validate_as
from app.db.writes import assign, insert_new
from app.governance.service import models_naming_role
from app.initiatives.models import Initiative
from app.kpis.models import Kpi, KpiOwner
from app.raci.models import RaciCell
from app.roles.models import Role
from app.roles.schemas import RoleCreate, RoleFields, RoleReplace
from app.webhooks.models import WebhookEndpoint


def find_role(session: Session, code: str) -> Role | None:
    return session.scalar(select(Role).where(Role.code == code))


def get_role(session: Session, code: str) -> Role:
    role = find_role(session, code)
    if role is None:
        raise NotFound(f"No role with code '{code}'")
    return role


def list_roles(session: Session, page: PageParams) -> tuple[list[Role], str | None]:
    rows = list(session.scalars(page_of(select(Role), Role.code, page)))
    return split_page(rows, page, lambda role: role.code)


def create_role(session: Session, data: RoleCreate) -> Role:
    return insert_new(
        session,
        Role(code=data.code, **_fields(data)),
        f"A role with code '{data.code}' already exists",
    )


def put_role(
    session: Session, code: str, data: RoleReplace, if_match: IfMatch
) -> tuple[Role, bool]:
    """Create or replace; True when it created."""
    check_identity("code", code, data.code)
    role = find_role(session, code)
    if_match.check(role.version if role else None)
    if role is None:
        return create_role(session, RoleCreate(code=code, **_fields(data))), True
    assign(role, _fields(data))
    session.flush()
    return role, False


def patch_role(session: Session, code: str, patch: dict[str, Any], if_match: IfMatch) -> Role:
    role = get_role(session, code)
    if_match.check(role.version)
    check_identity("code", code, patch.pop("code", None))
    current = RoleFields.model_validate(role, from_attributes=True).model_dump()
    merged = validate_as(RoleFields, merge_patch(current, patch))
    assign(role, _fields(merged))
    session.flush()
    return role


def delete_role(session: Session, code: str, if_match: IfMatch) -> None:
    role = get_role(session, code)
    if_match.check(role.version)
    raise_if_referenced(f"Role {code}", role_references(session, code))
    session.delete(role)
    session.flush()


def role_references(session: Session, code: str) -> dict[str, list[str]]:
    """What still names the role, by kind: capabilities, initiatives, RACI cells, KPIs,
    webhook endpoints bound to it."""
    cells = session.execute(
        select(Initiative.key, Component.key)
        .join(Component, Component.initiative_id == Initiative.id)
        .join(RaciCell, RaciCell.component_id == Component.id)
        .where(RaciCell.role == code)
        .order_by(Initiative.key, Component.key)
    )
    return {
        "capabilities": list(
            session.scalars(
                select(Capability.key)
                .where(Capability.agreed_owner == code)
                .order_by(Capability.key)
            )
        ),
        "initiatives": list(
            session.scalars(
                select(Initiative.key).where(Initiative.sponsor == code).order_by(Initiative.key)
            )
        ),
        "RACI cells of components": [
            f"{initiative}/{component}" for initiative, component in cells
        ],
        "KPIs": list(
            session.scalars(
                select(Kpi.key)
                .join(KpiOwner, KpiOwner.kpi_id == Kpi.id)
                .where(KpiOwner.role == code)
                .order_by(Kpi.key)
            )
        ),
        # A few rows, their roles a JSON list: read whole rather than by a dialect's JSON test.
        "webhook endpoints": [
            endpoint_id
            for endpoint_id, roles in session.execute(
                select(WebhookEndpoint.id, WebhookEndpoint.roles).order_by(WebhookEndpoint.id)
            )
            if code in roles
        ],
        "governance models": models_naming_role(session, code),
    }


def _fields(data: RoleFields) -> dict[str, Any]:
    return {"name": data.name, "description": data.description, "function": data.function}
