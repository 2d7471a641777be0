"""Agreeing to or disputing RACI cells (API.md "Explicit agreement"): set-based, whatever
the number of cells.

Only a key acting for a cell's role (`api_key_role`), or an admin key, may decide it. A
decision sets the cell's agreement, raises the cell's version (its ETag: the cell's state
changed) and its initiative's (whose document shows the agreements), and is audited as an
update of the cell naming who decided. It never changes the letters. The initiatives are
locked in key order first, as every writer of their cells does, so that a decision and a
change of the same cell's letters happen one after the other: the later one wins.
"""

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from app.agreements.schemas import DecisionFields
from app.auth.acting import acting_roles
from app.components.models import Component
from app.core.errors import Forbidden, NotFound, Unprocessable
from app.core.jsonable import jsonable
from app.core.preconditions import IfMatch
from app.db import bulk
from app.db.base import table_of, utcnow
from app.db.changes import change, record
from app.initiatives.models import Initiative
from app.raci.models import RaciCell
from app.references import existing_roles

Address = tuple[str, str, str]  # initiative key, component key, role code


@dataclass(frozen=True)
class Decider:
    """The key deciding: its name (recorded as `by`) and whether it is an admin key."""

    name: str
    is_admin: bool


@dataclass
class Outcome:
    """One named cell: `status` 200 (decided; `cell` holds its columns as now stored), 403
    or 404 with `detail`."""

    address: Address
    status: int
    detail: str | None = None
    cell: dict[str, Any] | None = None


_CELL_COLUMNS = (
    RaciCell.component_id,
    RaciCell.role,
    RaciCell.raci,
    RaciCell.rationale,
    RaciCell.agreement,
    RaciCell.agreement_by,
    RaciCell.agreement_at,
    RaciCell.agreement_comment,
    RaciCell.version,
    RaciCell.created_at,
    RaciCell.updated_at,
)


def decide_cell(
    session: Session, decider: Decider, address: Address, data: DecisionFields, if_match: IfMatch
) -> dict[str, Any]:
    """Decide one cell; its columns as now stored. 404 for an unknown initiative, component
    or role, or a role holding no cell there; 403 when the key does not act for the role;
    412 for a stale If-Match (the cell's ETag); 422 for a dispute without a comment."""
    (outcome,) = decide(session, decider, [address], data, if_match=if_match)
    if outcome.status == 404:
        raise NotFound(outcome.detail or "")
    if outcome.status == 403:
        raise Forbidden(outcome.detail or "")
    assert outcome.cell is not None
    return outcome.cell


def decide_role(
    session: Session, decider: Decider, initiative: str, role: str, data: DecisionFields
) -> list[Outcome]:
    """Decide every cell of `role` in `initiative`. 404 for an unknown initiative or role;
    403 (nothing decided) when the key does not act for the role."""
    _check_comment(data)
    initiative_id = _lock(session, [initiative]).get(initiative)
    if initiative_id is None:
        raise NotFound(f"No initiative with key '{initiative}'")
    if not existing_roles(session, [role]):
        raise NotFound(f"No role with code '{role}'")
    if not decider.is_admin and role not in acting_roles(session, decider.name):
        raise Forbidden(_not_acting(decider.name, role))
    components = session.scalars(
        select(Component.key)
        .join(RaciCell, RaciCell.component_id == Component.id)
        .where(Component.initiative_id == initiative_id, RaciCell.role == role)
        .order_by(Component.key)
    ).all()
    return decide(session, decider, [(initiative, c, role) for c in components], data)


def decide(
    session: Session,
    decider: Decider,
    addresses: Sequence[Address],
    data: DecisionFields,
    *,
    if_match: IfMatch | None = None,
    at: datetime | None = None,
) -> list[Outcome]:
    """Decide the cells at `addresses` (a cell named twice counts once), each one's outcome
    in the order named: 404 for one that does not exist, 403 for one whose role the key does
    not act for; the others are decided together with a fixed number of statements. `at`
    (default now) is when the decision was taken: the demo portfolio's are in the past."""
    _check_comment(data)
    wanted = list(dict.fromkeys(addresses))
    ids = _lock(session, {initiative for initiative, _, _ in wanted})
    found = _cells(session, ids, wanted)
    components = _components(session, ids, wanted)
    acting = None if decider.is_admin else set(acting_roles(session, decider.name))
    outcomes: list[Outcome] = []
    for address in wanted:
        initiative, component, role = address
        cell = found.get(address)
        if cell is None:
            if initiative not in ids:
                detail = f"No initiative with key '{initiative}'"
            elif (initiative, component) not in components:
                detail = f"Initiative '{initiative}' has no component '{component}'"
            else:
                detail = (
                    f"Role {role} holds no RACI cell on component '{component}' of "
                    f"initiative '{initiative}'"
                )
            outcomes.append(Outcome(address, 404, detail))
        elif acting is not None and role not in acting:
            outcomes.append(Outcome(address, 403, _not_acting(decider.name, role)))
        else:
            outcomes.append(Outcome(address, 200, cell=cell))
    decided = [outcome for outcome in outcomes if outcome.status == 200]
    if if_match is not None and decided and decided[0].cell is not None:
        if_match.check(decided[0].cell["version"])
    now = utcnow()
    _write(session, decider, decided, data, {ids[o.address[0]] for o in decided}, now, at or now)
    return outcomes


def _check_comment(data: DecisionFields) -> None:
    if data.decision == "dispute" and not (data.comment and data.comment.strip()):
        raise Unprocessable.at(["body", "comment"], "a comment is required to dispute: say why")


def _not_acting(name: str, role: str) -> str:
    return (
        f"Key '{name}' does not act for role {role}: only a key acting for it (PATCH "
        f"/keys/{name} with acts_for) or an admin key may decide its cells"
    )


def _lock(session: Session, keys: Sequence[str] | set[str]) -> dict[str, int]:
    """Initiative key -> id of those that exist, each row locked (PostgreSQL) in key order."""
    ids: dict[str, int] = {}
    for chunk in bulk.batches(keys):
        rows = session.execute(
            select(Initiative.key, Initiative.id)
            .where(Initiative.key.in_(chunk))
            .order_by(Initiative.key)
            .with_for_update(of=Initiative)
        )
        ids.update({key: id_ for key, id_ in rows})
    return ids


def _cells(
    session: Session, ids: dict[str, int], wanted: Sequence[Address]
) -> dict[Address, dict[str, Any]]:
    """The named cells that exist, by address: one query per 500 initiatives, narrowed by
    the roles named (and then matched exactly)."""
    roles = sorted({role for _, _, role in wanted})
    wanted_set = set(wanted)
    found: dict[Address, dict[str, Any]] = {}
    for chunk in bulk.batches(ids.values()):
        rows = session.execute(
            select(
                Initiative.key.label("initiative"), Component.key.label("component"), *_CELL_COLUMNS
            )
            .join(Component, Component.id == RaciCell.component_id)
            .join(Initiative, Initiative.id == Component.initiative_id)
            .where(Component.initiative_id.in_(chunk), RaciCell.role.in_(roles))
        )
        for row in rows:
            address = (row.initiative, row.component, row.role)
            if address in wanted_set:
                found[address] = dict(row._mapping)
    return found


def _components(
    session: Session, ids: dict[str, int], wanted: Sequence[Address]
) -> set[tuple[str, str]]:
    """The (initiative, component) pairs named that exist (to tell which part is missing)."""
    keys = sorted({component for _, component, _ in wanted})
    pairs: set[tuple[str, str]] = set()
    for chunk in bulk.batches(ids.values()):
        for component_keys in bulk.batches(keys):
            pairs.update(
                (row.initiative, row.key)
                for row in session.execute(
                    select(Initiative.key.label("initiative"), Component.key)
                    .join(Initiative, Initiative.id == Component.initiative_id)
                    .where(Component.initiative_id.in_(chunk), Component.key.in_(component_keys))
                )
            )
    return pairs


def _state(cell: dict[str, Any]) -> dict[str, Any]:
    """The cell's audited state (app.audit.states)."""
    return {
        "initiative": cell["initiative"],
        "component": cell["component"],
        "role": cell["role"],
        "raci": cell["raci"],
        "rationale": cell["rationale"],
        "agreement": cell["agreement"],
        "agreement_by": cell["agreement_by"],
        "agreement_at": jsonable(cell["agreement_at"]),
        "agreement_comment": cell["agreement_comment"],
    }


def _write(
    session: Session,
    decider: Decider,
    decided: Sequence[Outcome],
    data: DecisionFields,
    initiative_ids: set[int],
    now: datetime,
    at: datetime,
) -> None:
    if not decided:
        return
    values = {
        "agreement": "agreed" if data.decision == "agree" else "disputed",
        "agreement_by": decider.name,
        "agreement_at": at,
        "agreement_comment": data.comment,
    }
    entries = []
    for outcome in decided:
        before = outcome.cell
        assert before is not None
        after = before | values | {"version": before["version"] + 1, "updated_at": now}
        entries.append(
            change("raci_cell", "/".join(outcome.address), _state(before), _state(after))
        )
        outcome.cell = after
    bulk.update_rows(
        session,
        table_of(RaciCell),
        [
            {"component_id": o.cell["component_id"], "role": o.address[2]} | values
            for o in decided
            if o.cell is not None
        ],
        tuple(values),
        now,
        match=("component_id", "role"),
    )
    initiatives = table_of(Initiative)
    for chunk in bulk.batches(initiative_ids):
        # The initiative's version covers its document, which shows the agreements.
        session.connection().execute(
            update(initiatives)
            .where(initiatives.c.id.in_(chunk))
            .values(version=initiatives.c.version + 1, updated_at=now)
        )
    record(session, entries)
    # Rows changed past the ORM: objects the session holds must be read again.
    session.expire_all()
