"""RACI matrices kept in a spreadsheet, in the layout of the matrix CSV export: columns
`initiative` (or one initiative named on the command line), `component`, optional `name`,
then one column per role code."""

import csv
import io
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from app.core.identifiers import KEY_PATTERN, ROLE_CODE_PATTERN, normalize_raci

KEY_COLUMNS = ("initiative", "component", "name")
READ_ONLY = frozenset({"version", "created_at", "updated_at"})
# The CSV export prefixes such cells with a quote so spreadsheets do not run them as formulas.
_FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


class MatrixCsvError(Exception):
    """The CSV cannot be used; `lines` names each problem by its line and column."""

    def __init__(self, message: str, lines: Sequence[str] = ()) -> None:
        super().__init__(message)
        self.message = message
        self.lines = list(lines)


@dataclass
class MatrixRow:
    """One component's cells: `None` for an empty cell, which removes that role's cell."""

    line: int
    initiative: str
    component: str
    name: str | None
    cells: dict[str, str | None] = field(default_factory=dict)


def _unescape(value: str) -> str:
    if len(value) > 1 and value[0] == "'" and value[1] in _FORMULA_STARTS:
        return value[1:]
    return value


def read_matrix_csv(text: str, initiative: str | None = None) -> list[MatrixRow]:
    """The rows of a matrix CSV, every cell value checked and written as the API writes it.

    `initiative` is for a CSV without an `initiative` column, such as one initiative's matrix
    as `GET /initiatives/{key}/raci` exports it."""
    reader = csv.reader(io.StringIO(text))
    header = next(reader, None)
    if header is None:
        raise MatrixCsvError("the file is empty; expected a header row")
    columns = [column.strip() for column in header]
    lowered = [column.lower() for column in columns]
    if "initiative" in lowered and initiative is not None:
        raise MatrixCsvError("the file has an initiative column; leave out --initiative")
    if "initiative" not in lowered and initiative is None:
        raise MatrixCsvError(
            "the header lacks the initiative column; add it, or name the initiative with "
            "--initiative KEY"
        )
    if "component" not in lowered:
        raise MatrixCsvError("the header lacks the component column")
    problems: list[str] = []
    role_columns: dict[int, str] = {}
    for index, column in enumerate(columns):
        if lowered[index] in KEY_COLUMNS:
            continue
        code = column.upper()
        if not re.match(ROLE_CODE_PATTERN, code):
            problems.append(f"line 1, column {index + 1}: '{column}' is not a role code")
        elif code in role_columns.values():
            problems.append(f"line 1: the role {code} has two columns")
        else:
            role_columns[index] = code
    if problems:
        raise MatrixCsvError("the header is not a RACI matrix", problems)

    initiative_at = lowered.index("initiative") if initiative is None else None
    component_at = lowered.index("component")
    name_at = lowered.index("name") if "name" in lowered else None
    rows: list[MatrixRow] = []
    seen: dict[tuple[str, str], int] = {}
    for values in reader:
        line = reader.line_num
        if not any(value.strip() for value in values):
            continue
        values = [_unescape(value.strip()) for value in values]
        values += [""] * (len(columns) - len(values))
        if len(values) > len(columns):
            problems.append(f"line {line}: {len(values)} cells but {len(columns)} columns")
            continue
        initiative_key = values[initiative_at] if initiative_at is not None else str(initiative)
        component = values[component_at]
        for what, key in (("initiative", initiative_key), ("component", component)):
            if not re.match(KEY_PATTERN, key):
                problems.append(f"line {line}, column {what}: '{key}' is not a key")
        first = seen.setdefault((initiative_key, component), line)
        if first != line:
            problems.append(f"line {line}: {initiative_key}/{component} is already on line {first}")
        name = values[name_at] if name_at is not None else ""
        row = MatrixRow(line, initiative_key, component, name or None)
        for index, code in role_columns.items():
            value = values[index]
            try:
                row.cells[code] = normalize_raci(value) if value else None
            except ValueError as exc:
                problems.append(f"line {line}, column {code}: '{value}' {exc}")
        rows.append(row)
    if problems:
        raise MatrixCsvError(
            f"{len(problems)} problem{'s' if len(problems) != 1 else ''} in the matrix", problems
        )
    if not rows:
        raise MatrixCsvError("the matrix has no rows")
    return rows


def _letter(cell: Any) -> Any:
    return cell.get("raci") if isinstance(cell, Mapping) else cell


def merge_into(initiative: Mapping[str, Any], rows: Sequence[MatrixRow]) -> dict[str, Any]:
    """The initiative's nested document (as GET ?expand=components gave it) with the rows' cells
    set: new components are added, a row's empty cells remove those roles' cells, and roles the
    CSV has no column for keep theirs."""
    if "components" not in initiative:
        # Sending the document without its current components would delete them.
        raise MatrixCsvError(
            f"the server did not return the components of '{initiative.get('key')}' "
            "(GET ?expand=components); nothing was sent"
        )
    document = {name: value for name, value in initiative.items() if name not in READ_ONLY}
    components: list[dict[str, Any]] = [
        {name: value for name, value in component.items() if name not in READ_ONLY}
        for component in initiative["components"] or []
    ]
    by_key = {component["key"]: component for component in components}
    for row in rows:
        component = by_key.get(row.component)
        if component is None:
            component = {"key": row.component, "name": row.name or row.component, "raci": {}}
            components.append(component)
            by_key[row.component] = component
        elif row.name:
            component["name"] = row.name
        raci = dict(component.get("raci") or {})
        for code, letter in row.cells.items():
            if letter is None:
                raci.pop(code, None)
            elif _letter(raci.get(code)) != letter:
                # A cell that keeps its letter keeps its rationale too.
                raci[code] = letter
        component["raci"] = raci
    document["components"] = components
    return document
