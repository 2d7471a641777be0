"""The data of a sheet: as read from a file (Sheet), as understood (ParsedSheet), as written (Matrix)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Literal

Format = Literal["csv", "tsv", "markdown", "xlsx"]
Shape = Literal["matrix", "list", "long"]


@dataclass(frozen=True)
class SheetRow:
    """One row of a file: its 1-based line (row number in a worksheet) and its values as text.

    In CSV and Markdown `values` holds exactly the fields of the line, so a short row can be
    told apart; a worksheet row holds every column up to the last one used in the sheet.
    """

    line: int
    values: tuple[str, ...]


@dataclass(frozen=True)
class Sheet:
    """A file read as rows of text. `exact_widths` is True when a row's number of values is
    what the author wrote (CSV, TSV, Markdown), False for a worksheet. `name` is the
    worksheet's name (xlsx only); `warnings` say how it was read when that is worth knowing
    (e.g. as Windows-1252)."""

    format: Format
    rows: tuple[SheetRow, ...]
    exact_widths: bool = True
    name: str | None = None
    warnings: tuple[str, ...] = ()


@dataclass(frozen=True)
class RoleHeader:
    """A role as the sheet heads it (a code such as `CIO` or a name such as `Tech Lead`), and
    the 1-based column and line where it is (in list and long forms, where it is first
    named)."""

    text: str
    column: int
    line: int = 0


@dataclass(frozen=True)
class SheetTask:
    """A task (a component to be) as written, the group row or group column it falls under,
    the key from a key column (None without one) and its line."""

    name: str
    group: str | None
    key: str | None
    line: int


@dataclass(frozen=True)
class SheetCell:
    """The letters (canonical, e.g. `AR`) of one role header for one task (`tasks[task_index]`),
    the note written with them (e.g. `platform` for `R/A (platform)`), and where they are."""

    task_index: int
    header: str
    letters: str
    note: str | None
    line: int
    column: int


@dataclass(frozen=True)
class MatrixRow:
    """A task of a matrix to write: `cells` maps a role header to its letters (canonical, `AR`,
    or any spelling `parse_letters` reads, written as given), `notes` a role header to the note
    written after the letters."""

    task: str
    cells: Mapping[str, str]
    group: str | None = None
    key: str | None = None
    notes: Mapping[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class Matrix:
    """A RACI matrix to write: tasks down, `roles` (headers, in order) across."""

    roles: Sequence[str]
    rows: Sequence[MatrixRow]


@dataclass
class ParsedSheet:
    """What a sheet says: its format (`csv`, `tsv`, `markdown`, `xlsx`), its shape (`matrix`,
    `list`, `long`), the role headers in order, the tasks in order, the cells, and warnings
    for what was skipped (columns without letters, group rows without tasks...)."""

    format: Format
    shape: Shape
    headers: list[RoleHeader]
    tasks: list[SheetTask]
    cells: list[SheetCell]
    warnings: list[str] = field(default_factory=list)

    def to_matrix(self) -> Matrix:
        """The sheet as a matrix (tasks down, role headers across), for writing it back."""
        cells: list[dict[str, str]] = [{} for _ in self.tasks]
        notes: list[dict[str, str]] = [{} for _ in self.tasks]
        for cell in self.cells:
            cells[cell.task_index][cell.header] = cell.letters
            if cell.note is not None:
                notes[cell.task_index][cell.header] = cell.note
        rows = [
            MatrixRow(task.name, cells[index], task.group, task.key, notes[index])
            for index, task in enumerate(self.tasks)
        ]
        return Matrix([header.text for header in self.headers], rows)
