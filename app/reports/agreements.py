"""The agreements report: per initiative and role, how many cells are agreed, proposed,
disputed, and agreed so long ago that they are to re-confirm (stale)."""

from collections.abc import Collection
from dataclasses import dataclass
from datetime import date

from sqlalchemy import ColumnElement, case, func, select
from sqlalchemy.orm import Session

from app.components.models import Component
from app.initiatives.models import Initiative
from app.raci.models import RaciCell
from app.references import require_named_subjects
from app.reports.facts import ReportScope, agreement_cutoffs


@dataclass(frozen=True, slots=True)
class RoleAgreements:
    initiative: str
    role: str
    agreed: int
    proposed: int
    disputed: int
    stale: int  # agreed cells older than `reconfirm_days` (counted in `agreed` too)
    overdue: int  # proposed cells past `agreement_grace_days` (counted in `proposed` too)


def _count(condition: ColumnElement[bool]) -> ColumnElement[int]:
    return func.count(case((condition, 1)))


def agreements_report(
    session: Session,
    *,
    as_of: date,
    initiatives: Collection[str] | None = None,
    roles: Collection[str] | None = None,
    include_closed: bool = False,
) -> list[RoleAgreements]:
    """One entry per initiative and role holding cells in it, by initiative key and role
    code: one query. Live initiatives only unless `include_closed`; `initiatives` and
    `roles` narrow it (404 naming one that does not exist). `stale` and `overdue` are
    measured to `as_of` with the periods of `/settings`, as the rules STALE_AGREEMENT and
    UNAGREED_CELL do."""
    require_named_subjects(session, initiatives=initiatives, roles=roles, kpis=None)
    scope = ReportScope(
        as_of=as_of,
        include_closed=include_closed,
        initiatives=frozenset(initiatives) if initiatives is not None else None,
    )
    unagreed_before, stale_before = agreement_cutoffs(session, as_of)
    agreed = RaciCell.agreement == "agreed"
    proposed = RaciCell.agreement == "proposed"
    conditions = scope.initiative_conditions()
    if roles is not None:
        conditions.append(RaciCell.role.in_(sorted(roles)))
    stmt = (
        select(
            Initiative.key,
            RaciCell.role,
            _count(agreed),
            _count(proposed),
            _count(RaciCell.agreement == "disputed"),
            _count(agreed & (RaciCell.agreement_at < stale_before)),
            _count(proposed & (RaciCell.letters_set_at < unagreed_before)),
        )
        .join(Component, Component.id == RaciCell.component_id)
        .join(Initiative, Initiative.id == Component.initiative_id)
        .where(*conditions)
        .group_by(Initiative.key, RaciCell.role)
        .order_by(Initiative.key, RaciCell.role)
    )
    return [RoleAgreements(*row) for row in session.connection().execute(stmt)]
