"""Liveness and readiness probes (no authentication)."""

from fastapi import APIRouter
from fastapi.responses import JSONResponse
from sqlalchemy import text
from sqlalchemy.exc import SQLAlchemyError

from app.db.dialect import free_disk_bytes
from app.db.errors import STORAGE
from app.deps import DatabaseDep

router = APIRouter(tags=["health"])

# An SQLite database's disk with less free space than this is reported full: a write
# would soon fail, and the orchestrator should know before the clients do.
MIN_FREE_BYTES = 16 * 1024 * 1024


@router.get("/healthz", summary="Liveness")
def healthz() -> dict[str, str]:
    """200 while the process is up."""
    return {"status": "ok"}


@router.get(
    "/readyz",
    summary="Readiness",
    responses={
        503: {
            "description": "The database is unreachable (`database: unreachable`), or its "
            "disk is full (`storage: full`: a write was refused for lack of space within "
            "the last minute, or an SQLite database's disk has less than 16 MiB free)."
        }
    },
)
def readyz(database: DatabaseDep) -> JSONResponse:
    """200 when the database answers and has room to write; 503 when it does not."""
    try:
        with database.engine.connect() as connection:
            connection.execute(text("SELECT 1"))
    except SQLAlchemyError:
        return JSONResponse({"status": "unavailable", "database": "unreachable"}, status_code=503)
    free = free_disk_bytes(database.engine)
    if STORAGE.full_recently() or (free is not None and free < MIN_FREE_BYTES):
        return JSONResponse(
            {"status": "unavailable", "database": "ok", "storage": "full"}, status_code=503
        )
    return JSONResponse({"status": "ok", "database": "ok", "storage": "ok"})
