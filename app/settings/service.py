"""The governance settings: read them (every report that applies them), change them (admin)."""

from typing import Any

from sqlalchemy.orm import Session

from app.core.preconditions import IfMatch
from app.db.writes import assign, insert_new
from app.settings.models import DEFAULTS, SCOPE, ServiceSettings


def current(session: Session) -> ServiceSettings:
    """The settings row. The migration seeds it; should it be missing (a hand-edited table),
    a row of defaults is written in this transaction."""
    settings = session.get(ServiceSettings, SCOPE)
    if settings is None:
        settings = insert_new(
            session,
            ServiceSettings(scope=SCOPE, **DEFAULTS),
            "The settings were set up by another request meanwhile; retry",
        )
    return settings


def patch_settings(session: Session, patch: dict[str, Any], if_match: IfMatch) -> ServiceSettings:
    """Apply a merge patch (`None` restores a setting's default); 412 on a stale If-Match.
    Audited as resource type `settings` (the session's audit hooks)."""
    settings = current(session)
    if_match.check(settings.version)
    assign(
        settings,
        {name: DEFAULTS[name] if value is None else value for name, value in patch.items()},
    )
    session.flush()
    return settings
