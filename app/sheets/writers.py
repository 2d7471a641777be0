"""Writing a RACI matrix (tasks down, roles across) as CSV, TSV, Markdown or xlsx.

Columns: `group` (only when some task has a group), `key` (only when some task has a key),
`task`, then one column per role. A cell is its letters as given (any spelling parse_letters
reads; an export gives canonical ones, `AR`), then ` (note)` when it has a note; letters
parse_letters refuses are a ValueError. A task without any letters gets `-` (not involved) under every role, so that it is
not read back as a group row. Text starting with `=`, `+`, `-` or `@` (but a lone `-`) is
written after an apostrophe in CSV and TSV, so spreadsheets do not run it as a formula; the
readers drop that apostrophe again.

xlsx colours (a heat map, by the first letter of the cell in the order A R S C I V; letters
are always written as text too): A red `F4B6B6`, R orange `F9CB9C`, S green `CDE8C4`,
C yellow `FFE9A8`, I grey `E3E3E3`, V blue `C9DAF8`.
"""

from __future__ import annotations

import csv
import io

from app.core.letters import parse_letters
from app.sheets.errors import LetterError
from app.sheets.model import Matrix, MatrixRow

HEAT_MAP = {
    "A": "F4B6B6",
    "R": "F9CB9C",
    "S": "CDE8C4",
    "C": "FFE9A8",
    "I": "E3E3E3",
    "V": "C9DAF8",
}
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def _cell(row: MatrixRow, role: str) -> str:
    letters = row.cells.get(role)
    if not letters:
        return ""
    try:
        parsed = parse_letters(letters)
    except LetterError as error:
        raise ValueError(f"task {row.task!r}, role {role!r}: {error.msg}") from None
    if parsed is None:
        return ""
    note = row.notes.get(role)
    return f"{letters} ({note})" if note else letters


def matrix_rows(matrix: Matrix) -> list[list[str]]:
    """The matrix as rows of text, the header first (the layout every writer uses)."""
    with_group = any(row.group for row in matrix.rows)
    with_key = any(row.key for row in matrix.rows)
    header = ["group"] * with_group + ["key"] * with_key + ["task", *matrix.roles]
    rows = [header]
    for row in matrix.rows:
        cells = [_cell(row, role) for role in matrix.roles]
        if not any(cells):
            cells = ["-"] * len(cells)
        labels = [row.group or ""] * with_group + [row.key or ""] * with_key + [row.task]
        rows.append(labels + cells)
    return rows


def _defused(value: str) -> str:
    risky = value.startswith(FORMULA_STARTS) and value != "-"
    guarded = value.startswith("'") and value[1:2] in FORMULA_STARTS  # keep its apostrophe
    return "'" + value if risky or guarded else value


def write_csv(matrix: Matrix, *, delimiter: str = ",") -> str:
    """The matrix as CSV text (quoted where needed, CRLF line ends as RFC 4180 has them)."""
    out = io.StringIO()
    writer = csv.writer(out, delimiter=delimiter, lineterminator="\r\n")
    for row in matrix_rows(matrix):
        writer.writerow([_defused(value) for value in row])
    return out.getvalue()


def write_tsv(matrix: Matrix) -> str:
    """The matrix as tab-separated text."""
    return write_csv(matrix, delimiter="\t")


def _markdown_text(value: str) -> str:
    value = " ".join(value.split())
    for char in "\\|*_`":
        value = value.replace(char, "\\" + char)
    return value


def write_markdown(matrix: Matrix) -> str:
    """The matrix as a Markdown pipe table (`|`, `*`, `_`, `` ` `` and `\\` escaped; line
    breaks in a value become spaces)."""
    rows = [[_markdown_text(value) for value in row] for row in matrix_rows(matrix)]
    lines = ["| " + " | ".join(row) + " |" for row in rows]
    lines.insert(1, "|" + "|".join(["---"] * len(rows[0])) + "|")
    return "\n".join(lines) + "\n"


def write_xlsx(matrix: Matrix, colours: bool = True) -> bytes:
    """The matrix as an xlsx workbook (one worksheet, `RACI`): a bold header, frozen panes,
    the letters as text in each cell and, with `colours`, the heat-map fill of each cell.
    Values are always text, never formulas; characters XML cannot hold are dropped."""
    from openpyxl import Workbook
    from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE
    from openpyxl.styles import Font, PatternFill
    from openpyxl.utils import get_column_letter

    workbook = Workbook()
    sheet = workbook.active
    assert sheet is not None
    sheet.title = "RACI"
    rows = matrix_rows(matrix)
    first_role = len(rows[0]) - len(matrix.roles) + 1
    fills = {
        letter: PatternFill(fill_type="solid", start_color=colour, end_color=colour)
        for letter, colour in HEAT_MAP.items()
    }
    for number, row in enumerate(rows, start=1):
        for column, value in enumerate(row, start=1):
            cell = sheet.cell(row=number, column=column)
            cell.value = ILLEGAL_CHARACTERS_RE.sub("", value)
            cell.data_type = "s"
            if number == 1:
                cell.font = Font(bold=True)
            elif colours and column >= first_role and (parsed := parse_letters(value)):
                cell.fill = fills[parsed.letters[0]]
    for column in range(1, len(rows[0]) + 1):
        width = max(len(row[column - 1]) for row in rows)
        sheet.column_dimensions[get_column_letter(column)].width = min(max(width + 2, 6), 60)
    sheet.freeze_panes = f"{get_column_letter(first_role)}2"
    out = io.BytesIO()
    workbook.save(out)
    return out.getvalue()
