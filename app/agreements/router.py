"""HTTP routes for agreement decisions: one cell, or many at once (API.md "Explicit
agreement")."""

from typing import Any

from fastapi import APIRouter, Response

from app.agreements import service
from app.agreements.schemas import (
    AgreementDecision,
    AgreementOutcome,
    AgreementsRequest,
    AgreementsResult,
)
from app.core.http import (
    CHANGE_PROBLEMS,
    WRITE_PROBLEMS,
    ComponentKeyPath,
    KeyPath,
    RoleCodePath,
    problems,
    set_etag,
)
from app.deps import IfMatchDep, Principal, SessionDep, WriteKey
from app.raci.schemas import Agreement, RaciCellRead

router = APIRouter(tags=["agreements"])


@router.post(
    "/initiatives/{key}/components/{component_key}/raci/{role_code}/agreement",
    summary="Agree to or dispute a RACI cell",
    responses=problems(*CHANGE_PROBLEMS),
)
def decide_cell(
    key: KeyPath,
    component_key: ComponentKeyPath,
    role_code: RoleCodePath,
    body: AgreementDecision,
    session: SessionDep,
    principal: WriteKey,
    if_match: IfMatchDep,
    response: Response,
) -> RaciCellRead:
    """Record that the role agrees to its letters for the component, or disputes them
    (`comment` required: 422 otherwise). Only a key acting for the role (its `acts_for`,
    set by an admin on `/keys`) or an admin key may decide: 403 for any other key, read
    keys included. 404 names the initiative, component or role that does not exist, or says
    that the role holds no cell there.

    The answer is the cell with its `agreement` (`by` is the key's name, `at` now). The
    letters never change; the cell's version (ETag) and its initiative's rise, since their
    state changed. Honours If-Match against the cell's ETag. Deciding again (for example to
    re-confirm an old agreement) records a new decision. Audited as an update of the cell.
    """
    cell = service.decide_cell(
        session, _decider(principal), (key, component_key, role_code), body, if_match
    )
    set_etag(response, cell["version"])
    return _cell_read(cell)


@router.post(
    "/agreements",
    summary="Agree to or dispute many RACI cells",
    responses=problems(*WRITE_PROBLEMS, 404),
)
def decide_cells(
    body: AgreementsRequest, session: SessionDep, principal: WriteKey
) -> AgreementsResult:
    """One decision (`agree`, or `dispute` with a `comment`) for many cells at once, named
    either as `initiative` and `role` (every cell of the role in the initiative) or as a
    list of `cells` (`{"initiative", "component", "role"}`, at most 10,000).

    With `initiative` and `role`: 404 for an unknown initiative or role, 403 when the key
    does not act for the role (nothing is decided); otherwise every cell is decided.

    With `cells`: 200 with one outcome per cell, in the order named: `status` 200 with the
    decided `cell`, 403 when the key does not act for the cell's role, 404 when the
    initiative, component or cell does not exist (`detail` says which). The cells that can
    be decided are decided, whatever the others: a script reads `refused` (and each
    `status`) rather than the answer's status. A cell named twice is one outcome.

    Either way only a write key may call this (a read key: 403), and an admin key may decide
    any cell. Each decided cell's version and its initiative's rise, and each is audited.
    """
    decider = _decider(principal)
    if body.cells is None:
        assert body.initiative is not None and body.role is not None
        outcomes = service.decide_role(session, decider, body.initiative, body.role, body)
    else:
        addresses = [(c.initiative, c.component, c.role) for c in body.cells]
        outcomes = service.decide(session, decider, addresses, body)
    cells = [
        AgreementOutcome(
            initiative=o.address[0],
            component=o.address[1],
            role=o.address[2],
            status=o.status,
            detail=o.detail,
            cell=_cell_read(o.cell) if o.cell is not None and o.status == 200 else None,
        )
        for o in outcomes
    ]
    decided = sum(1 for c in cells if c.status == 200)
    return AgreementsResult(
        decision=body.decision, decided=decided, refused=len(cells) - decided, cells=cells
    )


def _decider(principal: Principal) -> service.Decider:
    return service.Decider(name=principal.name, is_admin=principal.scope == "admin")


def _cell_read(cell: dict[str, Any]) -> RaciCellRead:
    return RaciCellRead(
        initiative=cell["initiative"],
        component=cell["component"],
        role=cell["role"],
        raci=cell["raci"],
        rationale=cell["rationale"],
        agreement=Agreement(
            state=cell["agreement"],
            by=cell["agreement_by"],
            at=cell["agreement_at"],
            comment=cell["agreement_comment"],
        ),
        version=cell["version"],
        created_at=cell["created_at"],
        updated_at=cell["updated_at"],
    )
