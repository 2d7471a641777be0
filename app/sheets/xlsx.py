"""Reading an xlsx workbook safely: the zip is checked before openpyxl opens it."""

from __future__ import annotations

import io
import re
import zipfile
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date, datetime, time
from typing import TYPE_CHECKING, cast

from app.sheets.errors import SheetErrors
from app.sheets.model import Sheet, SheetRow

OLE_HEADER = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
ZIP_HEADERS = (b"PK\x03\x04", b"PK\x05\x06")
if TYPE_CHECKING:
    from openpyxl.worksheet._read_only import ReadOnlyWorksheet
    from openpyxl.worksheet.worksheet import Worksheet

_WORKSHEET_PART = re.compile(r"^xl/worksheets/[^/]+\.xml$")
_MIB = 1024 * 1024


@dataclass(frozen=True)
class ZipLimits:
    """What a workbook may unpack to: in all (`max_uncompressed` bytes), as a ratio of its
    compressed size (for the whole archive, and for each member over 1 MiB), and in members."""

    max_uncompressed: int = 100 * _MIB
    max_ratio: float = 100.0
    max_members: int = 10_000


def check_workbook_zip(data: bytes, limits: ZipLimits = ZipLimits()) -> None:
    """Refuse, before any XML is parsed, what is not a plain xlsx workbook.

    Raises SheetErrors (no line or column) for: an OLE compound file (`D0 CF 11 E0`: an
    encrypted, password-protected workbook or a legacy .xls), bytes that are not a zip, a zip
    bomb (more than `limits.max_uncompressed` bytes unpacked, or a compression ratio over
    `limits.max_ratio`), encrypted zip members, and a zip without a worksheet (e.g. a macro
    project or any other zip). The sizes checked are those the zip declares: Python's zipfile
    never unpacks a member beyond its declared size.
    """
    if data.startswith(OLE_HEADER):
        raise SheetErrors.one(
            "an encrypted (password-protected) workbook or a legacy .xls file (OLE compound "
            "file): save it as .xlsx without a password"
        )
    if not data.startswith(ZIP_HEADERS):
        raise SheetErrors.one("not an xlsx file: an xlsx workbook is a zip archive, this is not")
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            members = archive.infolist()
    except (zipfile.BadZipFile, zipfile.LargeZipFile, ValueError, EOFError) as error:
        raise SheetErrors.one(f"not an xlsx file: a damaged zip archive ({error})") from None
    if len(members) > limits.max_members:
        raise SheetErrors.one(f"refused: the zip holds {len(members)} files (zip bomb?)")
    unpacked = sum(member.file_size for member in members)
    packed = sum(member.compress_size for member in members)
    if unpacked > limits.max_uncompressed:
        raise SheetErrors.one(
            f"refused: the workbook would unpack to {unpacked / _MIB:.1f} MiB, more than "
            f"{limits.max_uncompressed / _MIB:g} MiB (zip bomb?)"
        )
    for name, size, compressed in [("the workbook", unpacked, packed)] + [
        (member.filename, member.file_size, member.compress_size)
        for member in members
        if member.file_size > _MIB
    ]:
        if size > limits.max_ratio * max(compressed, 1):
            raise SheetErrors.one(
                f"refused: {name} unpacks to {size / max(compressed, 1):.0f} times its "
                f"compressed size, more than {limits.max_ratio:g} (zip bomb?)"
            )
    if any(member.flag_bits & 0x1 for member in members):
        raise SheetErrors.one("an encrypted zip: save the workbook without a password")
    if not any(_WORKSHEET_PART.match(member.filename) for member in members):
        raise SheetErrors.one(
            "a zip archive without a worksheet (xl/worksheets/...): not an xlsx workbook"
        )


def read_xlsx(
    data: bytes,
    *,
    holds_table: Callable[[Sequence[SheetRow]], bool] | None = None,
    limits: ZipLimits = ZipLimits(),
) -> Sheet:
    """Read the first worksheet holding a RACI table (by `holds_table`; the first worksheet
    when none does) with openpyxl in read-only, data-only mode: formulas give their cached
    value, colours and formats are ignored, a merged cell is its top-left value. Rows are
    numbered as the worksheet shows them; blank rows are left out.

    Raises SheetErrors for everything `check_workbook_zip` refuses and for a workbook
    openpyxl cannot read.
    """
    check_workbook_zip(data, limits)
    import openpyxl  # imported here: only workbooks need it, and it is slow to import

    try:
        workbook = openpyxl.load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except Exception as error:
        raise SheetErrors.one(f"not a readable xlsx workbook: {error}") from None
    try:
        sheets = [_worksheet_rows(worksheet) for worksheet in workbook.worksheets]
        names = [worksheet.title for worksheet in workbook.worksheets]
    except Exception as error:
        raise SheetErrors.one(f"not a readable xlsx workbook: {error}") from None
    finally:
        workbook.close()
    if not sheets:
        raise SheetErrors.one("the workbook has no worksheet")
    chosen = next(
        (index for index, rows in enumerate(sheets) if holds_table and holds_table(rows)), 0
    )
    warnings: tuple[str, ...] = ()
    if chosen > 0:
        warnings = (f"worksheet {names[chosen]!r} was read: the first one holding a RACI table",)
    return Sheet("xlsx", sheets[chosen], exact_widths=False, name=names[chosen], warnings=warnings)


def _worksheet_rows(worksheet: ReadOnlyWorksheet) -> tuple[SheetRow, ...]:
    worksheet.reset_dimensions()
    rows = []
    width = 0
    for number, values in enumerate(
        # The stubs type ReadOnlyWorksheet.iter_rows as Worksheet's (the same signature).
        cast("Worksheet", worksheet).iter_rows(min_row=1, min_col=1, values_only=True),
        start=1,
    ):
        texts = [cell_text(value) for value in values]
        while texts and not texts[-1]:
            texts.pop()
        if texts:
            rows.append((number, texts))
            width = max(width, len(texts))
    return tuple(
        SheetRow(number, tuple(texts + [""] * (width - len(texts)))) for number, texts in rows
    )


def cell_text(value: object) -> str:
    """A worksheet value as text: None is "", 3.0 is "3", a date is ISO 8601, TRUE/FALSE."""
    if value is None:
        return ""
    if isinstance(value, str):
        return value.strip()
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, datetime | date | time):
        return value.isoformat()
    return str(value)
