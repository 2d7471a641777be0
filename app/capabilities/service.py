"""Capabilities: the shared vocabulary of work, each with the role agreed to own it."""

from collections.abc import Collection
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.capabilities.models import Capability
from app.capabilities.schemas import CapabilityCreate, CapabilityFields, CapabilityReplace
from app.components.models import Component
from app.core.errors import NotFound
from app.core.pagination import PageParams, page_of, split_page
from app.core.preconditions import IfMatch
from app.core.resources import check_identity, merge_patch, raise_if_referenced, validate_as
from app.db.writes import assign, insert_new
from app.initiatives.models import Initiative
from app.references import require_roles


def find_capability(session: Session, key: str) -> Capability | None:
    return session.scalar(select(Capability).where(Capability.key == key))


def get_capability(session: Session, key: str) -> Capability:
    capability = find_capability(session, key)
    if capability is None:
        raise NotFound(f"No capability with key '{key}'")
    return capability


def list_capabilities(
    session: Session, page: PageParams, *, domains: Collection[str] = ()
) -> tuple[list[Capability], str | None]:
    """One page of capabilities by key; `domains` narrows to any of those domains."""
    stmt = select(Capability)
    if domains:
        stmt = stmt.where(Capability.domain.in_(set(domains)))
    rows = list(session.scalars(page_of(stmt, Capability.key, page)))
    return split_page(rows, page, lambda capability: capability.key)


def create_capability(session: Session, data: CapabilityCreate) -> Capability:
    _check_owner(session, data)
    return insert_new(
        session,
        Capability(key=data.key, **_fields(data)),
        f"A capability with key '{data.key}' already exists",
    )


def put_capability(
    session: Session, key: str, data: CapabilityReplace, if_match: IfMatch
) -> tuple[Capability, bool]:
    """Create or replace; True when it created."""
    check_identity("key", key, data.key)
    capability = find_capability(session, key)
    if_match.check(capability.version if capability else None)
    if capability is None:
        return create_capability(session, CapabilityCreate(key=key, **_fields(data))), True
    _check_owner(session, data)
    assign(capability, _fields(data))
    session.flush()
    return capability, False


def patch_capability(
    session: Session, key: str, patch: dict[str, Any], if_match: IfMatch
) -> Capability:
    capability = get_capability(session, key)
    if_match.check(capability.version)
    check_identity("key", key, patch.pop("key", None))
    current = CapabilityFields.model_validate(capability, from_attributes=True).model_dump()
    merged = validate_as(CapabilityFields, merge_patch(current, patch))
    _check_owner(session, merged)
    assign(capability, _fields(merged))
    session.flush()
    return capability


def delete_capability(session: Session, key: str, if_match: IfMatch) -> None:
    capability = get_capability(session, key)
    if_match.check(capability.version)
    raise_if_referenced(f"Capability {key}", capability_references(session, key))
    session.delete(capability)
    session.flush()


def capability_references(session: Session, key: str) -> dict[str, list[str]]:
    """The components (as `initiative/component`) that are instances of the capability."""
    rows = session.execute(
        select(Initiative.key, Component.key)
        .join(Component, Component.initiative_id == Initiative.id)
        .where(Component.capability == key)
        .order_by(Initiative.key, Component.key)
    )
    return {"components": [f"{initiative}/{component}" for initiative, component in rows]}


def _check_owner(session: Session, data: CapabilityFields) -> None:
    if data.agreed_owner is not None:
        require_roles(session, {data.agreed_owner: ["body", "agreed_owner"]})


def _fields(data: CapabilityFields) -> dict[str, Any]:
    return {
        "name": data.name,
        "domain": data.domain,
        "description": data.description,
        "agreed_owner": data.agreed_owner,
        "rationale": data.rationale,
    }
