"""HTTP routes for reports: findings (and their gaps and overlaps views), role workload and
the RACI matrix of an initiative. Each answers JSON, or CSV when asked."""

import json
from collections.abc import Collection, Iterator
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query, Response
from pydantic import BeforeValidator

from app.core.csv_answers import (
    CSV_MEDIA_TYPE,
    XLSX_MEDIA_TYPE,
    FormatDep,
    SheetFormatDep,
    csv_documented,
    csv_response,
)
from app.core.http import ONE_PROBLEMS, READ_PROBLEMS, KeyPath, problems
from app.core.identifiers import IsoDate, Key, RoleCode, Timestamp, upper_if_str
from app.core.jsonable import jsonable
from app.db.base import utcnow
from app.deps import ExpensiveReport, ReadKey, SessionDep
from app.initiatives.schemas import Portfolio
from app.reports.agreements import agreements_report
from app.reports.findings import FindingsQuery, FindingsReport, findings_report
from app.reports.matrix import as_sheet, raci_matrix, raci_matrix_at
from app.reports.schemas import (
    AgreementsReportRead,
    FindingsReportRead,
    MatrixRoles,
    MatrixRowRead,
    RaciMatrixRead,
    RoleAgreementsRead,
    RoleWorkloadRead,
    WorkloadRead,
)
from app.reports.workload import role_workload
from app.rules.catalog import GAP_RULES, OVERLAP_RULES, RULE_CODES, RuleCode, Severity
from app.sheets import write_xlsx

router = APIRouter()

RuleCodeParam = Annotated[RuleCode, BeforeValidator(upper_if_str)]

IncludeClosedQuery = Annotated[
    bool,
    Query(
        description="Count closed (`done`, `cancelled`) initiatives too; by default only live ones."
    ),
]
PortfolioQuery = Annotated[
    list[Portfolio] | None,
    Query(description="Only initiatives of these portfolios (repeat for any of)."),
]


async def _findings_query(
    rule: Annotated[
        list[RuleCodeParam] | None, Query(description="Only these rules (repeat for any of).")
    ] = None,
    severity: Annotated[
        list[Severity] | None, Query(description="Only these severities (repeat for any of).")
    ] = None,
    initiative: Annotated[
        list[Key] | None,
        Query(
            description="Only findings about these initiatives (repeat for any of). "
            "Portfolio-wide findings (capability overlaps, KPIs) name no initiative and are "
            "left out."
        ),
    ] = None,
    portfolio: Annotated[
        list[Portfolio] | None,
        Query(
            description="Only findings about initiatives of these portfolios (repeat for any "
            "of); portfolio-wide findings are left out."
        ),
    ] = None,
    role: Annotated[
        list[RoleCode] | None,
        Query(description="Only findings involving these roles (repeat for any of)."),
    ] = None,
    kpi: Annotated[
        list[Key] | None,
        Query(description="Only findings about these KPIs (repeat for any of)."),
    ] = None,
    include_closed: IncludeClosedQuery = False,
    include_waived: Annotated[
        bool,
        Query(
            description="Show the findings an active waiver accepts too, each with "
            '`"waiver": key` (by default they are left out and only counted in '
            "`summary.waived`)."
        ),
    ] = False,
    as_of: Annotated[
        IsoDate | None,
        Query(
            description="Compute KPI status as of this date (default today); later "
            "measurements are not seen."
        ),
    ] = None,
) -> FindingsQuery:
    def optional(values: list[Any] | None) -> frozenset[str] | None:
        return frozenset(values) if values is not None else None

    return FindingsQuery(
        rules=optional(rule),
        severities=optional(severity),
        initiatives=optional(initiative),
        portfolios=optional(portfolio),
        roles=optional(role),
        kpis=optional(kpi),
        include_closed=include_closed,
        include_waived=include_waived,
        as_of=as_of,
    )


FindingsQueryDep = Annotated[FindingsQuery, Depends(_findings_query)]

FINDINGS_CSV_HEADER = (
    "rule",
    "severity",
    "initiative",
    "component",
    "capability",
    "kpi",
    "roles",
    "message",
    "waiver",
)
FINDINGS_CSV_EXAMPLE = (
    "rule,severity,initiative,component,capability,kpi,roles,message,waiver\r\n"
    "MULTIPLE_ACCOUNTABLE,high,support-chatbot,crm-feed,customer-data-platform,,CDO;CIO,"
    "Both CDO and CIO are accountable for 'CRM data feed' in 'Customer support chatbot'; "
    "agree on one.,\r\n"
)
FINDINGS_RESPONSES = {
    **csv_documented("The findings, as JSON or CSV (one row per finding).", FINDINGS_CSV_EXAMPLE),
    **problems(*READ_PROBLEMS, 404, report=True),
}


def _findings_answer(report: FindingsReport, output_format: str, filename: str) -> Response:
    if output_format == "csv":
        rows = (
            (
                f.rule,
                f.severity,
                f.initiative,
                f.component,
                f.capability,
                f.kpi,
                ";".join(f.roles),
                f.message,
                f.waiver.key if f.waiver is not None else None,
            )
            for f in report.findings
        )
        return csv_response(FINDINGS_CSV_HEADER, rows, filename)
    # Serialised once, straight from the findings: validating tens of thousands of findings
    # into models (and FastAPI validating them again against `response_model`) cost more
    # than computing them. The shape is FindingsReportRead's, which documents it.
    body = {
        "generated_at": jsonable(report.generated_at),
        "as_of": jsonable(report.as_of),
        "summary": {
            "total": report.total,
            "by_rule": report.by_rule,
            "by_severity": report.by_severity,
            "waived": len(report.waived),
        },
        "findings": [
            {
                "rule": f.rule,
                "severity": f.severity,
                "initiative": f.initiative,
                "component": f.component,
                "capability": f.capability,
                "kpi": f.kpi,
                "roles": list(f.roles),
                "message": f.message,
                "waiver": f.waiver.key if f.waiver is not None else None,
            }
            for f in report.findings
        ],
    }
    return Response(json.dumps(body, ensure_ascii=False), media_type="application/json")


def _report(
    session: SessionDep,
    query: FindingsQuery,
    output_format: str,
    within: Collection[str],
    name: str,
) -> Response:
    report = findings_report(session, query, within=within)
    return _findings_answer(report, output_format, f"{name}.csv")


@router.get(
    "/reports/findings",
    tags=["reports"],
    summary="Governance findings",
    response_model=FindingsReportRead,
    responses=FINDINGS_RESPONSES,
)
def get_findings(
    session: SessionDep,
    _: ReadKey,
    __: ExpensiveReport,
    query: FindingsQueryDep,
    output_format: FormatDep,
) -> Any:
    """What needs a leader's attention across the portfolio: unowned components, more than
    one accountable, nobody responsible, initiatives without sponsor or joint KPI, silos,
    capability overlaps, owner drift and KPIs off track.

    Only live initiatives count unless `include_closed=true`. Rules switched off with
    `PATCH /rules/{code}` produce nothing; each finding carries its rule's severity.
    Findings are sorted by severity (high first), rule, initiative, component, capability
    and KPI. `summary` counts the findings returned. CSV with `Accept: text/csv` or
    `?format=csv`.

    A finding accepted by an active waiver (`/waivers`) is left out and counted in
    `summary.waived`; `include_waived=true` shows it with `"waiver": key`. A filter naming
    an initiative, role or KPI that does not exist is a 404, never an empty report.
    """
    return _report(session, query, output_format, RULE_CODES, "findings")


@router.get(
    "/reports/gaps",
    tags=["reports"],
    summary="Gaps: what nobody owns",
    response_model=FindingsReportRead,
    responses=FINDINGS_RESPONSES,
)
def get_gaps(
    session: SessionDep,
    _: ReadKey,
    __: ExpensiveReport,
    query: FindingsQueryDep,
    output_format: FormatDep,
) -> Any:
    """The findings report narrowed to gaps: `UNOWNED_COMPONENT`, `NO_RESPONSIBLE`,
    `UNSPONSORED_INITIATIVE` and `NO_JOINT_KPI`. Same filters and formats as
    `/reports/findings`."""
    return _report(session, query, output_format, GAP_RULES, "gaps")


@router.get(
    "/reports/overlaps",
    tags=["reports"],
    summary="Overlaps: what more than one side claims",
    response_model=FindingsReportRead,
    responses=FINDINGS_RESPONSES,
)
def get_overlaps(
    session: SessionDep,
    _: ReadKey,
    __: ExpensiveReport,
    query: FindingsQueryDep,
    output_format: FormatDep,
) -> Any:
    """The findings report narrowed to overlaps: `MULTIPLE_ACCOUNTABLE`,
    `CAPABILITY_OVERLAP` and `OWNER_DRIFT`. Same filters and formats as
    `/reports/findings`."""
    return _report(session, query, output_format, OVERLAP_RULES, "overlaps")


WORKLOAD_CSV_HEADER = ("role", "A", "R", "C", "I", "sponsored", "S", "V")


@router.get(
    "/reports/roles",
    tags=["reports"],
    summary="Role workload",
    response_model=WorkloadRead,
    responses={
        **csv_documented(
            "One entry per role, as JSON or CSV.",
            "role,A,R,C,I,sponsored,S,V\r\nCIO,3,4,0,0,1,0,0\r\n",
        ),
        **problems(*READ_PROBLEMS),
    },
)
def get_role_workload(
    session: SessionDep,
    _: ReadKey,
    output_format: FormatDep,
    include_closed: IncludeClosedQuery = False,
    portfolio: PortfolioQuery = None,
) -> Any:
    """For every role (those with nothing too), the number of components of live
    initiatives where its cell holds each letter: accountable (`A`), responsible (`R`),
    consulted (`C`), informed (`I`), supports (`S`) and verifies (`V`); a cell counts for
    every letter it holds (`AR` as both A and R). And the number of live initiatives it
    sponsors. `include_closed=true` counts closed initiatives too."""
    workload = role_workload(
        session,
        include_closed=include_closed,
        portfolios=frozenset(portfolio) if portfolio is not None else None,
    )
    if output_format == "csv":
        rows = (
            (
                w.role,
                w.accountable,
                w.responsible,
                w.consulted,
                w.informed,
                w.sponsored,
                w.supports,
                w.verifies,
            )
            for w in workload
        )
        return csv_response(WORKLOAD_CSV_HEADER, rows, "roles.csv")
    return WorkloadRead(
        roles=[
            RoleWorkloadRead(
                role=w.role,
                A=w.accountable,
                R=w.responsible,
                C=w.consulted,
                I=w.informed,
                sponsored=w.sponsored,
                S=w.supports,
                V=w.verifies,
            )
            for w in workload
        ]
    )


AGREEMENTS_CSV_HEADER = (
    "initiative",
    "role",
    "agreed",
    "proposed",
    "disputed",
    "stale",
    "overdue",
)


@router.get(
    "/reports/agreements",
    tags=["reports"],
    summary="Agreements per initiative and role",
    response_model=AgreementsReportRead,
    responses={
        **csv_documented(
            "One row per initiative and role, as JSON or CSV.",
            "initiative,role,agreed,proposed,disputed,stale,overdue\r\n"
            "support-chatbot,CIO,1,1,0,0,1\r\n",
        ),
        **problems(*READ_PROBLEMS, 404),
    },
)
def get_agreements_report(
    session: SessionDep,
    _: ReadKey,
    output_format: FormatDep,
    initiative: Annotated[
        list[Key] | None, Query(description="Only these initiatives (repeat for any of).")
    ] = None,
    role: Annotated[
        list[RoleCode] | None, Query(description="Only these roles (repeat for any of).")
    ] = None,
    include_closed: IncludeClosedQuery = False,
    as_of: Annotated[
        IsoDate | None,
        Query(description="Measure `stale` and `overdue` to this date (default today)."),
    ] = None,
) -> Any:
    """Who agreed to what (API.md "Explicit agreement"): for each initiative and each role
    holding cells in it, the number of cells `agreed`, `proposed` and `disputed`, and of
    those, `stale` (agreed more than `reconfirm_days` ago: STALE_AGREEMENT) and `overdue`
    (proposed for `agreement_grace_days` or more: UNAGREED_CELL), with the days of
    `/settings`. Live initiatives unless `include_closed=true`. 404 names an `initiative` or
    `role` filter that does not exist."""
    day = as_of or utcnow().date()
    rows = agreements_report(
        session,
        as_of=day,
        initiatives=initiative,
        roles=role,
        include_closed=include_closed,
    )
    if output_format == "csv":
        return csv_response(
            AGREEMENTS_CSV_HEADER,
            (
                (r.initiative, r.role, r.agreed, r.proposed, r.disputed, r.stale, r.overdue)
                for r in rows
            ),
            "agreements.csv",
        )
    return AgreementsReportRead(
        as_of=day,
        rows=[
            RoleAgreementsRead(
                initiative=r.initiative,
                role=r.role,
                agreed=r.agreed,
                proposed=r.proposed,
                disputed=r.disputed,
                stale=r.stale,
                overdue=r.overdue,
            )
            for r in rows
        ],
    )


@router.get(
    "/initiatives/{key}/raci",
    tags=["raci"],
    summary="RACI matrix of an initiative",
    response_model=RaciMatrixRead,
    responses={
        200: {
            "description": "The matrix, as JSON, CSV or an xlsx workbook (a row per component, "
            "a column per role).",
            "content": {
                CSV_MEDIA_TYPE: {
                    "schema": {"type": "string"},
                    "example": "initiative,component,name,CIO,CMO,agreement\r\n"
                    "support-chatbot,nlu,NLU engine,AR,C,proposed: CMO\r\n",
                },
                XLSX_MEDIA_TYPE: {"schema": {"type": "string", "format": "binary"}},
            },
        },
        **problems(*ONE_PROBLEMS),
    },
)
def get_raci_matrix(
    key: KeyPath,
    session: SessionDep,
    _: ReadKey,
    output_format: SheetFormatDep,
    at: Annotated[
        Timestamp | None,
        Query(
            description="Answer the matrix as it stood at this moment (RFC 3339 with a zone), "
            "rebuilt from the audit trail: who was accountable for the NLU in March?",
            examples=["2026-03-31T00:00:00Z"],
        ),
    ] = None,
    roles: Annotated[
        MatrixRoles,
        Query(
            description="`initiative` (default): a column per role holding a cell here; "
            "`all`: a column per role of the portfolio, so a role left out shows as a gap."
        ),
    ] = "initiative",
) -> Any:
    """Who holds which RACI letters for each component of the initiative: a row per
    component (by key) and a column per role (by code). 404 for an unknown initiative.

    The CSV has the columns `initiative`, `component`, `name`, `group` (when a component has
    one), one per role, cells as letter sets (`AR`, `CI`), and last `agreement`: `agreed`
    when every cell of the row is, else the undecided roles by state (`disputed: CMO;
    proposed: CDO, CIO`); a sheet import ignores that column. `format=xlsx` gives the same
    as a workbook with the heat-map colours. Both import back unchanged with
    `POST /initiatives/{key}/raci/import`."""
    all_roles = roles == "all"
    matrix = (
        raci_matrix(session, key, all_roles=all_roles)
        if at is None
        else raci_matrix_at(session, key, at, all_roles=all_roles)
    )
    grouped = any(row.group for row in matrix.rows)
    if output_format == "xlsx":
        return Response(
            write_xlsx(as_sheet(matrix)),
            media_type=XLSX_MEDIA_TYPE,
            headers={"Content-Disposition": f'attachment; filename="{key}-raci.xlsx"'},
        )
    if output_format == "csv":
        header = (
            "initiative",
            "component",
            "name",
            *(["group"] if grouped else []),
            *matrix.roles,
            "agreement",
        )

        def rows() -> Iterator[list[object]]:
            for row in matrix.rows:
                cells = (row.cells.get(role) for role in matrix.roles)
                group = [row.group] if grouped else []
                summary = row.agreement_summary()
                yield [matrix.initiative, row.component, row.name, *group, *cells, summary]

        return csv_response(header, rows(), f"{key}-raci.csv")
    return RaciMatrixRead(
        initiative=matrix.initiative,
        roles=matrix.roles,
        rows=[
            MatrixRowRead(
                component=r.component,
                name=r.name,
                group=r.group,
                cells=r.cells,
                agreements=r.agreements,
            )
            for r in matrix.rows
        ],
    )
