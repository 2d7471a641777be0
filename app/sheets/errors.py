"""The errors of reading a sheet: one per bad cell or line, all reported at once."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from app.core.letters import LetterError


@dataclass(frozen=True)
class SheetError:
    """One problem in a sheet.

    `line` is 1-based as a spreadsheet or text editor shows it (the physical line of a
    CSV/Markdown file, the row number of a worksheet), `column` 1-based (the field of a CSV
    row, the cell of a Markdown row, the column of a worksheet: A is 1). Both are None for a
    problem of the whole file (not an xlsx, a zip bomb...). `value` is the offending text as
    written, or None when there is none.
    """

    line: int | None
    column: int | None
    value: str | None
    msg: str

    def __str__(self) -> str:
        where = []
        if self.line is not None:
            where.append(f"line {self.line}")
        if self.column is not None:
            where.append(f"column {self.column}")
        prefix = ", ".join(where)
        return f"{prefix}: {self.msg}" if prefix else self.msg


class SheetErrors(Exception):
    """Every error found in a sheet, in the order of the sheet (never empty)."""

    def __init__(self, errors: Iterable[SheetError]) -> None:
        self.errors: list[SheetError] = list(errors)
        if not self.errors:
            raise ValueError("SheetErrors needs at least one error")
        super().__init__("; ".join(str(error) for error in self.errors))

    @classmethod
    def one(
        cls,
        msg: str,
        *,
        line: int | None = None,
        column: int | None = None,
        value: str | None = None,
    ) -> SheetErrors:
        """The errors of a sheet that has just this one."""
        return cls([SheetError(line=line, column=column, value=value, msg=msg)])


__all__ = ["LetterError", "SheetError", "SheetErrors"]
