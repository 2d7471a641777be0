"""What the reports know about the portfolio: plain rows read with a few set-based queries.

Nothing here loads ORM objects or queries once per initiative or component. The component
facts come from one aggregate over `raci_cell` grouped by component (counts and role lists
through `aggregate_strings`, which is `group_concat` on SQLite and `string_agg` on
PostgreSQL), joined to component and initiative, with the capabilities read apart. Each
kind of fact is read only when a rule asks for it.
"""

from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from typing import Any, TypeVar

from sqlalchemy import ColumnElement, Select, case, exists, func, literal, or_, select
from sqlalchemy.orm import InstrumentedAttribute, Session

from app.capabilities.models import Capability
from app.components.models import Component
from app.core.identifiers import holds
from app.db import dialect
from app.initiatives.models import LIVE_STATUSES, Initiative
from app.kpis.measurements import latest_measurements
from app.kpis.models import Kpi, KpiInitiative, KpiOwner
from app.kpis.status import KpiStatus, KpiTargets, kpi_status
from app.raci.models import RaciCell
from app.reviews.models import Review, ReviewParticipant
from app.roles.models import Role
from app.settings.service import current as current_settings

ROLE_SEPARATOR = ","  # role codes never contain one

T = TypeVar("T")


@dataclass(frozen=True)
class ReportScope:
    """Which part of the portfolio a report looks at.

    `initiatives` and `portfolios` (None: all) narrow the initiatives read; only live ones
    count unless `include_closed`. KPI status is computed as of `as_of`.
    """

    as_of: date
    include_closed: bool = False
    initiatives: frozenset[str] | None = None
    portfolios: frozenset[str] | None = None

    @property
    def narrowed(self) -> bool:
        """True when only some initiatives are read (by key or portfolio)."""
        return self.initiatives is not None or self.portfolios is not None

    def initiative_conditions(self, *, indexed_status: bool = True) -> list[ColumnElement[bool]]:
        """`indexed_status=False`: the status condition written so that no index serves it."""
        conditions: list[ColumnElement[bool]] = []
        if not self.include_closed:
            status = Initiative.status if indexed_status else Initiative.status.concat("")
            conditions.append(status.in_(LIVE_STATUSES))
        if self.initiatives is not None:
            conditions.append(Initiative.key.in_(sorted(self.initiatives)))
        if self.portfolios is not None:
            conditions.append(Initiative.portfolio.in_(sorted(self.portfolios)))
        return conditions


@dataclass(slots=True)
class ComponentFacts:
    """One component of a counted initiative, with its RACI cells summed up.

    Not frozen: one is built per component of the portfolio, and a frozen dataclass pays
    an `object.__setattr__` per field. Treat it as read-only all the same."""

    key: str
    name: str
    initiative: str
    initiative_name: str
    capability: str | None
    capability_name: str | None
    agreed_owner: str | None
    accountable: tuple[str, ...]  # roles holding A or AR, sorted
    responsible_count: int  # cells holding R or AR
    roles: tuple[str, ...]  # every role holding a cell, sorted


@dataclass(frozen=True, slots=True)
class InitiativeFacts:
    key: str
    name: str
    portfolio: str | None
    status: str
    sponsor: str | None
    has_joint_kpi: bool  # served by a KPI with two or more owners


@dataclass(frozen=True, slots=True)
class KpiFacts:
    """A KPI that counts in this scope, with its status as of the scope's date."""

    key: str
    name: str
    unit: str | None
    target: float
    target_date: date
    owners: tuple[str, ...]
    latest_value: float | None
    latest_at: datetime | None
    status: KpiStatus


@dataclass(frozen=True, slots=True)
class OverdueReview:
    """An open governance review whose `due_on` is before the scope's date."""

    key: str
    kpi: str
    kpi_name: str
    due_on: date
    participants: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class CapabilityUse:
    """Where a capability is built among the counted initiatives and who is accountable."""

    key: str
    name: str
    agreed_owner: str | None = None
    initiatives: dict[str, str] = field(default_factory=dict)  # key -> name
    accountable: set[str] = field(default_factory=set)


def _split(joined: str | None) -> tuple[str, ...]:
    if not joined:
        return ()
    if ROLE_SEPARATOR not in joined:  # most often: one accountable role
        return (joined,)
    return tuple(sorted(joined.split(ROLE_SEPARATOR)))


@dataclass(slots=True)
class ComponentPass:
    """What one pass over the components of the counted initiatives leaves behind.

    `flagged`: only the components some component rule may report (no accountable, more
    than one, nobody responsible, or the agreed owner not accountable), about one in ten;
    `roles_by_initiative`: only the initiatives whose cells name exactly one role;
    `capability_uses`: every capability built by a counted initiative."""

    flagged: list[ComponentFacts] = field(default_factory=list)
    roles_by_initiative: dict[str, tuple[str, set[str]]] = field(default_factory=dict)
    capability_uses: dict[str, CapabilityUse] = field(default_factory=dict)


# Rows held at a time, so that a large portfolio is never buffered whole.
COMPONENT_ROWS_PER_FETCH = 5_000


def component_pass(session: Session, scope: ReportScope) -> ComponentPass:
    """One aggregate query over the cells of the counted initiatives, grouped by component
    and read as plain rows a batch at a time; Python keeps only what the rules need."""
    # A role is accountable when its cell holds A, responsible when it holds R (AR: both).
    accountable_role = case((RaciCell.raci.like(holds("A")), RaciCell.role))
    responsible_cell = case((RaciCell.raci.like(holds("R")), 1))
    aggregates = (
        func.aggregate_strings(accountable_role, ROLE_SEPARATOR),
        func.count(responsible_cell),
        func.aggregate_strings(RaciCell.role, ROLE_SEPARATOR),
    )
    described = (
        Component.key,
        Component.name,
        Initiative.key,
        Initiative.name,
        Component.capability,
    )
    stmt: Select[*tuple[Any, ...]]
    if dialect.group_concat_orders_by_scan(session):
        # Scan `component` in id order and join `raci_cell` through its primary key (first
        # column `component_id`), so that the groups come out one after the other with no
        # temporary B-tree: the status condition (`|| ''`) must not pick the initiative
        # index as the outer loop, and grouping by the component alone (SQLite allows the
        # other columns bare) keeps that order. 0.36 s -> 0.22 s at 10,000 initiatives.
        stmt = (
            select(*described, *aggregates)
            .select_from(Component)
            .join(Initiative, Initiative.id == Component.initiative_id)
            .outerjoin(RaciCell, RaciCell.component_id == Component.id)
            .where(*scope.initiative_conditions(indexed_status=False))
            .group_by(Component.id)
        )
    else:
        # PostgreSQL aggregates the cells on their own, in one ordered pass over their
        # primary key, and joins the groups to the components afterwards: grouping the
        # joined rows by component, initiative and capability made it sort them first
        # (server time 180 ms -> 100 ms at 10,000 initiatives). A narrowed scope picks
        # its components' cells first, so that it does not aggregate the whole portfolio.
        cells = select(RaciCell.component_id, *aggregates).group_by(RaciCell.component_id)
        if scope.narrowed:
            cells = cells.where(RaciCell.component_id.in_(_counted(Component.id, scope)))
        grouped = cells.subquery("cells")
        stmt = (
            select(*described, *list(grouped.c)[1:])
            .select_from(Component)
            .join(Initiative, Initiative.id == Component.initiative_id)
            .outerjoin(grouped, grouped.c.component_id == Component.id)
            .where(*scope.initiative_conditions())
        )
    found = ComponentPass()
    flagged = found.flagged
    single_role: dict[str, tuple[str, str | None]] = {}  # initiative -> (name, its one role)
    uses = _capabilities(session, scope)
    rows = session.execute(stmt, execution_options={"yield_per": COMPONENT_ROWS_PER_FETCH})
    for (
        key,
        name,
        initiative,
        initiative_name,
        capability,
        accountable_codes,
        responsible_count,
        role_codes,
    ) in rows:
        accountable = _split(accountable_codes)
        use = None
        if capability is not None:
            use = uses.get(capability)
            if use is None:  # created since `uses` was read
                use = uses[capability] = CapabilityUse(capability, capability)
            use.initiatives[initiative] = initiative_name
            use.accountable.update(accountable)
        agreed_owner = use.agreed_owner if use is not None else None
        if (
            len(accountable) != 1
            or not responsible_count
            or (agreed_owner is not None and agreed_owner not in accountable)
        ):
            flagged.append(
                ComponentFacts(
                    key,
                    name,
                    initiative,
                    initiative_name,
                    capability,
                    use.name if use is not None else None,
                    agreed_owner,
                    accountable,
                    responsible_count or 0,
                    _split(role_codes),
                )
            )
        if role_codes:
            # The component's one role, or None when it names several.
            only = None if ROLE_SEPARATOR in role_codes else role_codes
            seen = single_role.get(initiative)
            if seen is None:
                single_role[initiative] = (initiative_name, only)
            elif seen[1] is not None and seen[1] != only:
                single_role[initiative] = (initiative_name, None)
    found.capability_uses = {known: use for known, use in uses.items() if use.initiatives}
    found.roles_by_initiative = {
        initiative: (initiative_name, {only})
        for initiative, (initiative_name, only) in single_role.items()
        if only is not None
    }
    return found


def _counted(column: InstrumentedAttribute[T], scope: ReportScope) -> Select[T]:
    """`column` of the components of the counted initiatives."""
    return (
        select(column)
        .join(Initiative, Initiative.id == Component.initiative_id)
        .where(*scope.initiative_conditions())
    )


def _capabilities(session: Session, scope: ReportScope) -> dict[str, CapabilityUse]:
    """The capabilities the counted components may name, by key, with nobody using them yet.

    Read apart and looked up in Python: joining each component to its capability made
    SQLite probe the capability index once per component, at random, which cost twenty
    times as much at 100,000 initiatives as at 10,000."""
    stmt = select(Capability.key, Capability.name, Capability.agreed_owner)
    if scope.narrowed:
        stmt = stmt.where(Capability.key.in_(_counted(Component.capability, scope)))
    return {
        key: CapabilityUse(key, name, agreed_owner)
        for key, name, agreed_owner in session.connection().execute(stmt)
    }


def initiative_facts(session: Session, scope: ReportScope) -> list[InitiativeFacts]:
    """Every counted initiative, with whether a joint KPI serves it, in one query."""
    joint_kpis = select(KpiOwner.kpi_id).group_by(KpiOwner.kpi_id).having(func.count() >= 2)
    served = (
        select(KpiInitiative.initiative_id)
        .where(KpiInitiative.kpi_id.in_(joint_kpis))
        .distinct()
        .subquery("served")
    )
    stmt = (
        select(
            Initiative.key,
            Initiative.name,
            Initiative.portfolio,
            Initiative.status,
            Initiative.sponsor,
            served.c.initiative_id.is_not(None),
        )
        .outerjoin(served, served.c.initiative_id == Initiative.id)
        .where(*scope.initiative_conditions())
    )
    return [InitiativeFacts(*row) for row in session.connection().execute(stmt)]


def kpi_facts(session: Session, scope: ReportScope) -> list[KpiFacts]:
    """Every KPI that counts, with its status as of `scope.as_of`: two queries in all.

    A KPI counts unless it serves initiatives and all of them are closed (then it counts
    only with `include_closed`). A KPI serving no initiative at all counts.
    """
    owners = (
        select(
            KpiOwner.kpi_id.label("kpi_id"),
            func.aggregate_strings(KpiOwner.role, ROLE_SEPARATOR).label("owners"),
        )
        .group_by(KpiOwner.kpi_id)
        .subquery("owners")
    )
    stmt = select(
        Kpi.id,
        Kpi.key,
        Kpi.name,
        Kpi.unit,
        Kpi.direction,
        Kpi.baseline,
        Kpi.baseline_date,
        Kpi.target,
        Kpi.target_date,
        owners.c.owners,
    ).outerjoin(owners, owners.c.kpi_id == Kpi.id)
    if not scope.include_closed:
        serves_any = exists().where(KpiInitiative.kpi_id == Kpi.id)
        serves_live = (
            exists()
            .where(KpiInitiative.kpi_id == Kpi.id)
            .where(Initiative.id == KpiInitiative.initiative_id)
            .where(Initiative.status.in_(LIVE_STATUSES))
        )
        stmt = stmt.where(or_(~serves_any, serves_live))
    rows = session.execute(stmt).all()
    latest = latest_measurements(session, scope.as_of)
    facts = []
    for (
        kpi_id,
        key,
        name,
        unit,
        direction,
        baseline,
        baseline_date,
        target,
        target_date,
        owner_codes,
    ) in rows:
        newest = latest.get(kpi_id)
        value, at = (newest.value, newest.measured_at) if newest else (None, None)
        targets = KpiTargets(direction, baseline, baseline_date, target, target_date)
        facts.append(
            KpiFacts(
                key=key,
                name=name,
                unit=unit,
                target=target,
                target_date=target_date,
                owners=_split(owner_codes),
                latest_value=value,
                latest_at=at,
                status=kpi_status(targets, value, at, scope.as_of),
            )
        )
    return facts


def overdue_reviews(session: Session, scope: ReportScope) -> list[OverdueReview]:
    """Every governance review still open with `due_on` before `scope.as_of`, with its KPI
    and participants: one query."""
    participants = (
        select(
            ReviewParticipant.review_id.label("review_id"),
            func.aggregate_strings(ReviewParticipant.role, ROLE_SEPARATOR).label("roles"),
        )
        .group_by(ReviewParticipant.review_id)
        .subquery("participants")
    )
    stmt = (
        select(Review.key, Kpi.key, Kpi.name, Review.due_on, participants.c.roles)
        .join(Kpi, Kpi.id == Review.kpi_id)
        .outerjoin(participants, participants.c.review_id == Review.id)
        .where(Review.state == "open", Review.due_on < scope.as_of)
    )
    return [
        OverdueReview(key, kpi, kpi_name, due_on, _split(roles))
        for key, kpi, kpi_name, due_on, roles in session.execute(stmt)
    ]


@dataclass(frozen=True, slots=True)
class CellAgreementFacts:
    """A cell the agreement rules report: disputed, proposed past its grace period, or
    agreed longer ago than the re-confirmation period (as of `ReportScope.as_of`)."""

    initiative: str
    initiative_name: str
    component: str
    component_name: str
    capability: str | None
    role: str
    raci: str
    state: str
    by: str | None
    at: datetime | None
    comment: str | None
    letters_set_at: datetime


def _start_of(day: date) -> datetime:
    return datetime.combine(day, time.min, tzinfo=UTC)


def agreement_cutoffs(session: Session, as_of: date) -> tuple[datetime, datetime]:
    """(unagreed_before, stale_before) as of `as_of`, from `/settings`: a cell proposed with
    letters set before the first is past its grace period; an agreement made before the
    second is to re-confirm."""
    settings = current_settings(session)
    # Letters set during day `as_of - grace` have waited `grace` days by `as_of`.
    unagreed_before = _start_of(as_of - timedelta(days=settings.agreement_grace_days - 1))
    # Agreed during day `as_of - reconfirm`: exactly `reconfirm` days ago, not yet older.
    stale_before = _start_of(as_of - timedelta(days=settings.reconfirm_days))
    return unagreed_before, stale_before


def agreement_facts(session: Session, scope: ReportScope) -> list[CellAgreementFacts]:
    """The cells of counted initiatives that DISPUTED_CELL, UNAGREED_CELL or STALE_AGREEMENT
    report, in one query, with the periods of `/settings` measured to `scope.as_of`:

    - proposed cells whose letters were set on or before `as_of - agreement_grace_days`;
    - agreed cells decided before `as_of - reconfirm_days` (more than that many days ago);
    - every disputed cell.

    The cells' current agreements are read (no history): `as_of` moves the day the periods
    are measured to, as it moves the day a KPI's status is computed for."""
    unagreed_before, stale_before = agreement_cutoffs(session, scope.as_of)
    stmt = (
        select(
            Initiative.key,
            Initiative.name,
            Component.key,
            Component.name,
            Component.capability,
            RaciCell.role,
            RaciCell.raci,
            RaciCell.agreement,
            RaciCell.agreement_by,
            RaciCell.agreement_at,
            RaciCell.agreement_comment,
            RaciCell.letters_set_at,
        )
        .join(Component, Component.id == RaciCell.component_id)
        .join(Initiative, Initiative.id == Component.initiative_id)
        .where(
            *scope.initiative_conditions(),
            or_(
                RaciCell.agreement == "disputed",
                (RaciCell.agreement == "proposed") & (RaciCell.letters_set_at < unagreed_before),
                (RaciCell.agreement == "agreed") & (RaciCell.agreement_at < stale_before),
            ),
        )
        .order_by(Initiative.key, Component.key, RaciCell.role)
    )
    rows: list[tuple[Any, ...]] = [tuple(row) for row in session.connection().execute(stmt)]
    return [CellAgreementFacts(*row) for row in rows]


# Issue 20: what makes an initiative need technology, and when it is still early.
TECHNOLOGY_KINDS = ("chatbot", "iot", "analytics", "app", "platform")
TECHNOLOGY_DOMAINS = ("technology", "data")
EARLY_STATUSES = ("proposed", "planned")
INVOLVING_LETTERS = ("R", "A", "C")  # a role informed only, or verifying, is not involved


@dataclass(frozen=True, slots=True)
class EarlyInvolvementFacts:
    """A proposed or planned initiative of the scope, with whether it needs technology and
    whether a `technology` and a `marketing` role hold R, A or C in any of its cells."""

    key: str
    name: str
    portfolio: str | None
    sponsor: str | None
    needs_technology: bool
    technology_involved: bool
    marketing_involved: bool


def _involves(function: str) -> ColumnElement[bool]:
    """Whether a role of `function` holds R, A or C in a cell of the outer initiative."""
    return (
        select(literal(1))
        .select_from(RaciCell)
        .join(Component, Component.id == RaciCell.component_id)
        .join(Role, Role.code == RaciCell.role)
        .where(
            Component.initiative_id == Initiative.id,
            Role.function == function,
            or_(*(RaciCell.raci.like(holds(letter)) for letter in INVOLVING_LETTERS)),
        )
        .exists()
    )


def early_involvement_facts(session: Session, scope: ReportScope) -> list[EarlyInvolvementFacts]:
    """Every proposed or planned initiative of the scope, in one query: its kind or its
    components' capability domains say whether it needs technology, and two correlated
    EXISTS whether a `technology` and a `marketing` role are involved (R, A or C)."""
    technical_component = (
        select(literal(1))
        .select_from(Component)
        .join(Capability, Capability.key == Component.capability)
        .where(
            Component.initiative_id == Initiative.id,
            Capability.domain.in_(TECHNOLOGY_DOMAINS),
        )
        .exists()
    )
    stmt = select(
        Initiative.key,
        Initiative.name,
        Initiative.portfolio,
        Initiative.sponsor,
        or_(Initiative.kind.in_(TECHNOLOGY_KINDS), technical_component),
        _involves("technology"),
        _involves("marketing"),
    ).where(*scope.initiative_conditions(), Initiative.status.in_(EARLY_STATUSES))
    return [
        EarlyInvolvementFacts(key, name, portfolio, sponsor, bool(needs), bool(it), bool(business))
        for key, name, portfolio, sponsor, needs, it, business in session.connection().execute(stmt)
    ]
