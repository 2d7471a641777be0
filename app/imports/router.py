"""HTTP routes for bulk import and export."""

from typing import Any

from fastapi import APIRouter

from app.core.http import READ_PROBLEMS, WRITE_PROBLEMS, problems
from app.deps import ExpensiveReport, ReadKey, SessionDep, WriteKey
from app.imports.export import export_document
from app.imports.schemas import ImportDocument, ImportResult
from app.imports.service import import_document

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
    responses=problems(*READ_PROBLEMS, report=True),
)
def get_export(session: SessionDep, _: ReadKey, __: ExpensiveReport) -> dict[str, Any]:
    """The whole portfolio in the shape `POST /imports` takes. Importing it into an empty
    database gives the same findings and the same RACI matrices. An expensive report: one
    API key runs at most a few at once (429 with Retry-After beyond)."""
    return export_document(session)
