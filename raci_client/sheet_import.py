"""`raci import SHEET --initiative KEY`: a RACI sheet (CSV, TSV, Markdown, xlsx) sent as it is
to `POST /initiatives/{key}/raci/import`; the server reads it, so the command line and the
API understand exactly the same sheets."""

import sys
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import quote

from rich.table import Table

from raci_client import render
from raci_client.api import ApiError, RaciClient, problem_lines

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
MEDIA_TYPES = {
    ".csv": "text/csv",
    ".tsv": "text/tab-separated-values",
    ".tab": "text/tab-separated-values",
    ".md": "text/markdown",
    ".markdown": "text/markdown",
    ".xlsx": XLSX,
    ".txt": "text/plain",
}


@dataclass(frozen=True)
class SheetOptions:
    initiative: str
    create: bool = False
    create_roles: bool = False
    roles: Sequence[str] = ()
    replace: bool = False
    dry_run: bool = False
    role_function: str = "other"


def is_sheet(file: Path) -> bool:
    """Whether FILE is a sheet (by its name) rather than a JSON import document."""
    return file.suffix.lower() in MEDIA_TYPES


def post_sheet(client: RaciClient, file: Path, body: bytes, options: SheetOptions) -> Any:
    """POST the sheet; its answer, or an ApiError listing every error of the sheet (line,
    column, value) when the server could not read it (nothing is written then)."""
    params = [
        ("create", str(options.create).lower()),
        ("create_roles", str(options.create_roles).lower()),
        ("role_function", options.role_function),
        ("mode", "replace" if options.replace else "merge"),
        ("dry_run", str(options.dry_run).lower()),
        *(("role", mapping) for mapping in options.roles),
    ]
    media_type = MEDIA_TYPES.get(file.suffix.lower(), "text/csv")
    response = client.request(
        "POST",
        f"/initiatives/{quote(options.initiative, safe='')}/raci/import",
        params=params,
        content=body,
        headers={"Content-Type": media_type},
        allow=(422,),
    )
    if response.status_code == 422:
        headline, lines = problem_lines(response)
        raise ApiError(f"{file}: nothing was imported: {headline}", status=422, lines=lines)
    return response


def report(answer: Mapping[str, Any]) -> None:
    """The changes as a table, then one line of counts and the warnings."""
    out = render.console()
    changes = answer.get("changes", [])
    if changes:
        table = Table(title=f"RACI sheet → {answer['initiative']}", title_justify="left")
        for column in ("component", "role", "before", "after"):
            table.add_column(column)
        for change in changes:
            table.add_row(
                change["component"],
                change["role"],
                change["before"] or "-",
                change["after"] or "-",
            )
        out.print(table)
    summary = answer["summary"]
    verb = "would change" if answer.get("dry_run") else "changed"
    out.print(
        f"{answer['initiative']}: {verb} {summary['created']} created, {summary['updated']} "
        f"updated, {summary['removed']} removed, {summary['unchanged']} unchanged cells"
        + (" (dry run: nothing written)" if answer.get("dry_run") else "")
    )
    for role in answer.get("roles_created", []):
        out.print(f"role created: {role}")
    for warning in answer.get("warnings", []):
        sys.stderr.write(f"warning: {warning}\n")
