"""HTTP routes for the governance settings: `GET /settings`, `PATCH /settings` (admin)."""

from typing import Annotated

from fastapi import APIRouter, Body, Response

from app.core.http import READ_PROBLEMS, WRITE_PROBLEMS, problems, set_etag
from app.deps import AdminKey, IfMatchDep, ReadKey, SessionDep
from app.settings import service
from app.settings.models import ServiceSettings
from app.settings.schemas import SettingsPatch, SettingsRead

router = APIRouter(prefix="/settings", tags=["settings"])


def _read(settings: ServiceSettings) -> SettingsRead:
    return SettingsRead.model_validate(settings, from_attributes=True)


@router.get("", summary="Get the governance settings", responses=problems(*READ_PROBLEMS))
def get_settings(session: SessionDep, _: ReadKey, response: Response) -> SettingsRead:
    """The agreement grace period, the re-confirmation period and the days a governance
    review has before it is due, with the version as the ETag. Any key may read them."""
    settings = service.current(session)
    set_etag(response, settings.version)
    return _read(settings)


@router.patch(
    "", summary="Change the governance settings", responses=problems(*WRITE_PROBLEMS, 412)
)
def patch_settings(
    body: Annotated[SettingsPatch, Body(media_type="application/merge-patch+json")],
    session: SessionDep,
    _: AdminKey,
    if_match: IfMatchDep,
    response: Response,
) -> SettingsRead:
    """A JSON merge patch of the three settings (`null` restores a default; days are whole
    numbers, 0-3650 for the grace period, 1-3650 for the others, else 422). An admin key;
    honours If-Match (412 when stale). The findings apply the new values at once."""
    settings = service.patch_settings(session, body.model_dump(exclude_unset=True), if_match)
    set_etag(response, settings.version)
    return _read(settings)
