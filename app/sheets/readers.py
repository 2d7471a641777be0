"""Reading a file into rows of text: CSV/TSV, Markdown pipe tables, and (via xlsx.py) xlsx."""

from __future__ import annotations

import csv
import io
import re
from collections import Counter
from pathlib import PurePath

from app.sheets.decode import decode_text
from app.sheets.detect import has_letters, holds_raci_table
from app.sheets.errors import SheetErrors
from app.sheets.model import Sheet, SheetRow
from app.sheets.text import strip_markdown
from app.sheets.xlsx import OLE_HEADER, ZIP_HEADERS, read_xlsx

XLSX_TYPES = frozenset(
    {
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        "application/vnd.ms-excel.sheet.macroenabled.12",
        "application/vnd.ms-excel",
    }
)
_ALIGNMENT_ROW = re.compile(r"^\s*\|?\s*:?-+:?\s*(\|\s*:?-+:?\s*)*\|?\s*$")
_UNESCAPED_PIPE = re.compile(r"(?<!\\)\|")
_VALUE_SHOWN = 80
_FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def read_sheet(
    data: bytes, *, filename: str | None = None, content_type: str | None = None
) -> Sheet:
    """Read a RACI sheet file into rows of text, finding its format.

    The format comes from the content (a zip is xlsx, an OLE compound file an encrypted or
    legacy workbook), then the content type and file name (`.xlsx`, `.md`, `.tsv`...), then the
    text (a Markdown alignment row `|---|:--:|` makes it Markdown, else CSV with `,`, `;` or tab
    sniffed). Raises SheetErrors: undecodable text, a broken CSV quote (line, column, value),
    a file that claims to be xlsx but is not, an encrypted workbook, a zip bomb, a zip without
    a worksheet.
    """
    mime = (content_type or "").split(";")[0].strip().lower()
    suffix = PurePath(filename).suffix.lower() if filename else ""
    wants_xlsx = mime in XLSX_TYPES or suffix in {".xlsx", ".xlsm", ".xls"}
    if data.startswith(ZIP_HEADERS) or data.startswith(OLE_HEADER) or wants_xlsx:
        return read_xlsx(data, holds_table=holds_raci_table)
    decoded = decode_text(data)
    warnings = (
        ("the file is not UTF-8: it was read as Windows-1252",)
        if decoded.encoding == "cp1252"
        else ()
    )
    text = decoded.text
    is_markdown = mime in {"text/markdown", "text/x-markdown"} or suffix in {".md", ".markdown"}
    if is_markdown or (
        not mime.endswith(("csv", "tab-separated-values")) and _has_pipe_table(text)
    ):
        return read_markdown(text, warnings=warnings)
    tab = mime == "text/tab-separated-values" or suffix in {".tsv", ".tab"}
    return read_delimited(text, delimiter="\t" if tab else sniff_delimiter(text), warnings=warnings)


def sniff_delimiter(text: str) -> str:
    """`,`, `;` or tab: the one that gives most rows the same number (> 1) of fields.

    Title and legend lines do not sway it: only the most common width counts. A tie goes to
    `,`, then tab, then `;`; a file of one column is read with `,`.
    """
    sample = "\n".join(text.splitlines()[:200])
    best, best_score = ",", 0
    for delimiter in (",", "\t", ";"):
        widths = Counter(
            len(row)
            for row in csv.reader(io.StringIO(sample), delimiter=delimiter)
            if any(value.strip() for value in row)
        )
        score = max((count for width, count in widths.items() if width > 1), default=0)
        if score > best_score:
            best, best_score = delimiter, score
    return best


def read_delimited(text: str, *, delimiter: str, warnings: tuple[str, ...] = ()) -> Sheet:
    """Read CSV (or TSV with `delimiter="\\t"`) with the csv module in strict mode.

    Each row is numbered with the physical line it starts on. A broken quote raises
    SheetErrors with the line and field where it is and the field as written.
    """
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter, strict=True)
    rows: list[SheetRow] = []
    consumed = 0
    try:
        for values in reader:
            rows.append(SheetRow(consumed + 1, tuple(map(_undefused, values))))
            consumed = reader.line_num
    except csv.Error as error:
        raise _csv_error(text, consumed + 1, delimiter, str(error)) from None
    return Sheet("tsv" if delimiter == "\t" else "csv", tuple(rows), warnings=warnings)


def _undefused(value: str) -> str:
    """`'=x` -> `=x`: the apostrophe put before text a spreadsheet would run as a formula."""
    return value[1:] if value.startswith("'") and value[1:2] in _FORMULA_STARTS else value


def _csv_error(text: str, line: int, delimiter: str, reason: str) -> SheetErrors:
    """Where in the record starting on `line` the quotes go wrong."""
    lines = io.StringIO(text, newline="").readlines()
    record = "".join(lines[line - 1 :])
    column, position, current = 1, 0, line
    while position < len(record):
        if record[position] == '"':
            start_line, end = current, position + 1
            while end < len(record):
                char = record[end]
                if char == '"' and record[end + 1 : end + 2] == '"':
                    end += 2
                    continue
                if char == '"':
                    break
                current += char == "\n"
                end += 1
            if end >= len(record):
                value = _field_text(record, position, delimiter, one_line=True)
                msg = 'a quoted field is never closed: its opening " has no closing "'
                return SheetErrors.one(msg, line=start_line, column=column, value=value)
            after = record[end + 1 : end + 2]
            if after not in (delimiter, "\r", "\n", ""):
                value = _field_text(record, position, delimiter, one_line=False)
                msg = 'text after the closing " of a quoted field (write a " inside a field as "")'
                return SheetErrors.one(msg, line=current, column=column, value=value)
            position = end + 1
        else:
            while position < len(record) and record[position] not in (delimiter, "\r", "\n"):
                position += 1
        if position >= len(record) or record[position] in "\r\n":
            break
        position += 1
        column += 1
    return SheetErrors.one(f"not valid CSV: {reason}", line=line)


def _field_text(record: str, start: int, delimiter: str, *, one_line: bool) -> str:
    """The field starting at `start` as written, up to its delimiter (or end of line)."""
    end = start + 1
    in_quotes = True
    while end < len(record):
        char = record[end]
        if char in "\r\n" and (one_line or not in_quotes):
            break
        if char == delimiter and not in_quotes:
            break
        if char == '"':
            in_quotes = not in_quotes
        end += 1
    value = record[start:end]
    return value if len(value) <= _VALUE_SHOWN else value[: _VALUE_SHOWN - 1] + "\u2026"


def physical_lines(text: str) -> list[str]:
    """The lines of a text as the csv module and editors count them (ends: LF, CRLF, CR)."""
    return [line.rstrip("\r\n") for line in io.StringIO(text, newline="")]


def _has_pipe_table(text: str) -> bool:
    lines = physical_lines(text)
    return any(
        "|" in line and "|" in lines[index - 1] and "-" in line and _ALIGNMENT_ROW.match(line)
        for index, line in enumerate(lines)
        if index > 0
    )


def read_markdown(text: str, *, warnings: tuple[str, ...] = ()) -> Sheet:
    """Read the Markdown pipe table of a text (header line, alignment row, body lines).

    Text before and after it is skipped; with several tables, the first one holding RACI
    letters is read. Emphasis is removed from the cells and `\\|` escapes resolved. Each row
    keeps its physical line; the alignment row is not a row. Raises SheetErrors when there is
    no pipe table.
    """
    lines = physical_lines(text)
    tables: list[list[SheetRow]] = []
    index = 1
    while index < len(lines):
        line = lines[index]
        if "|" in line and "|" in lines[index - 1] and _ALIGNMENT_ROW.match(line):
            rows = [SheetRow(index, _markdown_cells(lines[index - 1]))]
            index += 1
            while index < len(lines) and "|" in lines[index] and lines[index].strip():
                rows.append(SheetRow(index + 1, _markdown_cells(lines[index])))
                index += 1
            tables.append(rows)
        index += 1
    if not tables:
        raise SheetErrors.one("no Markdown pipe table (a header line, then |---|---|)")
    chosen = next(
        (rows for rows in tables if any(has_letters(v) for r in rows[1:] for v in r.values[1:])),
        tables[0],
    )
    return Sheet("markdown", tuple(chosen), warnings=warnings)


def _markdown_cells(line: str) -> tuple[str, ...]:
    body = line.strip()
    if body.startswith("|"):
        body = body[1:]
    if body.endswith("|") and not body.endswith("\\|"):
        body = body[:-1]
    return tuple(strip_markdown(cell.strip()).strip() for cell in _UNESCAPED_PIPE.split(body))
