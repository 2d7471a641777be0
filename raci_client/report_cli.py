"""`raci report ...`: the findings and workload reports of a running server, as a table for a
person or as the API's own JSON or CSV for a script, with `--fail-on` to gate a pipeline."""

import csv
import io
import json
from collections.abc import Callable, Sequence
from datetime import datetime
from enum import StrEnum
from typing import Annotated, Any
from urllib.parse import quote

import typer

from raci_client import render
from raci_client.api import (
    CSV,
    DEFAULT_URL,
    EXIT_ERROR,
    EXIT_GATE,
    JSON,
    ApiError,
    KeyOption,
    QueryParams,
    RaciClient,
    UrlOption,
    connect,
    fail,
    reflow,
)

report_app = typer.Typer(
    help="Findings and workload reports of a running server: a table, or the API's JSON or CSV.",
    no_args_is_help=True,
)


class OutputFormat(StrEnum):
    table = "table"
    json = "json"
    csv = "csv"


class Severity(StrEnum):
    high = "high"
    medium = "medium"
    low = "low"


SEVERITY_RANK = {"high": 3, "medium": 2, "low": 1}

FormatOption = Annotated[
    OutputFormat,
    typer.Option(
        "--format",
        "-f",
        help="table for a terminal; json and csv are the API's answer byte for byte.",
        case_sensitive=False,
    ),
]
IncludeClosedOption = Annotated[
    bool,
    typer.Option(
        "--include-closed",
        help="Count done and cancelled initiatives too (only live ones by default).",
    ),
]


def _accept(output: OutputFormat) -> str:
    return CSV if output is OutputFormat.csv else JSON


def _repeated(name: str, values: Sequence[str] | None) -> list[tuple[str, str]]:
    return [(name, value) for value in values or []]


def _severities_in(body: bytes, output: OutputFormat) -> list[str]:
    """The severities of the findings in the answer that no waiver accepts (those shown with
    --include-waived carry their waiver, and never fail the gate)."""
    if output is OutputFormat.csv:
        rows = csv.DictReader(io.StringIO(body.decode("utf-8-sig")))
        return [row.get("severity") or "" for row in rows if not row.get("waiver")]
    report = json.loads(body)
    return [
        str(finding.get("severity", ""))
        for finding in report.get("findings") or []
        if not finding.get("waiver")
    ]


def gate(severities: Sequence[str], threshold: Severity) -> None:
    """Exit with EXIT_GATE, saying why on stderr, when a finding is at or above `threshold`."""
    floor = SEVERITY_RANK[threshold.value]
    hits = [s for s in severities if SEVERITY_RANK.get(s, 0) >= floor]
    if not hits:
        return
    by_severity = render.severity_counts([{"severity": s} for s in hits])
    noun = "finding" if len(hits) == 1 else "findings"
    detail = ", ".join(f"{by_severity[s]} {s}" for s in render.SEVERITIES if by_severity.get(s))
    typer.echo(
        f"--fail-on {threshold.value}: {len(hits)} {noun} at or above {threshold.value} ({detail})",
        err=True,
    )
    raise typer.Exit(EXIT_GATE)


def show_findings(
    client: RaciClient,
    path: str,
    params: QueryParams,
    output: OutputFormat,
    fail_on: Severity | None,
) -> None:
    response = client.get(path, params=params, accept=_accept(output))
    if output is OutputFormat.table:
        out = render.console()
        table, line = render.findings_table(response.json(), out.width)
        if table is None:
            out.print("No findings.")
        else:
            out.print(table)
        out.print(line)
    else:
        render.write_bytes(response.content)
    if fail_on is not None:
        try:
            severities = _severities_in(response.content, output)
        except (ValueError, UnicodeDecodeError, AttributeError):
            raise ApiError(f"GET {path}: the answer could not be read to apply --fail-on") from None
        gate(severities, fail_on)


def _findings_command(report: str, narrowed: str) -> Callable[..., None]:
    def command(
        ctx: typer.Context,
        rule: Annotated[
            list[str] | None,
            typer.Option(
                "--rule", help="Only this rule (repeatable: any of them).", show_default=False
            ),
        ] = None,
        severity: Annotated[
            list[Severity] | None,
            typer.Option("--severity", help="Only this severity (repeatable).", show_default=False),
        ] = None,
        initiative: Annotated[
            list[str] | None,
            typer.Option(
                "--initiative", help="Only this initiative key (repeatable).", show_default=False
            ),
        ] = None,
        portfolio: Annotated[
            list[str] | None,
            typer.Option(
                "--portfolio",
                help="Only initiatives of this portfolio (repeatable).",
                show_default=False,
            ),
        ] = None,
        role: Annotated[
            list[str] | None,
            typer.Option(
                "--role", help="Only findings involving this role (repeatable).", show_default=False
            ),
        ] = None,
        kpi: Annotated[
            list[str] | None,
            typer.Option(
                "--kpi", help="Only findings about this KPI key (repeatable).", show_default=False
            ),
        ] = None,
        include_closed: IncludeClosedOption = False,
        include_waived: Annotated[
            bool,
            typer.Option(
                "--include-waived",
                help="Show findings accepted by a waiver too (they never fail --fail-on).",
            ),
        ] = False,
        as_of: Annotated[
            datetime | None,
            typer.Option(
                "--as-of",
                formats=["%Y-%m-%d"],
                metavar="DATE",
                help="KPI status as of this date (YYYY-MM-DD): later measurements are not seen.",
                show_default=False,
            ),
        ] = None,
        output: FormatOption = OutputFormat.table,
        fail_on: Annotated[
            Severity | None,
            typer.Option(
                "--fail-on",
                help=f"Exit {EXIT_GATE} when a finding at or above this severity exists.",
                case_sensitive=False,
                show_default=False,
            ),
        ] = None,
        url: UrlOption = DEFAULT_URL,
        key: KeyOption = None,
    ) -> None:
        params: list[tuple[str, str]] = [
            *_repeated("rule", [r.upper() for r in rule or []]),
            *_repeated("severity", [s.value for s in severity or []]),
            *_repeated("initiative", initiative),
            *_repeated("portfolio", portfolio),
            *_repeated("role", [r.upper() for r in role or []]),
            *_repeated("kpi", kpi),
        ]
        if include_closed:
            params.append(("include_closed", "true"))
        if include_waived:
            params.append(("include_waived", "true"))
        if as_of is not None:
            params.append(("as_of", as_of.date().isoformat()))
        try:
            with connect(ctx, url, key) as client:
                show_findings(client, f"/reports/{report}", params, output, fail_on)
        except ApiError as error:
            raise fail(error) from None

    command.__name__ = report
    command.__doc__ = f"""{narrowed}

    Filters are sent to the API as they are; repeating one means "any of"; one naming an
    initiative, role or KPI that does not exist is an error (exit {EXIT_ERROR}), never "no
    findings". With --fail-on the command exits {EXIT_GATE} (after printing the report) when
    a finding at or above that severity exists and no waiver accepts it, so a pipeline can
    stop on governance gaps."""
    return command


_FINDINGS_REPORTS = {
    "findings": "Every finding: unowned components, overlaps, silos, owner drift, KPIs.",
    "gaps": "Gaps only: unowned components, no one responsible, no sponsor, no joint KPI.",
    "overlaps": "Overlaps only: several accountable, capability overlaps, owner drift.",
}
for _name, _help in _FINDINGS_REPORTS.items():
    _command = _findings_command(_name, _help)
    report_app.command(_name, help=reflow(_command.__doc__))(_command)


def roles(
    ctx: typer.Context,
    portfolio: Annotated[
        list[str] | None,
        typer.Option(
            "--portfolio",
            help="Only initiatives of this portfolio (repeatable).",
            show_default=False,
        ),
    ] = None,
    include_closed: IncludeClosedOption = False,
    output: FormatOption = OutputFormat.table,
    url: UrlOption = DEFAULT_URL,
    key: KeyOption = None,
) -> None:
    """Role workload: how many components each role holds A, R, C or I on, and how many
    initiatives it sponsors."""
    params = _repeated("portfolio", portfolio)
    if include_closed:
        params.append(("include_closed", "true"))
    try:
        with connect(ctx, url, key) as client:
            response = client.get("/reports/roles", params=params, accept=_accept(output))
    except ApiError as error:
        raise fail(error) from None
    if output is OutputFormat.table:
        _print_table(*render.roles_table(response.json()))
    else:
        render.write_bytes(response.content)


def matrix(
    ctx: typer.Context,
    initiative: Annotated[str, typer.Argument(help="The initiative's key.", show_default=False)],
    output: FormatOption = OutputFormat.table,
    url: UrlOption = DEFAULT_URL,
    key: KeyOption = None,
) -> None:
    """One initiative's RACI matrix: a row per component, a column per role."""
    path = f"/initiatives/{quote(initiative, safe='')}/raci"
    try:
        with connect(ctx, url, key) as client:
            response = client.get(path, accept=_accept(output))
    except ApiError as error:
        raise fail(error) from None
    if output is OutputFormat.table:
        _print_table(*render.matrix_table(response.json()))
    else:
        render.write_bytes(response.content)


def _print_table(table: Any, line: str) -> None:
    out = render.console()
    out.print(table)
    out.print(line)


report_app.command("roles", help=reflow(roles.__doc__))(roles)
report_app.command("matrix", help=reflow(matrix.__doc__))(matrix)


def register(app: typer.Typer) -> None:
    """Add `raci report ...` to the command line."""
    app.add_typer(report_app, name="report")
