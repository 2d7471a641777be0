"""A RACI sheet imported into one initiative: `POST /initiatives/{key}/raci/import`.

The sheet is read by app.sheets (CSV, TSV, Markdown, xlsx; matrix, list and long forms),
its headers are matched to roles (by code or name, or `role=HEADER=CODE`, or created with
`create_roles`), its tasks become components (keys from a key column or slugs of the task),
and the initiative's wanted document is written by the one document engine
(app.initiatives.engine), in the request's one transaction: all or nothing. A dry run
answers the same changes and writes nothing. Importing the same sheet twice changes nothing
the second time.
"""

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from pydantic import TypeAdapter, ValidationError
from sqlalchemy import select
from sqlalchemy.orm import Session

from app.core.errors import NotFound, Unprocessable
from app.core.identifiers import ROLE_CODE_PATTERN, Text
from app.db.base import utcnow
from app.imports.schemas import CellChange, ImportMode, SheetImportResult, SheetSummary
from app.initiatives.engine import DocumentEngine
from app.initiatives.schemas import ComponentDocument, InitiativeDocument
from app.initiatives.stored import StoredComponent, StoredInitiative, load_initiatives
from app.roles.functions import RoleFunction
from app.roles.models import Role
from app.sheets import (
    ParsedSheet,
    RoleHeader,
    SheetError,
    SheetErrors,
    component_keys,
    match_header,
    parse_file,
    role_code_from_name,
)
from app.sheets.text import fold

Mode = ImportMode
_NOTES = TypeAdapter(dict[str, Text])


@dataclass(frozen=True)
class SheetOptions:
    """The query parameters of a sheet import (see the route for their meaning)."""

    create: bool = False
    create_roles: bool = False
    role_function: RoleFunction = "other"  # of the roles create_roles creates
    roles: Mapping[str, str] = field(default_factory=dict)  # header as written -> role code
    mode: Mode = "merge"
    dry_run: bool = False


def sheet_problem(errors: Sequence[SheetError], summary: str) -> Unprocessable:
    """The 422 for a sheet: every error with its 1-based `line` and `column`, the `value`
    found and a `msg` (nothing is written)."""
    items = [
        {
            "loc": ["body"],
            "line": error.line,
            "column": error.column,
            "value": error.value,
            "msg": error.msg,
            "path": "",
        }
        for error in errors
    ]
    first = errors[0]
    where = ", ".join(
        part
        for part in (
            f"line {first.line}" if first.line is not None else "",
            f"column {first.column}" if first.column is not None else "",
        )
        if part
    )
    detail = f"{summary}: {where + ': ' if where else ''}{first.msg}"
    if len(errors) > 1:
        detail += f" (and {len(errors) - 1} more)"
    return Unprocessable(detail, items)


def import_sheet(
    session: Session, key: str, sheet: ParsedSheet, options: SheetOptions
) -> SheetImportResult:
    """Apply `sheet` to the initiative `key` as `options` say; what changed, cell by cell.

    404 when the initiative does not exist and `create` is false; 422 (every error at once,
    each with line, column and value) for headers that name no role, a mapping to a bad
    code, task names or notes too long to store.
    """
    stored = load_initiatives(session, [key])
    current = stored.get(key)
    if current is None and not options.create:
        raise NotFound(f"No initiative with key '{key}'; pass create=true to create it")
    roles = {code: name for code, name in session.execute(select(Role.code, Role.name))}
    codes, new_roles = _resolve_roles(sheet.headers, roles, options)
    keys = _component_keys(sheet, current)
    wanted, warnings = _wanted_components(sheet, current, codes, keys, options.mode)
    lines = {keys[index]: task.line for index, task in enumerate(sheet.tasks)}
    document = _document(key, current, wanted, lines)
    changes, summary = _changes(current, wanted, options.mode)
    created_components = sorted(
        component.key
        for component in wanted
        if current is None or component.key not in current.components
    )
    if not options.dry_run:
        for code, name in new_roles.items():
            session.add(Role(code=code, name=name, function=options.role_function))
        session.flush()
        DocumentEngine(session, stored, utcnow()).apply([document])
    return SheetImportResult(
        initiative=key,
        mode=options.mode,
        dry_run=options.dry_run,
        summary=summary,
        changes=changes,
        roles_created=sorted(new_roles),
        components_created=created_components,
        warnings=[*sheet.warnings, *warnings],
    )


def _resolve_roles(
    headers: Sequence[RoleHeader], roles: Mapping[str, str], options: SheetOptions
) -> tuple[dict[str, str], dict[str, str]]:
    """Each header's role code, and the roles to create (code -> name); 422 listing every
    header that names no role, once per header."""
    mapped = {fold(header): code for header, code in options.roles.items()}
    codes: dict[str, str] = {}
    new_roles: dict[str, str] = {}
    taken = set(roles)
    errors: list[SheetError] = []
    for header in headers:
        code = mapped.get(fold(header.text)) or match_header(header.text, roles)
        if code is not None and code not in roles and code not in new_roles:
            if not options.create_roles:
                errors.append(
                    SheetError(
                        header.line or None,
                        header.column,
                        header.text,
                        f"is mapped to role '{code}', which does not exist; "
                        "create it first or pass create_roles=true",
                    )
                )
                continue
            new_roles[code] = header.text[:200]
            taken.add(code)
        if code is None:
            if not options.create_roles:
                errors.append(
                    SheetError(
                        header.line or None,
                        header.column,
                        header.text,
                        "names no role (by its code or its name); pass "
                        "role=HEADER=CODE to map it, or create_roles=true to create it",
                    )
                )
                continue
            code = role_code_from_name(header.text, taken)
            new_roles[code] = header.text[:200]
            taken.add(code)
        if code in codes.values():
            other = next(text for text, given in codes.items() if given == code)
            errors.append(
                SheetError(
                    header.line or None,
                    header.column,
                    header.text,
                    f"names role '{code}', as the header {other!r} does: one column per role",
                )
            )
            continue
        codes[header.text] = code
    if errors:
        raise sheet_problem(errors, "The sheet's headers name roles that do not exist")
    return codes, new_roles


def _component_keys(sheet: ParsedSheet, current: StoredInitiative | None) -> list[str]:
    """A key per task: the key column's, else a component of the initiative with the same
    name and group (a sheet imported again finds its components), else a slug of the task."""
    keys = component_keys(sheet.tasks)
    if current is None:
        return keys
    by_name = {
        (fold(str(stored.fields["name"])), stored.fields.get("group") or None): key
        for key, stored in current.components.items()
    }
    used = set(keys)
    for index, task in enumerate(sheet.tasks):
        if task.key:
            continue
        existing = by_name.get((fold(task.name), task.group))
        if existing is not None and existing != keys[index] and existing not in used:
            used.discard(keys[index])
            keys[index] = existing
            used.add(existing)
    return keys


@dataclass
class _Wanted:
    key: str
    fields: dict[str, Any]
    raci: dict[str, str]
    rationales: dict[str, str]


def _wanted_components(
    sheet: ParsedSheet,
    current: StoredInitiative | None,
    codes: Mapping[str, str],
    keys: Sequence[str],
    mode: Mode,
) -> tuple[list[_Wanted], list[str]]:
    """The initiative's components as they are to be, and warnings about what `merge` left."""
    stored = current.components if current is not None else {}
    wanted: dict[str, _Wanted] = {}
    if mode == "merge":
        for key, component in stored.items():
            wanted[key] = _Wanted(
                key,
                dict(component.fields),
                {role: cell.raci for role, cell in component.cells.items()},
                {r: c.rationale for r, c in component.cells.items() if c.rationale is not None},
            )
    named: dict[str, set[str]] = {}
    for index, task in enumerate(sheet.tasks):
        key = keys[index]
        base = stored.get(key)
        fields: dict[str, Any] = dict(base.fields) if base is not None else {}
        fields |= {"name": task.name, "group": task.group}
        if key in wanted:
            wanted[key].fields = fields
        else:
            wanted[key] = _Wanted(key, fields, {}, {})
            if mode == "replace" and base is not None:
                # Kept rationales for cells the sheet sets again without a note.
                wanted[key].rationales = {
                    r: c.rationale for r, c in base.cells.items() if c.rationale is not None
                }
        named[key] = set()
    for cell in sheet.cells:
        key = keys[cell.task_index]
        code = codes[cell.header]
        wanted[key].raci[code] = cell.letters
        named[key].add(code)
        if cell.note is not None:
            wanted[key].rationales[code] = cell.note
    for wanted_component in wanted.values():
        wanted_component.rationales = {
            role: text
            for role, text in wanted_component.rationales.items()
            if role in wanted_component.raci
        }
    warnings: list[str] = []
    if mode == "merge":
        for key, component in stored.items():
            if key not in named:
                warnings.append(f"component '{key}' is not in the sheet: left as it is")
                continue
            for role, stored_cell in component.cells.items():
                if "A" in stored_cell.raci and role not in named[key]:
                    warnings.append(
                        f"component '{key}': {role} holds {stored_cell.raci}, which the sheet "
                        "does not give: left as it is"
                    )
    return list(wanted.values()), warnings


def _document(
    key: str,
    current: StoredInitiative | None,
    wanted: Sequence[_Wanted],
    lines: Mapping[str, int],
) -> InitiativeDocument:
    """The initiative's whole document with these components; 422 naming the line of a task
    whose name or note cannot be stored."""
    fields: dict[str, Any] = dict(current.fields) if current is not None else {"name": key}
    components = []
    errors: list[SheetError] = []
    for component in wanted:
        try:
            # The letters are canonical and the roles resolved already: only the component's
            # own fields and the notes need checking (a sheet has thousands of cells).
            document = ComponentDocument.model_validate({"key": component.key, **component.fields})
            components.append(
                document.model_copy(
                    update={
                        "raci": component.raci,
                        "rationales": _NOTES.validate_python(component.rationales)
                        if component.rationales
                        else {},
                    }
                )
            )
        except ValidationError as error:
            for problem in error.errors():
                errors.append(
                    SheetError(
                        lines.get(component.key),
                        None,
                        str(component.fields.get("name")),
                        f"{'.'.join(map(str, problem['loc']))}: {problem['msg']}",
                    )
                )
    if errors:
        raise sheet_problem(errors, "The sheet holds values that cannot be stored")
    tags = list(current.tags) if current is not None else []
    return InitiativeDocument.model_validate(
        {"key": key, **fields, "tags": tags, "components": []}
    ).model_copy(update={"components": components})


def _changes(
    current: StoredInitiative | None, wanted: Sequence[_Wanted], mode: Mode
) -> tuple[list[CellChange], SheetSummary]:
    """Every cell created, updated or removed (before -> after), and the counts of cells."""
    stored: Mapping[str, StoredComponent] = current.components if current is not None else {}
    changes: list[CellChange] = []
    summary = SheetSummary()
    wanted_keys = {component.key for component in wanted}
    for component in wanted:
        before = stored.get(component.key)
        old = {role: cell.raci for role, cell in before.cells.items()} if before else {}
        for role in sorted(set(old) | set(component.raci)):
            was, now = old.get(role), component.raci.get(role)
            if was == now:
                summary.unchanged += 1
                continue
            changes.append(CellChange(component=component.key, role=role, before=was, after=now))
            if was is None:
                summary.created += 1
            elif now is None:
                summary.removed += 1
            else:
                summary.updated += 1
    if mode == "replace":
        for key in sorted(set(stored) - wanted_keys):
            for role, cell in sorted(stored[key].cells.items()):
                changes.append(CellChange(component=key, role=role, before=cell.raci, after=None))
                summary.removed += 1
    return changes, summary


def parse_role_mappings(values: Sequence[str]) -> dict[str, str]:
    """`HEADER=CODE` pairs as given in `role=` parameters; 422 naming each bad one."""
    mappings: dict[str, str] = {}
    problems: list[dict[str, Any]] = []
    for index, value in enumerate(values):
        header, sep, code = value.rpartition("=")
        code = code.strip().upper()
        if not sep or not header.strip() or not _is_role_code(code):
            problems.append(
                {
                    "loc": ["query", "role", index],
                    "msg": f"{value!r} is not HEADER=CODE with a role code such as CIO",
                }
            )
            continue
        mappings[header.strip()] = code
    if problems:
        raise Unprocessable(str(problems[0]["msg"]), problems)
    return mappings


def _is_role_code(code: str) -> bool:
    return re.fullmatch(ROLE_CODE_PATTERN, code) is not None


def read_sheet_or_422(
    data: bytes, *, filename: str | None, content_type: str | None
) -> ParsedSheet:
    """The sheet in `data`, or a 422 listing every error it has (line, column, value)."""
    try:
        return parse_file(data, filename=filename, content_type=content_type)
    except SheetErrors as errors:
        raise sheet_problem(errors.errors, "The sheet cannot be read as written") from None
