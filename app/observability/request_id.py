"""The request id: echoed from a sane `X-Request-ID`, else generated; kept in a context
variable so that every log record written while serving the request carries it."""

import re
import uuid
from contextvars import ContextVar

HEADER = "X-Request-ID"
MAX_LENGTH = 128
# Letters, digits and a few separators: safe in a header, a log line and a shell.
_SANE = re.compile(rf"[A-Za-z0-9._:@/+=-]{{1,{MAX_LENGTH}}}")

current: ContextVar[str | None] = ContextVar("raci_request_id", default=None)


def new_request_id() -> str:
    return uuid.uuid4().hex


def accept(incoming: str | None) -> str:
    """The incoming id when it is sane (bounded length, safe characters), else a new one."""
    if incoming is not None and _SANE.fullmatch(incoming):
        return incoming
    return new_request_id()
