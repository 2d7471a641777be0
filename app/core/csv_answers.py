"""CSV answers for the reports: content negotiation, formula-safe cells, streamed rows.

The one CSV helper every report and the matrix use.
"""

import csv
import io
from collections.abc import Iterable, Iterator, Sequence
from typing import Annotated, Any, Literal

from fastapi import Depends, Query, Request
from fastapi.responses import StreamingResponse
from typing_extensions import TypeAliasType

CSV_MEDIA_TYPE = "text/csv"
# A spreadsheet runs a cell starting with one of these as a formula (CSV injection).
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
ROWS_PER_CHUNK = 500

OutputFormat = TypeAliasType("OutputFormat", Literal["json", "csv"])


def safe_cell(value: object) -> object:
    """`value` as a CSV cell: None empty, numbers as they are, text that a spreadsheet
    would run as a formula prefixed with `'`."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return value
    text = str(value)
    return "'" + text if text.startswith(FORMULA_STARTS) else text


def csv_lines(header: Sequence[str], rows: Iterable[Sequence[object]]) -> Iterator[str]:
    """The header and then the rows, written with the csv module, a chunk at a time."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow([safe_cell(name) for name in header])
    pending = 1
    for row in rows:
        writer.writerow([safe_cell(value) for value in row])
        pending += 1
        if pending >= ROWS_PER_CHUNK:
            yield buffer.getvalue()
            buffer.seek(0)
            buffer.truncate()
            pending = 0
    if pending or buffer.tell():
        yield buffer.getvalue()


def csv_response(
    header: Sequence[str], rows: Iterable[Sequence[object]], filename: str
) -> StreamingResponse:
    """A streamed `text/csv` answer. `rows` must not need the database session: it is
    iterated after the request's transaction has ended."""
    return StreamingResponse(
        csv_lines(header, rows),
        media_type=f"{CSV_MEDIA_TYPE}; charset=utf-8",
        headers={"Content-Disposition": f'attachment; filename="{filename}"'},
    )


def _prefers_csv(accept: str) -> bool:
    """True when Accept names text/csv ahead of (or instead of) application/json."""
    best: dict[str, tuple[float, int]] = {}
    for position, part in enumerate(accept.split(",")):
        media_type, *parameters = part.split(";")
        media_type = media_type.strip().lower()
        quality = 1.0
        for parameter in parameters:
            name, _, value = parameter.partition("=")
            if name.strip().lower() == "q":
                try:
                    quality = float(value.strip())
                except ValueError:
                    quality = 0.0
        if media_type in (CSV_MEDIA_TYPE, "application/json") and media_type not in best:
            best[media_type] = (quality, position)
    csv_quality, csv_position = best.get(CSV_MEDIA_TYPE, (0.0, 0))
    json_quality, json_position = best.get("application/json", (-1.0, 0))
    if csv_quality <= 0:
        return False
    return csv_quality > json_quality or (
        csv_quality == json_quality and csv_position < json_position
    )


async def _response_format(
    request: Request,
    output_format: Annotated[
        OutputFormat | None,
        Query(
            alias="format",
            description="`csv` or `json`; without it, `Accept: text/csv` asks for CSV.",
        ),
    ] = None,
) -> OutputFormat:
    if output_format is not None:
        return output_format
    return "csv" if _prefers_csv(request.headers.get("accept", "")) else "json"


FormatDep = Annotated[OutputFormat, Depends(_response_format)]

XLSX_MEDIA_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
SheetFormat = TypeAliasType("SheetFormat", Literal["json", "csv", "xlsx"])


async def _sheet_format(
    request: Request,
    output_format: Annotated[
        SheetFormat | None,
        Query(
            alias="format",
            description="`json`, `csv` or `xlsx`; without it, `Accept: text/csv` asks for CSV "
            f"and `Accept: {XLSX_MEDIA_TYPE}` for a workbook.",
        ),
    ] = None,
) -> SheetFormat:
    if output_format is not None:
        return output_format
    accept = request.headers.get("accept", "")
    if XLSX_MEDIA_TYPE in accept.lower():
        return "xlsx"
    return "csv" if _prefers_csv(accept) else "json"


SheetFormatDep = Annotated[SheetFormat, Depends(_sheet_format)]
"""For answers that are also sheets (the RACI matrix): JSON, CSV or an xlsx workbook."""


def csv_documented(description: str, example: str) -> dict[int | str, dict[str, Any]]:
    """OpenAPI for a 200 that is JSON by default and CSV on request."""
    return {
        200: {
            "description": description,
            "content": {CSV_MEDIA_TYPE: {"schema": {"type": "string"}, "example": example}},
        }
    }
