"""Role workload: how many components each role holds each RACI letter for, and sponsors."""

from collections.abc import Collection
from dataclasses import dataclass

from sqlalchemy import ColumnElement, case, func, select
from sqlalchemy.orm import Session

from app.components.models import Component
from app.core.identifiers import holds
from app.initiatives.models import LIVE_STATUSES, Initiative
from app.raci.models import RaciCell
from app.roles.models import Role


@dataclass(frozen=True, slots=True)
class RoleWorkload:
    role: str
    accountable: int  # cells holding A (AR too)
    responsible: int  # cells holding R (AR too)
    consulted: int
    informed: int
    sponsored: int
    supports: int = 0
    verifies: int = 0


def _count_of(letter: str) -> ColumnElement[int]:
    """Cells holding `letter`, whatever else they hold (`AR` counts for A and for R)."""
    return func.count(case((RaciCell.raci.like(holds(letter)), 1)))


def role_workload(
    session: Session, *, include_closed: bool = False, portfolios: Collection[str] | None = None
) -> list[RoleWorkload]:
    """One entry per role, roles with nothing included, ordered by code: one query.

    Counts components of live initiatives (all initiatives with `include_closed`),
    optionally only those in `portfolios`; a cell counts for every letter it holds (`AR`
    counts both as A and as R).
    """
    conditions: list[ColumnElement[bool]] = []
    if not include_closed:
        conditions.append(Initiative.status.in_(LIVE_STATUSES))
    if portfolios is not None:
        conditions.append(Initiative.portfolio.in_(sorted(portfolios)))
    cells = (
        select(
            RaciCell.role.label("role"),
            _count_of("A").label("a"),
            _count_of("R").label("r"),
            _count_of("C").label("c"),
            _count_of("I").label("i"),
            _count_of("S").label("s"),
            _count_of("V").label("v"),
        )
        .join(Component, Component.id == RaciCell.component_id)
        .join(Initiative, Initiative.id == Component.initiative_id)
        .where(*conditions)
        .group_by(RaciCell.role)
        .subquery("cells")
    )
    sponsored = (
        select(Initiative.sponsor.label("role"), func.count().label("n"))
        .where(Initiative.sponsor.is_not(None), *conditions)
        .group_by(Initiative.sponsor)
        .subquery("sponsored")
    )
    stmt = (
        select(
            Role.code,
            func.coalesce(cells.c.a, 0),
            func.coalesce(cells.c.r, 0),
            func.coalesce(cells.c.c, 0),
            func.coalesce(cells.c.i, 0),
            func.coalesce(sponsored.c.n, 0),
            func.coalesce(cells.c.s, 0),
            func.coalesce(cells.c.v, 0),
        )
        .outerjoin(cells, cells.c.role == Role.code)
        .outerjoin(sponsored, sponsored.c.role == Role.code)
        .order_by(Role.code)
    )
    return [RoleWorkload(*row) for row in session.execute(stmt)]
