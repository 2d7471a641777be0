"""Governance models (issue 20): named sets of agreed owners, one of them active.

Activating a model sets every capability it speaks for (by key, or by domain as a default)
to the model's owner and rationale, in the caller's transaction; the audit trail records
each capability changed and the models whose `active` flag moved.
"""

from dataclasses import dataclass
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.capabilities.models import Capability
from app.core.errors import NotFound, Unprocessable
from app.core.pagination import PageParams, page_of, split_page
from app.core.preconditions import IfMatch
from app.core.resources import check_identity, merge_patch, validate_as
from app.db import dialect
from app.db.writes import assign, insert_new
from app.governance.models import GovernanceModel
from app.governance.schemas import (
    GovernanceModelCreate,
    GovernanceModelFields,
    GovernanceModelReplace,
)
from app.roles.models import Role


def find_model(session: Session, key: str) -> GovernanceModel | None:
    return session.scalar(select(GovernanceModel).where(GovernanceModel.key == key))


def get_model(session: Session, key: str) -> GovernanceModel:
    model = find_model(session, key)
    if model is None:
        raise NotFound(f"No governance model with key '{key}'")
    return model


def list_models(session: Session, page: PageParams) -> tuple[list[GovernanceModel], str | None]:
    rows = list(session.scalars(page_of(select(GovernanceModel), GovernanceModel.key, page)))
    return split_page(rows, page, lambda model: model.key)


def create_model(session: Session, data: GovernanceModelCreate) -> GovernanceModel:
    """422 naming an owner entry whose role or capability does not exist; 409 for a taken key."""
    return insert_new(
        session,
        GovernanceModel(key=data.key, active=False, **_fields(session, data)),
        f"A governance model with key '{data.key}' already exists",
    )


def put_model(
    session: Session, key: str, data: GovernanceModelReplace, if_match: IfMatch
) -> tuple[GovernanceModel, bool]:
    """Create or replace (an active model stays active; its new owners apply when it is
    activated again); True when it created."""
    check_identity("key", key, data.key)
    model = find_model(session, key)
    if_match.check(model.version if model else None)
    if model is None:
        created = GovernanceModelCreate(key=key, **data.model_dump(exclude={"key"}))
        return create_model(session, created), True
    assign(model, _fields(session, data))
    session.flush()
    return model, False


def patch_model(
    session: Session, key: str, patch: dict[str, Any], if_match: IfMatch
) -> GovernanceModel:
    model = get_model(session, key)
    if_match.check(model.version)
    check_identity("key", key, patch.pop("key", None))
    current = {"name": model.name, "description": model.description, "owners": model.owners}
    merged = validate_as(GovernanceModelFields, merge_patch(current, patch))
    assign(model, _fields(session, merged))
    session.flush()
    return model


def delete_model(session: Session, key: str, if_match: IfMatch) -> None:
    """Remove a model; the capabilities keep the owners it gave them."""
    model = get_model(session, key)
    if_match.check(model.version)
    session.delete(model)
    session.flush()


@dataclass(frozen=True)
class Assignment:
    """The agreed owner and rationale a model gives one capability."""

    owner: str
    rationale: str


def assignments(
    owners: list[dict[str, Any]], capabilities: list[tuple[str, str | None]]
) -> dict[str, Assignment]:
    """Capability key -> what the model gives it, for each of `capabilities` (key, domain):
    the entry naming the capability, else the entry of its domain; a capability the model
    speaks for neither way is left out (activating the model leaves it as it is)."""
    by_capability = {o["capability"]: o for o in owners if o.get("capability")}
    by_domain = {o["domain"]: o for o in owners if o.get("domain")}
    given: dict[str, Assignment] = {}
    for key, domain in capabilities:
        entry = by_capability.get(key) or (by_domain.get(domain) if domain else None)
        if entry is not None:
            given[key] = Assignment(entry["owner"], entry["rationale"])
    return given


@dataclass(frozen=True)
class OwnerChangeRow:
    capability: str
    before: str | None
    after: str
    rationale: str


def owner_changes(session: Session, model: GovernanceModel) -> list[OwnerChangeRow]:
    """The capabilities whose agreed owner or rationale the model would change, by key: one
    query over the capabilities (a few hundred at most)."""
    rows = session.execute(
        select(
            Capability.key, Capability.domain, Capability.agreed_owner, Capability.rationale
        ).order_by(Capability.key)
    ).all()
    given = assignments(model.owners, [(key, domain) for key, domain, _, _ in rows])
    changes = []
    for key, _, owner, rationale in rows:
        wanted = given.get(key)
        if wanted is not None and (wanted.owner, wanted.rationale) != (owner, rationale):
            changes.append(OwnerChangeRow(key, owner, wanted.owner, wanted.rationale))
    return changes


def activate_model(
    session: Session, key: str, if_match: IfMatch
) -> tuple[GovernanceModel, list[OwnerChangeRow]]:
    """Make the model the active one: the capabilities it speaks for get its owners and
    rationales, the model previously active is no longer. Idempotent: activating the active
    model again when nobody changed an owner since changes nothing (no audit entry, no new
    versions). 404 for an unknown model; 412 for a stale If-Match."""
    # Two activations at once take turns, so that exactly one model ends up active.
    dialect.lock_transaction(session, "governance-model-activate")
    model = get_model(session, key)
    if_match.check(model.version)
    changes = owner_changes(session, model)
    if changes:
        by_key = {change.capability: change for change in changes}
        for capability in session.scalars(
            select(Capability).where(Capability.key.in_(sorted(by_key)))
        ):
            change = by_key[capability.key]
            assign(capability, {"agreed_owner": change.after, "rationale": change.rationale})
    for other in session.scalars(
        select(GovernanceModel).where(GovernanceModel.active, GovernanceModel.id != model.id)
    ):
        other.active = False
    model.active = True
    session.flush()
    return model, changes


def replace_role(session: Session, code: str, into: str) -> None:
    """Owner entries naming role `code` name `into` instead (a role renamed or merged:
    app.renames); audited as changes of those models."""
    for model in session.scalars(select(GovernanceModel)):
        if any(entry["owner"] == code for entry in model.owners):
            model.owners = [
                {**entry, "owner": into} if entry["owner"] == code else entry
                for entry in model.owners
            ]
    session.flush()


def models_naming_role(session: Session, code: str) -> list[str]:
    """The keys of the models with an owner entry for role `code` (a few rows, read whole)."""
    return [
        key
        for key, owners in session.execute(
            select(GovernanceModel.key, GovernanceModel.owners).order_by(GovernanceModel.key)
        )
        if any(entry["owner"] == code for entry in owners)
    ]


def _fields(session: Session, data: GovernanceModelFields) -> dict[str, Any]:
    """The stored fields; 422 at `owners[i]` for a role or capability that does not exist."""
    roles = set(session.scalars(select(Role.code)))
    named = {o.capability for o in data.owners if o.capability is not None}
    known = (
        set(session.scalars(select(Capability.key).where(Capability.key.in_(sorted(named)))))
        if named
        else set()
    )
    errors: list[dict[str, Any]] = []
    for index, entry in enumerate(data.owners):
        if entry.owner not in roles:
            errors.append(
                {"loc": ["body", "owners", index, "owner"], "msg": f"unknown role '{entry.owner}'"}
            )
        if entry.capability is not None and entry.capability not in known:
            errors.append(
                {
                    "loc": ["body", "owners", index, "capability"],
                    "msg": f"unknown capability '{entry.capability}'",
                }
            )
    if errors:
        raise Unprocessable("; ".join(e["msg"] for e in errors), errors)
    return {
        "name": data.name,
        "description": data.description,
        "owners": [entry.model_dump() for entry in data.owners],
    }
