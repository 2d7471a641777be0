"""Role workload: how many components each role holds each RACI letter for, and sponsors."""

from collections.abc import Collection
from dataclasses import dataclass

from sqlalchemy import ColumnElement, case, func, select
from sqlalchemy.orm import Session

from app.components.models import Component
from app.initiatives.models import LIVE_STATUSES, Initiative
from app.raci.models import RaciCell
from app.roles.models import Role


@dataclass(frozen=True, slots=True)
class RoleWorkload:
    role: str
    accountable: int  # A or AR
    responsible: int  # R or AR
    consulted: int
    informed: int
    sponsored: int


def _count_of(*letters: str) -> ColumnElement[int]:
    return func.count(case((RaciCell.raci.in_(letters), 1)))


def role_workload(
    session: Session, *, include_closed: bool = False, portfolios: Collection[str] | None = None
) -> list[RoleWorkload]:
    """One entry per role, roles with nothing included, ordered by code: one query.

    Counts components of live initiatives (all initiatives with `include_closed`),
    optionally only those in `portfolios`; `AR` counts both as A and as R.
    """
    conditions: list[ColumnElement[bool]] = []
    if not include_closed:
        conditions.append(Initiative.status.in_(LIVE_STATUSES))
    if portfolios is not None:
        conditions.append(Initiative.portfolio.in_(sorted(portfolios)))
    cells = (
        select(
            RaciCell.role.label("role"),
            _count_of("A", "AR").label("a"),
            _count_of("R", "AR").label("r"),
            _count_of("C").label("c"),
            _count_of("I").label("i"),
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
        )
        .outerjoin(cells, cells.c.role == Role.code)
        .outerjoin(sponsored, sponsored.c.role == Role.code)
        .order_by(Role.code)
    )
    return [RoleWorkload(*row) for row in session.execute(stmt)]
