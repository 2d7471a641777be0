"""HTTP routes for bulk import, export and the import of a RACI sheet."""

from dataclasses import dataclass
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query, Request
from starlette.datastructures import UploadFile

from app.core.errors import Unprocessable, UnsupportedMediaType
from app.core.http import CHANGE_PROBLEMS, READ_PROBLEMS, WRITE_PROBLEMS, KeyPath, problems
from app.deps import ExpensiveReport, ReadKey, SessionDep, WriteKey
from app.imports.export import export_document
from app.imports.schemas import ImportDocument, ImportMode, ImportResult, SheetImportResult
from app.imports.service import import_document
from app.imports.sheet import SheetOptions, import_sheet, parse_role_mappings, read_sheet_or_422
from app.roles.functions import RoleFunction

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
SHEET_MEDIA_TYPES = (
    "text/csv",
    "text/tab-separated-values",
    "text/markdown",
    "text/plain",
    XLSX,
    "application/octet-stream",
)
MULTIPART = "multipart/form-data"

router = APIRouter(tags=["imports"])


@router.post("/imports", summary="Import a portfolio document", responses=problems(*WRITE_PROBLEMS))
def post_import(body: ImportDocument, session: SessionDep, _: WriteKey) -> ImportResult:
    """Apply roles, capabilities, initiatives (with their components and RACI cells), KPIs and
    measurements in **one transaction**: all of it or none of it.

    Items may refer to other items of the same document. Any invalid item makes it a 422 whose
    `errors` name every bad item by its path (`initiatives[3].components[0].raci.CIO`), and
    nothing is written. The answer counts what was created, updated and left unchanged per
    resource; sending the same document again changes nothing (all `unchanged`, no version
    raised, no audit entry). Send an `Idempotency-Key` header to make retries safe.
    """
    return import_document(session, body)


@router.get(
    "/export",
    summary="Export the portfolio as an import document",
    # The export builds the document with set-based queries, not through the model; the
    # document says what it is: the body `POST /imports` takes.
    response_model=None,
    responses={
        200: {
            "description": "The portfolio as an import document (empty optional fields left out).",
            "content": {
                "application/json": {"schema": {"$ref": "#/components/schemas/ImportDocument"}}
            },
        },
        **problems(*READ_PROBLEMS, report=True),
    },
)
def get_export(session: SessionDep, _: ReadKey, __: ExpensiveReport) -> dict[str, Any]:
    """The whole portfolio in the shape `POST /imports` takes. Importing it into an empty
    database gives the same findings and the same RACI matrices. An expensive report: one
    API key runs at most a few at once (429 with Retry-After beyond)."""
    return export_document(session)


@dataclass(frozen=True)
class SheetUpload:
    data: bytes
    filename: str | None
    content_type: str | None


async def _sheet_upload(request: Request) -> SheetUpload:
    """The sheet in the body: raw (by its content type) or the part `file` of a form."""
    media_type = request.headers.get("content-type", "").split(";", 1)[0].strip().lower()
    if media_type == MULTIPART:
        form = await request.form(max_files=1, max_fields=10)
        upload = form.get("file")
        if not isinstance(upload, UploadFile):
            raise Unprocessable.at(["body", "file"], "send the sheet in a form part named 'file'")
        return SheetUpload(await upload.read(), upload.filename, upload.content_type)
    if media_type not in SHEET_MEDIA_TYPES:
        raise UnsupportedMediaType(
            f"Send the sheet as {', '.join(SHEET_MEDIA_TYPES[:3])}, xlsx ({XLSX}) or "
            f"{MULTIPART} with a part named 'file', not '{media_type or 'no content type'}'"
        )
    return SheetUpload(await request.body(), None, media_type)


_SHEET_BODY = {
    "required": True,
    "content": {
        "text/csv": {
            "schema": {"type": "string"},
            "example": "Task,CIO,CMO\nPLANNING,,\nNLU engine,R/A (platform),C\n",
        },
        **{media: {"schema": {"type": "string"}} for media in SHEET_MEDIA_TYPES[1:3]},
        XLSX: {"schema": {"type": "string", "format": "binary"}},
        MULTIPART: {
            "schema": {
                "type": "object",
                "properties": {"file": {"type": "string", "format": "binary"}},
                "required": ["file"],
            }
        },
    },
}


@router.post(
    "/initiatives/{key}/raci/import",
    tags=["raci"],
    summary="Import a RACI sheet into an initiative",
    responses=problems(*CHANGE_PROBLEMS),
    openapi_extra={"requestBody": _SHEET_BODY},
)
def post_sheet(
    key: KeyPath,
    session: SessionDep,
    _: WriteKey,
    upload: Annotated[SheetUpload, Depends(_sheet_upload)],
    create: Annotated[
        bool, Query(description="Create the initiative when it does not exist (else 404).")
    ] = False,
    create_roles: Annotated[
        bool,
        Query(description="Create a role for each header that names none (else 422)."),
    ] = False,
    role_function: Annotated[
        RoleFunction,
        Query(description="The `function` of the roles `create_roles` creates."),
    ] = "other",
    role: Annotated[
        list[str],
        Query(
            description="`HEADER=CODE`: the column headed HEADER holds role CODE's cells; "
            "repeat for several.",
            max_length=100,
        ),
    ] = [],  # noqa: B006 (FastAPI copies the default)
    mode: Annotated[
        ImportMode,
        Query(
            description="`merge`: cells the sheet gives letters are set, the rest left as they "
            "are; `replace`: the components and cells become exactly the sheet's."
        ),
    ] = "merge",
    dry_run: Annotated[
        bool, Query(description="Answer what would change and write nothing.")
    ] = False,
) -> SheetImportResult:
    """A RACI sheet as people keep it (CSV with `,` `;` or tab, TSV, a Markdown pipe table,
    or an xlsx workbook; raw, or as the part `file` of `multipart/form-data`) applied to
    the initiative in one transaction: all of it or none of it.

    The sheet may be a matrix (tasks down, roles across), a list (`Task | Responsible |
    Accountable | Consulted | Informed`, naming roles) or long (one row per task, role and
    letters). Title rows, blank rows, legends, columns without letters (Notes, Status) and
    group rows (which set the tasks' `group`) are understood. Letters are any set of A, R,
    S, C, I, V in any spelling (`R/A`, `c, i`, `**A**`); a note in brackets after them
    becomes the cell's rationale; `-`, `N/A` and blanks are no cell. A header names a role
    by code or name (case and accents ignored), or by `role=HEADER=CODE`.

    The answer counts cells created, updated, removed and unchanged and lists every change
    (before and after). A sheet it cannot read as written is a 422 whose `errors` give each
    problem's `line` and `column` (1-based, as a spreadsheet shows them), the `value` found
    and a `msg`; nothing is written. Importing the same sheet twice changes nothing.
    """
    options = SheetOptions(
        create=create,
        create_roles=create_roles,
        role_function=role_function,
        roles=parse_role_mappings(role),
        mode=mode,
        dry_run=dry_run,
    )
    sheet = read_sheet_or_422(
        upload.data, filename=upload.filename, content_type=upload.content_type
    )
    return import_sheet(session, key, sheet, options)
