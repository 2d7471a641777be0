"""Reading RACI sheets as people keep them (CSV/TSV, xlsx, Markdown), and writing them.

A library of pure functions: no database, no web framework. `parse_file` reads a file into
a ParsedSheet (tasks, role headers, cells with canonical letters) or raises SheetErrors with
every error of the sheet; `parse_letters` is the one place a cell value such as `a/r` becomes
`AR`; `component_keys`, `role_code_from_name` and `match_header` turn what a sheet says into
keys and role codes; the writers write a Matrix back.
"""

from __future__ import annotations

from app.core.letters import LETTER_ORDER, ParsedCell, canonical_letters, parse_letters
from app.sheets.errors import LetterError, SheetError, SheetErrors
from app.sheets.keys import component_keys, match_header, role_code_from_name
from app.sheets.model import (
    Format,
    Matrix,
    MatrixRow,
    ParsedSheet,
    RoleHeader,
    Shape,
    Sheet,
    SheetCell,
    SheetRow,
    SheetTask,
)
from app.sheets.readers import read_sheet
from app.sheets.shapes import parse_sheet
from app.sheets.writers import write_csv, write_markdown, write_tsv, write_xlsx
from app.sheets.xlsx import ZipLimits, check_workbook_zip


def parse_file(
    data: bytes, *, filename: str | None = None, content_type: str | None = None
) -> ParsedSheet:
    """Read and understand a RACI sheet file: `parse_sheet(read_sheet(...))`.

    Raises SheetErrors (every error found, each with line, column, value and msg).
    """
    return parse_sheet(read_sheet(data, filename=filename, content_type=content_type))


__all__ = [
    "LETTER_ORDER",
    "Format",
    "LetterError",
    "Matrix",
    "MatrixRow",
    "ParsedCell",
    "ParsedSheet",
    "RoleHeader",
    "Shape",
    "Sheet",
    "SheetCell",
    "SheetError",
    "SheetErrors",
    "SheetRow",
    "SheetTask",
    "ZipLimits",
    "canonical_letters",
    "check_workbook_zip",
    "component_keys",
    "match_header",
    "parse_file",
    "parse_letters",
    "parse_sheet",
    "read_sheet",
    "role_code_from_name",
    "write_csv",
    "write_markdown",
    "write_tsv",
    "write_xlsx",
]
