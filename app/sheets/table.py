"""Finding the table in the rows of a sheet: its header, its body, what to skip around it.

Skipped: title rows above the header, blank rows, legend lines (`R = Responsible, A = ...`),
empty trailing columns and cells. A row with more cells than the header (beyond trailing
empty ones), or, in CSV and Markdown, fewer, is an error naming its line.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

from app.sheets.errors import SheetError
from app.sheets.model import Sheet, SheetRow
from app.sheets.text import clean_label

_LEGEND_START = re.compile(r"^\s*(legend|key)\s*[:\-\u2013\u2014]", re.IGNORECASE)
_LEGEND_ENTRY = re.compile(
    r"(?<![^\W\d_])[ARSCIV]\s*(=|:|-|\u2013|\u2014)\s*"
    r"(responsible|accountable|approver|consulted|informed|supports?|supporting|verif)",
    re.IGNORECASE,
)


@dataclass(frozen=True)
class Table:
    """A sheet's table: the header's texts (cleaned; trailing empty ones dropped) and line,
    the body rows (values stripped, each exactly as wide as the header), and `start`, the
    0-based index of its first column (a worksheet's table may start in column B)."""

    header: tuple[str, ...]
    header_line: int
    rows: tuple[SheetRow, ...]
    start: int = 0


def is_legend(values: Sequence[str]) -> bool:
    """A legend line: `Legend: ...`, `Key - ...`, or one explaining letters (`R = Responsible`)."""
    text = " ".join(value for value in values if value.strip())
    return bool(_LEGEND_START.match(text) or _LEGEND_ENTRY.search(text))


def find_header(rows: Sequence[SheetRow]) -> int | None:
    """The index in `rows` of the header: the first row with two or more non-empty values that
    is not a legend line nor a `Label:, value` metadata line. None when there is none."""
    for index, row in enumerate(rows):
        filled = [value.strip() for value in row.values if value.strip()]
        if len(filled) < 2 or is_legend(filled):
            continue
        if len(filled) == 2 and filled[0].endswith(":"):
            continue
        return index
    return None


def find_table(sheet: Sheet) -> tuple[Table | None, list[SheetError]]:
    """The table of a sheet and the errors of its rows' widths (all of them, in line order).

    The table is None (with an error) when no row can be a header.
    """
    rows = sheet.rows
    start = find_header(rows)
    if start is None:
        first = rows[0].line if rows else None
        msg = "no table: no row has a header of two or more columns"
        return None, [SheetError(first, None, None, msg)]
    header_row = rows[start]
    header = [clean_label(value) for value in header_row.values]
    while header and not header[-1]:
        header.pop()
    width = len(header)
    errors: list[SheetError] = []
    body: list[SheetRow] = []
    for row in rows[start + 1 :]:
        values = [value.strip() for value in row.values]
        filled = [index for index, value in enumerate(values) if value]
        if not filled or is_legend(values):
            continue
        if filled[-1] >= width:
            extra = next(index for index in filled if index >= width)
            msg = (
                f"the row has {filled[-1] + 1} cells but the header (line {header_row.line}) "
                f"has {width}: a value beyond the last column"
            )
            errors.append(SheetError(row.line, extra + 1, values[extra], msg))
            continue
        if sheet.exact_widths and len(values) < width and filled != [0]:
            msg = (
                f"the row has {len(values)} cells but the header (line {header_row.line}) "
                f"has {width}: a cell is missing"
            )
            errors.append(SheetError(row.line, len(values) + 1, None, msg))
            continue
        values = values[:width] + [""] * (width - len(values))
        body.append(SheetRow(row.line, tuple(values)))
    start = next((c for c in range(width) if header[c] or any(row.values[c] for row in body)), 0)
    return Table(tuple(header), header_row.line, tuple(body), start), errors
