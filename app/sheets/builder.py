"""Collecting what a table says (tasks, group rows, cells, errors, warnings) into a ParsedSheet."""

from __future__ import annotations

from dataclasses import dataclass, field

from app.core.letters import canonical_letters
from app.sheets.errors import SheetError, SheetErrors
from app.sheets.model import ParsedSheet, RoleHeader, Shape, Sheet, SheetCell, SheetTask
from app.sheets.text import fold


@dataclass
class _Cell:
    task_index: int
    header: str
    letters: set[str]
    notes: list[str]
    line: int
    column: int

    def done(self) -> SheetCell:
        note = "; ".join(self.notes) or None
        letters = canonical_letters(self.letters)
        return SheetCell(self.task_index, self.header, letters, note, self.line, self.column)


@dataclass
class SheetBuilder:
    """Tasks, cells, errors and warnings as the rows of a table are read.

    Tasks are told apart by their key when they have one, else by group and name (folded: case
    and accents ignored); roles by their header, folded likewise (the first spelling is kept).
    """

    errors: list[SheetError]
    warnings: list[str] = field(default_factory=list)
    tasks: list[SheetTask] = field(default_factory=list)
    _group: str | None = None
    _pending_group: tuple[str, int] | None = None
    _task_ids: dict[tuple[str, ...], int] = field(default_factory=dict)
    _headers: dict[str, RoleHeader] = field(default_factory=dict)
    _cells: dict[tuple[int, str], _Cell] = field(default_factory=dict)

    def error(self, line: int | None, column: int | None, value: str | None, msg: str) -> None:
        """Note an error; all are raised together by `build`."""
        self.errors.append(SheetError(line, column, value, msg))

    def group_row(self, label: str, line: int) -> None:
        """A row naming a group (`PLANNING PHASE`): the group of the tasks below it."""
        self._end_group()
        self._group, self._pending_group = label, (label, line)

    def _end_group(self) -> None:
        if self._pending_group is not None:
            label, line = self._pending_group
            self.warnings.append(
                f"line {line}: {label!r} has no letters and no task under it: skipped"
            )
        self._pending_group = None

    def task(
        self, name: str, *, group: str, key: str, line: int, column: int, merge: bool
    ) -> int | None:
        """The index of a task row's task: added, or (when `merge`) the one already read.

        Without `merge`, a task read twice is an error (at `line`, `column`) and gives None.
        An empty `group` means the group of the last group row.
        """
        group = group or self._group or ""
        self._pending_group = None
        identity = ("key", fold(key)) if key else ("task", fold(group), fold(name))
        known = self._task_ids.get(identity)
        if known is not None:
            if merge:
                return known
            where = f" under {group!r}" if group else ""
            first = self.tasks[known].line
            self.error(line, column, name, f"the task {name!r}{where} is already on line {first}")
            return None
        self._task_ids[identity] = len(self.tasks)
        self.tasks.append(SheetTask(name, group or None, key or None, line))
        return len(self.tasks) - 1

    def role(self, text: str, column: int, line: int) -> RoleHeader:
        """The role header `text` stands for (the first spelling of it read, where it is)."""
        return self._headers.setdefault(fold(text), RoleHeader(text, column, line))

    def cell(
        self,
        task: int,
        role: str,
        letters: str,
        note: str | None,
        *,
        line: int,
        column: int,
        role_column: int | None = None,
    ) -> None:
        """Letters of a role for a task, at `line` and `column`; letters given again for the
        same pair are added. `role_column` is where the role is named (default `column`)."""
        header = self.role(role, role_column or column, line)
        cell = self._cells.setdefault(
            (task, fold(header.text)), _Cell(task, header.text, set(), [], line, column)
        )
        cell.letters.update(letters)
        if note and note not in cell.notes:
            cell.notes.append(note)

    def build(self, sheet: Sheet, shape: Shape) -> ParsedSheet:
        """The parsed sheet; raises SheetErrors with every error noted, in line order."""
        self._end_group()
        if self.errors:
            ordered = sorted(self.errors, key=lambda error: (error.line or 0, error.column or 0))
            raise SheetErrors(ordered)
        return ParsedSheet(
            format=sheet.format,
            shape=shape,
            headers=list(self._headers.values()),
            tasks=self.tasks,
            cells=[cell.done() for cell in self._cells.values()],
            warnings=[*sheet.warnings, *self.warnings],
        )
