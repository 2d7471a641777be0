"""Understanding a table's shape: a matrix (tasks down, roles across), the list form (a column
per letter naming the roles that hold it) or the long form (one row per task, role and
letters); group rows (a label and no letters) set the group of the tasks below them."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass

from app.core.letters import NO_CELL, parse_letters
from app.sheets.builder import SheetBuilder
from app.sheets.detect import detect_shape, has_letters, looks_like_letters
from app.sheets.errors import LetterError, SheetErrors
from app.sheets.headers import (
    is_group_header,
    is_info_header,
    is_key_header,
    is_label_header,
    is_letters_header,
    is_note_header,
    is_role_header,
    is_task_header,
    list_letter,
)
from app.sheets.model import ParsedSheet, Sheet, SheetRow
from app.sheets.table import Table, find_table
from app.sheets.text import clean_label, fold

_NAME_NOTE = re.compile(r"^(?P<name>[^(\[]*?)\s*[(\[](?P<note>.*)[)\]]$", re.DOTALL)
_NAME_SEPARATORS = ",/+&;\n"


def parse_sheet(sheet: Sheet) -> ParsedSheet:
    """Understand a sheet read by `read_sheet`: its table, shape, tasks and cells.

    Raises SheetErrors with every error of the sheet at once, in line order: rows wider (or,
    in CSV and Markdown, narrower) than the header, values that are not RACI letters, rows
    with letters but no task, a task twice in one group, a role column without a header or
    with the header of another, a matrix without any RACI letter.
    """
    table, errors = find_table(sheet)
    if table is None:
        raise SheetErrors(errors)
    builder = SheetBuilder(errors)
    shape = detect_shape(table.header, table.rows)
    {"long": _read_long, "list": _read_list, "matrix": _read_matrix}[shape](table, builder)
    return builder.build(sheet, shape)


@dataclass(frozen=True)
class _Labels:
    """The columns naming a row's task, its key and its group (0-based)."""

    task: int
    key: int | None
    group: int | None

    def of(self, row: SheetRow) -> tuple[str, str, str]:
        """Name, key and group of a row ("" when absent)."""
        name = clean_label(row.values[self.task])
        key = clean_label(row.values[self.key]) if self.key is not None else ""
        group = clean_label(row.values[self.group]) if self.group is not None else ""
        return name, key, group

    def group_label(self, row: SheetRow) -> str | None:
        """The label of a row that can be a group row: one label and no group column value."""
        name, key, group = self.of(row)
        if group or (name and key and self.key != self.task):
            return None
        return name or key or None


def _leading_labels(
    table: Table, builder: SheetBuilder, stop: Callable[[str], object]
) -> tuple[_Labels, set[int]]:
    """The label columns: the first one, and up to three after it named as task, key or group."""
    header = table.header
    leading = [table.start]
    for column in range(table.start + 1, min(len(header), table.start + 4)):
        if stop(header[column]) or not is_label_header(header[column]):
            break
        leading.append(column)
    task = next((c for c in leading if is_task_header(header[c])), None)
    if task is None:
        task = next((c for c in leading if is_key_header(header[c])), leading[0])
    key = next((c for c in leading if c != task and is_key_header(header[c])), None)
    if key is None and is_key_header(header[task]):
        key = task
    group = next((c for c in leading if c not in (task, key) and is_group_header(header[c])), None)
    for column in leading:
        if column not in (task, key, group):
            builder.warnings.append(f"column {column + 1} {header[column]!r} skipped")
    return _Labels(task, key, group), set(leading)


def _read_matrix(table: Table, builder: SheetBuilder) -> None:
    header = table.header
    labels, label_columns = _leading_labels(table, builder, lambda _: False)
    roles: list[int] = []
    seen: dict[str, int] = {}
    for column in range(table.start, len(header)):
        if column in label_columns:
            continue
        values = [row.values[column] for row in table.rows]
        if not any(has_letters(value) for value in values) and (
            is_info_header(header[column]) or not any(map(looks_like_letters, values))
        ):
            if header[column] or any(values):
                builder.warnings.append(
                    f"column {column + 1} {header[column]!r} holds no RACI letters: skipped"
                )
        elif not header[column]:
            msg = "a column holding RACI letters has no header"
            builder.error(table.header_line, column + 1, None, msg)
        elif fold(header[column]) in seen:
            msg = f"the header {header[column]!r} is also column {seen[fold(header[column])]}"
            builder.error(table.header_line, column + 1, header[column], msg)
        else:
            seen[fold(header[column])] = column + 1
            builder.role(header[column], column + 1, table.header_line)
            roles.append(column)
    if not roles and table.rows:
        msg = "no column holds RACI letters (A, R, S, C, I, V)"
        builder.error(table.header_line, None, None, msg)
        _letter_errors(table, builder, set(range(table.start, len(header))) - label_columns)
    for row in table.rows:
        task = _row_task(row, labels, builder, [row.values[c] for c in roles], merge=False)
        if task is None:
            continue
        for column in roles:
            value = row.values[column]
            try:
                parsed = parse_letters(value)
            except LetterError as error:
                builder.error(row.line, column + 1, value, error.msg)
                continue
            if parsed is not None:
                line, where = row.line, column + 1
                builder.cell(
                    task, header[column], parsed.letters, parsed.note, line=line, column=where
                )


def _letter_errors(table: Table, builder: SheetBuilder, columns: set[int]) -> None:
    """Why the values of columns are not letters (when no column holds any, say why)."""
    for row in table.rows:
        for column in sorted(columns):
            try:
                parse_letters(row.values[column])
            except LetterError as error:
                builder.error(row.line, column + 1, row.values[column], error.msg)


def _row_task(
    row: SheetRow, labels: _Labels, builder: SheetBuilder, values: list[str], *, merge: bool
) -> int | None:
    """The task of a row; None for a group row (noted) or a row in error (noted)."""
    if not any(values) and (label := labels.group_label(row)) is not None:
        builder.group_row(label, row.line)
        return None
    name, key, group = labels.of(row)
    if not name:
        builder.error(row.line, labels.task + 1, None, "the row has RACI cells but no task name")
        return None
    column = labels.task + 1
    return builder.task(name, group=group, key=key, line=row.line, column=column, merge=merge)


def _read_list(table: Table, builder: SheetBuilder) -> None:
    header = table.header
    labels, label_columns = _leading_labels(table, builder, list_letter)
    columns: list[tuple[int, str]] = []
    for column, text in enumerate(header):
        letter = list_letter(text)
        if column in label_columns or column < table.start:
            continue
        if letter is None:
            if text or any(row.values[column] for row in table.rows):
                builder.warnings.append(
                    f"column {column + 1} {text!r} is not a RACI column: skipped"
                )
            continue
        columns.append((column, letter))
    for row in table.rows:
        values = [row.values[column] for column, _ in columns]
        task = _row_task(row, labels, builder, values, merge=False)
        if task is None:
            continue
        for column, letter in columns:
            for name, note in _role_names(row.values[column]):
                builder.cell(task, name, letter, note, line=row.line, column=column + 1)


def _role_names(value: str) -> Iterator[tuple[str, str | None]]:
    """The roles a list-form cell names (`CIO, CDO`, `CMO/CDO`), each with its note."""
    parts: list[str] = []
    current: list[str] = []
    depth = 0
    for char in value:
        depth += (char in "([") - (char in ")]")
        if depth <= 0 and char in _NAME_SEPARATORS:
            parts.append("".join(current))
            current, depth = [], 0
        else:
            current.append(char)
    parts.append("".join(current))
    for part in parts:
        name, note = clean_label(part), None
        if match := _NAME_NOTE.match(name):
            name, note = match.group("name").strip(), match.group("note").strip() or None
        if name and name.casefold() not in NO_CELL:
            yield name, note


def _read_long(table: Table, builder: SheetBuilder) -> None:
    header = table.header
    role = next(c for c, text in enumerate(header) if is_role_header(text))
    letters = next(c for c, text in enumerate(header) if c != role and is_letters_header(text))
    used = {role, letters}
    note = next((c for c, t in enumerate(header) if c not in used and is_note_header(t)), None)
    used.add(-1 if note is None else note)
    task = next((c for c, t in enumerate(header) if c not in used and is_task_header(t)), None)
    key = next((c for c, t in enumerate(header) if c not in used and is_key_header(t)), None)
    if task is None:
        task = key if key is not None else min(set(range(table.start, len(header))) - used)
    group = next(
        (c for c, t in enumerate(header) if c not in used | {task} and is_group_header(t)), None
    )
    labels = _Labels(task, key, group)
    for column, text in enumerate(header):
        if column >= table.start and column not in {role, letters, note, task, key, group}:
            builder.warnings.append(f"column {column + 1} {text!r} skipped")
    for row in table.rows:
        role_text, value = clean_label(row.values[role]), row.values[letters]
        task_index = _row_task(row, labels, builder, [role_text, value], merge=True)
        if task_index is None:
            continue
        try:
            parsed = parse_letters(value)
        except LetterError as error:
            builder.error(row.line, letters + 1, value, error.msg)
            continue
        if parsed is None:
            continue
        if not role_text:
            builder.error(row.line, role + 1, None, f"the letters {value!r} have no role")
            continue
        text = clean_label(row.values[note]) if note is not None else ""
        builder.cell(
            task_index,
            role_text,
            parsed.letters,
            "; ".join(filter(None, [parsed.note, text])) or None,
            line=row.line,
            column=letters + 1,
            role_column=role + 1,
        )
