"""Values as JSON holds them: the audit trail, the export and the reports agree on one form."""

from datetime import date, datetime
from typing import Any


def jsonable(value: Any) -> Any:
    """A column value as JSON: dates and times as ISO 8601 strings, times in UTC with `Z`."""
    if isinstance(value, datetime):
        return value.isoformat().replace("+00:00", "Z")
    if isinstance(value, date):
        return value.isoformat()
    return value
