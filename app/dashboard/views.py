"""What the dashboard shows, assembled from the services and reports the API uses.

Findings come from `findings_report`, the workload from `role_workload`, KPI status from
`list_kpis`, the heat maps from the components with their cells (`load_components`, set-based
for all initiatives at once), and the row marks from the findings themselves, so the page
never disagrees with `/api/v1/reports/findings`. The one query of its own reads the
measurements behind the KPI trend lines, for every KPI shown at once.
"""

from collections import Counter, defaultdict
from collections.abc import Callable, Collection, Iterable
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any, TypeVar, get_args

from sqlalchemy.orm import Session

from app.core.pagination import MAX_LIMIT, PageParams
from app.dashboard.kpi_rows import (
    KpiRow,
    _kpi_row,
    _trends,
)
from app.db.base import utcnow
from app.initiatives.document import load_components
from app.initiatives.models import LIVE_STATUSES, Initiative
from app.initiatives.schemas import InitiativeStatus, Portfolio
from app.initiatives.service import InitiativeFilters, list_initiatives
from app.kpis.service import KpiFilters, KpiView, list_kpis
from app.reports.findings import Finding, FindingsQuery, findings_report
from app.reports.workload import role_workload
from app.rules.catalog import RULE_CODES, RULES_BY_CODE, SEVERITIES

PORTFOLIOS: tuple[str, ...] = get_args(Portfolio.__value__)
STATUSES: tuple[str, ...] = get_args(InitiativeStatus.__value__)
STATUS_LABELS = {
    "proposed": "Proposed",
    "planned": "Planned",
    "active": "Active",
    "on_hold": "On hold",
    "done": "Done",
    "cancelled": "Cancelled",
}
ROW_MARKS = {
    "UNOWNED_COMPONENT": "unowned",
    "MULTIPLE_ACCOUNTABLE": "multiple",
    "NO_RESPONSIBLE": "no-responsible",
    "OWNER_DRIFT": "drift",
}
# Findings about a whole initiative, shown as badges above its heat map.
INITIATIVE_FLAGS = {
    "UNSPONSORED_INITIATIVE": "No sponsor",
    "SILOED_INITIATIVE": "Silo",
    "NO_JOINT_KPI": "No joint KPI",
}
# The most findings listed on the page; the summary counts them all.
MAX_LISTED_FINDINGS = 200
# Heat maps per page (the page links to the next), components drawn per heat map and KPIs
# listed: whatever the portfolio's size, a page stays a few hundred kilobytes at most.
INITIATIVES_PER_PAGE = 10
MAX_HEATMAP_ROWS = 100
MAX_LISTED_KPIS = 100
# The newest measurements drawn in a KPI's trend line.
BAR_WIDTH = 120


@dataclass(frozen=True)
class Filters:
    """The page's query parameters: `portfolio` (repeated: any of) and `include_closed`."""

    portfolios: tuple[str, ...] = ()
    include_closed: bool = False
    page: int = 1

    @property
    def narrowed(self) -> bool:
        return bool(self.portfolios)


@dataclass(frozen=True)
class Count:
    code: str
    label: str
    count: int
    severity: str = ""


@dataclass(frozen=True)
class RowMark:
    mark: str  # unowned, multiple, no-responsible, drift
    label: str
    message: str


def heat_class(letters: str) -> str:
    """`raci-AR` for a cell holding A and R, else `raci-` and its first letter in the order
    A R S C I V; "" for no cell. The letters themselves are always printed too."""
    if not letters:
        return ""
    if "A" in letters and "R" in letters:
        return "raci-AR"
    return f"raci-{letters[0]}"


@dataclass(frozen=True)
class HeatRow:
    key: str
    name: str
    cells: list[str]  # one per role column: "" or the cell's letters ("AR", "CI", ...)
    marks: list[RowMark]

    @property
    def heat(self) -> list[str]:
        """Each cell's heat-map colour class, by its strongest letter (AR apart)."""
        return [heat_class(letters) for letters in self.cells]

    @property
    def css(self) -> str:
        return " ".join(f"row-{mark.mark}" for mark in self.marks)


@dataclass(frozen=True)
class HeatMap:
    key: str
    name: str
    status: str
    portfolio: str | None
    sponsor: str | None
    flags: list[RowMark]
    rows: list[HeatRow]
    rows_left_out: int = 0


@dataclass(frozen=True)
class Bar:
    label: str
    count: int
    width: int  # in pixels, out of BAR_WIDTH


@dataclass(frozen=True)
class RoleBars:
    role: str
    bars: list[Bar]


@dataclass(frozen=True)
class FindingRow:
    rule: str
    rule_title: str
    severity: str
    initiative: str | None
    component: str | None
    subject: str
    message: str
    waiver: str | None = None
    waiver_rationale: str | None = None
    waiver_by: str | None = None
    waiver_expires_on: date | None = None


@dataclass
class Dashboard:
    filters: Filters
    as_of: date
    generated_at: datetime
    total_findings: int
    by_severity: list[Count]
    by_rule: list[Count]
    by_status: list[Count]
    initiative_count: int
    findings: list[FindingRow]
    findings_left_out: int
    roles: list[str]
    heatmaps: list[HeatMap]
    workload: list[RoleBars]
    kpis: list[KpiRow]
    waived: list[FindingRow] = field(default_factory=list)
    kpis_left_out: int = 0
    page: int = 1
    pages: int = 1
    shown_count: int = 0
    portfolios: tuple[str, ...] = PORTFOLIOS
    legend: dict[str, str] = field(default_factory=dict)


T = TypeVar("T")


def _all_pages(fetch: Callable[[PageParams], tuple[list[T], str | None]], key_of: Any) -> list[T]:
    """Every item of a keyset-paged service list, MAX_LIMIT at a time."""
    items: list[T] = []
    after: str | None = None
    while True:
        page, next_cursor = fetch(PageParams(limit=MAX_LIMIT, after=after, filters_fingerprint=""))
        items += page
        if next_cursor is None or not page:
            return items
        after = key_of(page[-1])


def build_dashboard(session: Session, filters: Filters, as_of: date | None = None) -> Dashboard:
    """Everything the page shows, as of `as_of` (default today, UTC)."""
    as_of = as_of or utcnow().date()
    portfolios = frozenset(filters.portfolios) if filters.narrowed else None

    report = findings_report(
        session,
        FindingsQuery(portfolios=portfolios, include_closed=filters.include_closed, as_of=as_of),
    )
    initiatives = _all_pages(
        lambda page: list_initiatives(
            session, page, InitiativeFilters(portfolios=filters.portfolios)
        ),
        lambda initiative: initiative.key,
    )
    shown = [i for i in initiatives if filters.include_closed or i.status in LIVE_STATUSES]
    pages = max(1, -(-len(shown) // INITIATIVES_PER_PAGE))
    page = min(filters.page, pages)
    on_page = shown[(page - 1) * INITIATIVES_PER_PAGE : page * INITIATIVES_PER_PAGE]
    workload = role_workload(session, include_closed=filters.include_closed, portfolios=portfolios)
    roles = [w.role for w in workload]
    kpi_views = _kpis_shown(session, as_of, filters, {i.key for i in shown})
    listed_kpis = kpi_views[:MAX_LISTED_KPIS]
    trends = _trends(session, listed_kpis, as_of)

    status_counts = Counter(i.status for i in initiatives)
    severity_of_rule = {f.rule: f.severity for f in report.findings}
    return Dashboard(
        filters=filters,
        as_of=as_of,
        generated_at=report.generated_at,
        total_findings=report.total,
        by_severity=[Count(s, s.capitalize(), report.by_severity[s], s) for s in SEVERITIES],
        by_rule=[
            Count(code, RULES_BY_CODE[code].title, count, severity_of_rule.get(code, ""))
            for code, count in report.by_rule.items()
        ],
        by_status=[Count(s, STATUS_LABELS[s], status_counts[s]) for s in STATUSES],
        initiative_count=len(initiatives),
        findings=[_finding_row(f) for f in report.findings[:MAX_LISTED_FINDINGS]],
        findings_left_out=max(0, report.total - MAX_LISTED_FINDINGS),
        roles=roles,
        heatmaps=_heatmaps(session, on_page, roles, report.findings),
        workload=_workload_bars(workload),
        kpis=[_kpi_row(view, trends.get(view.kpi.id, [])) for view in listed_kpis],
        kpis_left_out=len(kpi_views) - len(listed_kpis),
        page=page,
        pages=pages,
        shown_count=len(shown),
        waived=[_finding_row(f) for f in report.waived],
        legend={code: RULES_BY_CODE[code].description for code in RULE_CODES},
    )


def _finding_row(finding: Finding) -> FindingRow:
    subject = finding.initiative or finding.capability or finding.kpi or ""
    if finding.initiative and finding.component:
        subject = f"{finding.initiative} / {finding.component}"
    return FindingRow(
        rule=finding.rule,
        rule_title=RULES_BY_CODE[finding.rule].title,
        severity=finding.severity,
        initiative=finding.initiative,
        component=finding.component,
        subject=subject,
        message=finding.message,
        waiver=finding.waiver.key if finding.waiver else None,
        waiver_rationale=finding.waiver.rationale if finding.waiver else None,
        waiver_by=finding.waiver.created_by if finding.waiver else None,
        waiver_expires_on=finding.waiver.expires_on if finding.waiver else None,
    )


# --- heat maps -------------------------------------------------------------------------


def _mark_label(finding: Finding) -> str:
    if finding.rule == "MULTIPLE_ACCOUNTABLE":
        return f"{len(finding.roles)} accountable: {', '.join(finding.roles)}"
    if finding.rule == "UNOWNED_COMPONENT":
        return "Unowned"
    if finding.rule == "NO_RESPONSIBLE":
        return "Nobody responsible"
    return "Owner drift"


def _heatmaps(
    session: Session, initiatives: list[Initiative], roles: list[str], findings: list[Finding]
) -> list[HeatMap]:
    """A components-by-roles grid per initiative; rows and cards marked by their findings."""
    row_marks: dict[tuple[str, str], list[RowMark]] = defaultdict(list)
    flags: dict[str, list[RowMark]] = defaultdict(list)
    for f in findings:
        if f.initiative is None:
            continue
        if f.component is not None and f.rule in ROW_MARKS:
            row_marks[(f.initiative, f.component)].append(
                RowMark(ROW_MARKS[f.rule], _mark_label(f), f.message)
            )
        elif f.component is None and f.rule in INITIATIVE_FLAGS:
            label = INITIATIVE_FLAGS[f.rule]
            if f.rule == "SILOED_INITIATIVE":
                label = f"{label}: only {', '.join(f.roles)}"
            flags[f.initiative].append(RowMark(f.rule.lower(), label, f.message))
    components = load_components(session, [i.id for i in initiatives])
    maps = []
    for initiative in initiatives:
        states = components.get(initiative.id, [])
        rows = [
            HeatRow(
                key=state.component.key,
                name=state.component.name,
                cells=[state.cells[r].raci if r in state.cells else "" for r in roles],
                marks=row_marks.get((initiative.key, state.component.key), []),
            )
            for state in states[:MAX_HEATMAP_ROWS]
        ]
        maps.append(
            HeatMap(
                key=initiative.key,
                name=initiative.name,
                status=initiative.status,
                portfolio=initiative.portfolio,
                sponsor=initiative.sponsor,
                flags=flags.get(initiative.key, []),
                rows=rows,
                rows_left_out=len(states) - len(rows),
            )
        )
    return maps


# --- workload --------------------------------------------------------------------------


def _workload_bars(workload: Iterable[Any]) -> list[RoleBars]:
    entries = [
        (
            w.role,
            [
                ("A", w.accountable),
                ("R", w.responsible),
                ("C", w.consulted),
                ("I", w.informed),
                ("Sponsored", w.sponsored),
            ],
        )
        for w in workload
    ]
    most = max((n for _, counts in entries for _, n in counts), default=0) or 1
    return [
        RoleBars(role, [Bar(label, n, round(BAR_WIDTH * n / most)) for label, n in counts])
        for role, counts in entries
    ]


# --- KPIs ------------------------------------------------------------------------------


def _kpis_shown(
    session: Session, as_of: date, filters: Filters, initiative_keys: Collection[str]
) -> list[KpiView]:
    """KPIs serving an initiative shown; with no portfolio filter, KPIs serving none too."""
    views = _all_pages(
        lambda page: list_kpis(session, page, as_of, KpiFilters()),
        lambda view: view.kpi.key,
    )
    keys = set(initiative_keys)
    return [
        view
        for view in views
        if (not view.initiatives and not filters.narrowed) or keys.intersection(view.initiatives)
    ]
