"""Renaming what other rows name by key: a role's code (rename, or merge into another role),
an initiative's key, a component's key.

Each is one transaction of set-based statements over every table that names the thing
(Core, past the ORM), followed by explicit audit entries (app.db.changes.record) computed
from the public states before and after (app.audit.recorder.load_states):

- the renamed resource, and whatever is addressed through it (an initiative's components
  and cells, a component's cells, a role's cells), leaves its old address (`delete`) and
  arrives at its new one (`create`), so that the audit trail and `?at=` keep showing the old
  key for the time before, and a change feed keyed by address stays exact; history already
  written is never rewritten;
- resources that merely refer to it (a sponsor, KPI owners and initiatives, an agreed
  owner, waivers, the participants of governance reviews) get an `update` entry.

Renamed and updated rows get a new version and `updated_at`. The old key answers 404
afterwards: there is no alias.
"""

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from pydantic import TypeAdapter
from sqlalchemy import Connection, Table, bindparam, delete, insert, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from app.audit.states import Identity, load_states
from app.auth.models import ApiKeyRole
from app.capabilities.models import Capability
from app.components.models import Component
from app.core.errors import Conflict, NotFound, Unprocessable
from app.core.identifiers import RaciLetters
from app.core.letters import canonical_letters
from app.core.preconditions import IfMatch
from app.db.base import table_of, utcnow
from app.db.changes import AuditRecord, ResourceType, change, record
from app.db.dialect import lock_transaction
from app.governance import service as governance_service
from app.initiatives.models import Initiative
from app.kpis.models import Kpi, KpiInitiative, KpiOwner
from app.raci.models import PROPOSED, RaciCell
from app.reviews.models import Review, ReviewParticipant
from app.roles.models import Role
from app.waivers.models import Waiver
from app.webhooks import service as webhooks_service

RENAME_LOCK = "raci.renames"
_CELL_VALUE: TypeAdapter[str] = TypeAdapter(RaciLetters)

ROLE = table_of(Role)
CELL = table_of(RaciCell)
INITIATIVE = table_of(Initiative)
COMPONENT = table_of(Component)
CAPABILITY = table_of(Capability)
KPI = table_of(Kpi)
KPI_OWNER = table_of(KpiOwner)
KPI_INITIATIVE = table_of(KpiInitiative)
WAIVER = table_of(Waiver)
REVIEW = table_of(Review)
REVIEW_PARTICIPANT = table_of(ReviewParticipant)
KEY_ROLE = table_of(ApiKeyRole)


@dataclass
class _Audit:
    """Before-states taken ahead of the statements, turned into entries after them."""

    connection: Connection
    entries: list[AuditRecord]

    def states(self, resource_type: str, ids: Iterable[Identity]) -> dict[Identity, Any]:
        return load_states(self.connection, resource_type, list(dict.fromkeys(ids)))

    def moved(
        self,
        resource_type: ResourceType,
        before: dict[Identity, Any],
        after_ids: dict[Identity, Identity],
    ) -> None:
        """Each resource of `before` left its address; `after_ids` maps its old identity to
        its new one (absent: it is gone, as a cell merged into another)."""
        after = self.states(resource_type, after_ids.values())
        key_of = _KEY_OF[resource_type]
        for state in before.values():
            self.entries.append(change(resource_type, key_of(state), state, None))
        for identity in before:
            new_identity = after_ids.get(identity)
            if new_identity is not None and new_identity in after:
                state = after[new_identity]
                self.entries.append(change(resource_type, key_of(state), None, state))

    def updated(self, resource_type: ResourceType, before: dict[Identity, Any]) -> None:
        after = self.states(resource_type, before.keys())
        key_of = _KEY_OF[resource_type]
        for identity, state in before.items():
            now = after.get(identity)
            self.entries.append(change(resource_type, key_of(state), state, now))


def _by_key(state: dict[str, Any]) -> str:
    return str(state["key"])


_KEY_OF: dict[str, Callable[[dict[str, Any]], str]] = {
    "role": lambda state: str(state["code"]),
    "initiative": _by_key,
    "component": lambda state: f"{state['initiative']}/{state['key']}",
    "raci_cell": lambda state: f"{state['initiative']}/{state['component']}/{state['role']}",
    "kpi": _by_key,
    "capability": _by_key,
    "waiver": _by_key,
    "review": _by_key,
    "api_key": lambda state: str(state["name"]),
}


def _ids(connection: Connection, stmt: Any) -> list[Identity]:
    return [tuple(row) for row in connection.execute(stmt)]


def _bump(table: Table, now: datetime) -> dict[str, Any]:
    return {"version": table.c.version + 1, "updated_at": now}


def _start(session: Session) -> tuple[Connection, _Audit]:
    lock_transaction(session, RENAME_LOCK)
    connection = session.connection()
    return connection, _Audit(connection, [])


def _finish(session: Session, audit: _Audit) -> None:
    record(session, audit.entries)
    # Rows changed past the ORM: objects it already holds must be read again.
    session.expire_all()


# --- roles --------------------------------------------------------------------------------


def _role_row(connection: Connection, code: str) -> Any:
    row = connection.execute(select(ROLE).where(ROLE.c.code == code)).one_or_none()
    if row is None:
        raise NotFound(f"No role with code '{code}'")
    return row


def rename_role(session: Session, code: str, new_code: str, if_match: IfMatch) -> bool:
    """Give role `code` the code `new_code` everywhere it is named: its RACI cells, the
    initiatives it sponsors, the KPIs it owns, the capabilities it is the agreed owner of,
    the webhook endpoints bound to it, the governance models' owner entries. False when `new_code` is already its code (nothing to do). 404 for an unknown role, 409
    when `new_code` is taken, 412 for a stale If-Match."""
    connection, audit = _start(session)
    role = _role_row(connection, code)
    if_match.check(role.version)
    if new_code == code:
        return False
    if connection.execute(select(ROLE.c.id).where(ROLE.c.code == new_code)).first():
        raise Conflict(
            f"Role code '{new_code}' is taken; to move '{code}' into it, "
            f'POST /roles/{code}/merge with {{"into": "{new_code}"}}'
        )
    cells = audit.states(
        "raci_cell",
        _ids(connection, select(CELL.c.component_id, CELL.c.role).where(CELL.c.role == code)),
    )
    refs = _role_references(connection, audit, code)
    role_before = audit.states("role", [(role.id,)])
    now = utcnow()
    try:
        with session.begin_nested():
            inserted = connection.execute(
                insert(ROLE).values(
                    code=new_code,
                    name=role.name,
                    description=role.description,
                    function=role.function,
                    version=role.version + 1,
                    created_at=role.created_at,
                    updated_at=now,
                )
            ).inserted_primary_key
            assert inserted is not None
            new_id = inserted[0]
            _repoint_role(connection, code, new_code, now)
            connection.execute(
                update(CELL).where(CELL.c.role == code).values(role=new_code, **_bump(CELL, now))
            )
            connection.execute(delete(ROLE).where(ROLE.c.id == role.id))
    except IntegrityError:
        raise Conflict(
            f"Role '{code}' or code '{new_code}' was changed by another request meanwhile; retry"
        ) from None
    audit.moved("role", role_before, {(role.id,): (new_id,)})
    audit.moved("raci_cell", cells, {(cid, code): (cid, new_code) for cid, _ in cells})
    for resource_type, before in refs:
        audit.updated(resource_type, before)
    _finish(session, audit)
    webhooks_service.replace_role(session, code, new_code)
    governance_service.replace_role(session, code, new_code)
    return True


def _role_references(
    connection: Connection, audit: _Audit, code: str
) -> list[tuple[ResourceType, dict[Identity, Any]]]:
    """The before-states of what refers to role `code` (not its cells)."""
    reviews = select(REVIEW_PARTICIPANT.c.review_id).where(REVIEW_PARTICIPANT.c.role == code)
    return [
        (
            "initiative",
            audit.states(
                "initiative",
                _ids(connection, select(INITIATIVE.c.id).where(INITIATIVE.c.sponsor == code)),
            ),
        ),
        (
            "kpi",
            audit.states(
                "kpi", _ids(connection, select(KPI_OWNER.c.kpi_id).where(KPI_OWNER.c.role == code))
            ),
        ),
        (
            "capability",
            audit.states(
                "capability",
                _ids(connection, select(CAPABILITY.c.id).where(CAPABILITY.c.agreed_owner == code)),
            ),
        ),
        ("review", audit.states("review", _ids(connection, reviews))),
        (
            "api_key",
            audit.states(
                "api_key",
                _ids(connection, select(KEY_ROLE.c.api_key_id).where(KEY_ROLE.c.role == code)),
            ),
        ),
    ]


def _repoint_role(connection: Connection, code: str, into: str, now: datetime) -> None:
    """Sponsors, KPI owners, agreed owners, review participants and the keys acting for `code`
    name `into` instead (a KPI owned by both, a review asking both, a key acting for both
    keeps one row)."""
    connection.execute(
        update(INITIATIVE)
        .where(INITIATIVE.c.sponsor == code)
        .values(sponsor=into, **_bump(INITIATIVE, now))
    )
    owned = select(KPI_OWNER.c.kpi_id).where(KPI_OWNER.c.role == code).scalar_subquery()
    connection.execute(update(KPI).where(KPI.c.id.in_(owned)).values(**_bump(KPI, now)))
    both = select(KPI_OWNER.c.kpi_id).where(KPI_OWNER.c.role == into).scalar_subquery()
    connection.execute(
        delete(KPI_OWNER).where(KPI_OWNER.c.role == code, KPI_OWNER.c.kpi_id.in_(both))
    )
    connection.execute(update(KPI_OWNER).where(KPI_OWNER.c.role == code).values(role=into))
    # A key acting for both roles keeps one row; keys act for the new code from now on.
    acting = select(KEY_ROLE.c.api_key_id).where(KEY_ROLE.c.role == into).scalar_subquery()
    connection.execute(
        delete(KEY_ROLE).where(KEY_ROLE.c.role == code, KEY_ROLE.c.api_key_id.in_(acting))
    )
    connection.execute(update(KEY_ROLE).where(KEY_ROLE.c.role == code).values(role=into))
    connection.execute(
        update(CAPABILITY)
        .where(CAPABILITY.c.agreed_owner == code)
        .values(agreed_owner=into, **_bump(CAPABILITY, now))
    )
    asked = select(REVIEW_PARTICIPANT.c.review_id).where(REVIEW_PARTICIPANT.c.role == code)
    connection.execute(
        update(REVIEW).where(REVIEW.c.id.in_(asked.scalar_subquery())).values(**_bump(REVIEW, now))
    )
    asked_both = select(REVIEW_PARTICIPANT.c.review_id).where(REVIEW_PARTICIPANT.c.role == into)
    connection.execute(
        delete(REVIEW_PARTICIPANT).where(
            REVIEW_PARTICIPANT.c.role == code,
            REVIEW_PARTICIPANT.c.review_id.in_(asked_both.scalar_subquery()),
        )
    )
    connection.execute(
        update(REVIEW_PARTICIPANT).where(REVIEW_PARTICIPANT.c.role == code).values(role=into)
    )


def merge_role(session: Session, code: str, into: str, if_match: IfMatch) -> None:
    """Move everything of role `code` to role `into`, then remove `code`.

    Where both hold a cell on a component, `into` keeps one cell holding the letters of both
    (A and R make AR; its rationale is kept, or `code`'s if it had none); when that changes
    the kept cell's letters, its agreement is `proposed` again. 404 for an unknown
    role `code`; 422 when `into` is `code` or no role; 409 when joined letters are not a value
    a cell can hold; 412 for a stale If-Match (on `code`).
    """
    connection, audit = _start(session)
    role = _role_row(connection, code)
    if_match.check(role.version)
    if into == code:
        raise Unprocessable.at(
            ["body", "into"], f"is '{code}' itself: a role cannot merge into itself"
        )
    if not connection.execute(select(ROLE.c.id).where(ROLE.c.code == into)).first():
        raise Unprocessable.at(["body", "into"], f"unknown role '{into}'")
    theirs = {
        component_id: (raci, rationale)
        for component_id, raci, rationale in connection.execute(
            select(CELL.c.component_id, CELL.c.raci, CELL.c.rationale).where(CELL.c.role == into)
        )
    }
    mine = list(
        connection.execute(
            select(CELL.c.component_id, CELL.c.raci, CELL.c.rationale).where(CELL.c.role == code)
        )
    )
    joined = _joined_cells(mine, theirs)
    moving = [component_id for component_id, _, _ in mine if component_id not in theirs]
    old_cells = audit.states("raci_cell", [(component_id, code) for component_id, _, _ in mine])
    target_cells = audit.states("raci_cell", [(component_id, into) for component_id in joined])
    refs = _role_references(connection, audit, code)
    role_before = audit.states("role", [(role.id,)])
    now = utcnow()
    try:
        with session.begin_nested():
            if joined:
                # Joined letters that differ from the kept cell's re-open its agreement.
                reopened = {cid for cid, (raci, _) in joined.items() if raci != theirs[cid][0]}
                for cids, extra in (
                    (reopened, {**PROPOSED, "letters_set_at": now}),
                    (set(joined) - reopened, {}),
                ):
                    if not cids:
                        continue
                    connection.execute(
                        update(CELL)
                        .where(CELL.c.component_id == bindparam("cid"), CELL.c.role == into)
                        .values(
                            raci=bindparam("raci"),
                            rationale=bindparam("why"),
                            **extra,
                            **_bump(CELL, now),
                        ),
                        [
                            {"cid": cid, "raci": joined[cid][0], "why": joined[cid][1]}
                            for cid in cids
                        ],
                    )
                connection.execute(
                    delete(CELL).where(CELL.c.role == code, CELL.c.component_id.in_(list(joined)))
                )
            connection.execute(
                update(CELL).where(CELL.c.role == code).values(role=into, **_bump(CELL, now))
            )
            _repoint_role(connection, code, into, now)
            connection.execute(delete(ROLE).where(ROLE.c.id == role.id))
    except IntegrityError:
        raise Conflict(
            f"Role '{code}' or '{into}' was changed by another request meanwhile; retry"
        ) from None
    audit.moved("role", role_before, {})
    audit.moved("raci_cell", old_cells, {(cid, code): (cid, into) for cid in moving})
    audit.updated("raci_cell", target_cells)
    for resource_type, before in refs:
        audit.updated(resource_type, before)
    _finish(session, audit)
    webhooks_service.replace_role(session, code, into)
    governance_service.replace_role(session, code, into)


def _joined_cells(
    mine: Sequence[Any], theirs: dict[int, tuple[str, str | None]]
) -> dict[int, tuple[str, str | None]]:
    """Component id -> (letters, rationale) of the kept role's cell where both roles hold one:
    the union of their letters (a cell holds a set), the kept role's rationale first."""
    joined: dict[int, tuple[str, str | None]] = {}
    for component_id, raci, rationale in mine:
        if component_id not in theirs:
            continue
        their_raci, their_rationale = theirs[component_id]
        letters = canonical_letters([their_raci, raci])
        joined[component_id] = (
            letters,
            their_rationale if their_rationale is not None else rationale,
        )
    return joined


# --- initiatives and components ------------------------------------------------------------


def _cells_of_components(
    connection: Connection, audit: _Audit, component_ids: Sequence[int]
) -> dict[Identity, Any]:
    if not component_ids:
        return {}
    return audit.states(
        "raci_cell",
        _ids(
            connection,
            select(CELL.c.component_id, CELL.c.role).where(
                CELL.c.component_id.in_(list(component_ids))
            ),
        ),
    )


def rename_initiative(session: Session, key: str, new_key: str, if_match: IfMatch) -> bool:
    """Give initiative `key` the key `new_key`: its components and cells, the KPIs serving it
    and the waivers naming it follow. False when `new_key` is already its key. 404 unknown,
    409 taken, 412 stale If-Match."""
    connection, audit = _start(session)
    row = connection.execute(
        select(INITIATIVE.c.id, INITIATIVE.c.version).where(INITIATIVE.c.key == key)
    ).one_or_none()
    if row is None:
        raise NotFound(f"No initiative with key '{key}'")
    if_match.check(row.version)
    if new_key == key:
        return False
    if connection.execute(select(INITIATIVE.c.id).where(INITIATIVE.c.key == new_key)).first():
        raise Conflict(f"An initiative with key '{new_key}' already exists")
    components = [
        cid
        for (cid,) in _ids(
            connection, select(COMPONENT.c.id).where(COMPONENT.c.initiative_id == row.id)
        )
    ]
    initiative_before = audit.states("initiative", [(row.id,)])
    components_before = audit.states("component", [(cid,) for cid in components])
    cells_before = _cells_of_components(connection, audit, components)
    kpis_before = audit.states(
        "kpi",
        _ids(
            connection,
            select(KPI_INITIATIVE.c.kpi_id).where(KPI_INITIATIVE.c.initiative_id == row.id),
        ),
    )
    waivers_before = audit.states(
        "waiver", _ids(connection, select(WAIVER.c.id).where(WAIVER.c.initiative == key))
    )
    now = utcnow()
    try:
        with session.begin_nested():
            connection.execute(
                update(INITIATIVE)
                .where(INITIATIVE.c.id == row.id)
                .values(key=new_key, **_bump(INITIATIVE, now))
            )
            served = (
                select(KPI_INITIATIVE.c.kpi_id)
                .where(KPI_INITIATIVE.c.initiative_id == row.id)
                .scalar_subquery()
            )
            connection.execute(update(KPI).where(KPI.c.id.in_(served)).values(**_bump(KPI, now)))
            connection.execute(
                update(WAIVER)
                .where(WAIVER.c.initiative == key)
                .values(initiative=new_key, **_bump(WAIVER, now))
            )
    except IntegrityError:
        raise Conflict(f"An initiative with key '{new_key}' was created meanwhile") from None
    same = {identity: identity for identity in initiative_before}
    audit.moved("initiative", initiative_before, same)
    audit.moved("component", components_before, {i: i for i in components_before})
    audit.moved("raci_cell", cells_before, {i: i for i in cells_before})
    audit.updated("kpi", kpis_before)
    audit.updated("waiver", waivers_before)
    _finish(session, audit)
    return True


def rename_component(
    session: Session, key: str, component_key: str, new_key: str, if_match: IfMatch
) -> bool:
    """Give component `component_key` of initiative `key` the key `new_key`: its cells and the
    waivers naming it follow; the initiative's version rises (its ETag covers its
    components). False when `new_key` is already its key. 404 unknown, 409 taken, 412 stale
    If-Match (on the component)."""
    connection, audit = _start(session)
    initiative_id = connection.execute(
        select(INITIATIVE.c.id).where(INITIATIVE.c.key == key)
    ).scalar()
    if initiative_id is None:
        raise NotFound(f"No initiative with key '{key}'")
    row = connection.execute(
        select(COMPONENT.c.id, COMPONENT.c.version).where(
            COMPONENT.c.initiative_id == initiative_id, COMPONENT.c.key == component_key
        )
    ).one_or_none()
    if row is None:
        raise NotFound(f"Initiative '{key}' has no component '{component_key}'")
    if_match.check(row.version)
    if new_key == component_key:
        return False
    taken = connection.execute(
        select(COMPONENT.c.id).where(
            COMPONENT.c.initiative_id == initiative_id, COMPONENT.c.key == new_key
        )
    ).first()
    if taken:
        raise Conflict(f"Initiative '{key}' already has a component '{new_key}'")
    component_before = audit.states("component", [(row.id,)])
    cells_before = _cells_of_components(connection, audit, [row.id])
    named = (WAIVER.c.initiative == key) & (WAIVER.c.component == component_key)
    waivers_before = audit.states("waiver", _ids(connection, select(WAIVER.c.id).where(named)))
    now = utcnow()
    try:
        with session.begin_nested():
            connection.execute(
                update(COMPONENT)
                .where(COMPONENT.c.id == row.id)
                .values(key=new_key, **_bump(COMPONENT, now))
            )
            connection.execute(
                update(INITIATIVE)
                .where(INITIATIVE.c.id == initiative_id)
                .values(**_bump(INITIATIVE, now))
            )
            connection.execute(
                update(WAIVER).where(named).values(component=new_key, **_bump(WAIVER, now))
            )
    except IntegrityError:
        raise Conflict(f"Initiative '{key}' got a component '{new_key}' meanwhile") from None
    audit.moved("component", component_before, {i: i for i in component_before})
    audit.moved("raci_cell", cells_before, {i: i for i in cells_before})
    audit.updated("waiver", waivers_before)
    _finish(session, audit)
    return True
