"""HTTP routes for the audit log: who changed what, when, as a change feed."""

import json
from collections.abc import Iterator, Sequence
from typing import Annotated, Any

from fastapi import APIRouter, Query, Request
from pydantic import AfterValidator, StringConstraints

from app.audit import service
from app.audit.schemas import AuditEntryRead, AuditPage
from app.audit.service import AuditFilters
from app.auth.scopes import grants
from app.core.csv_answers import FormatDep, csv_documented, csv_response
from app.core.errors import Forbidden, Unprocessable
from app.core.http import READ_PROBLEMS, problems
from app.core.identifiers import Key, Timestamp, no_control_chars
from app.core.pagination import DEFAULT_LIMIT, MAX_LIMIT, decode_cursor, encode_cursor, fingerprint
from app.db.changes import AuditAction, ResourceType
from app.deps import ReadKey, SessionDep

router = APIRouter(tags=["audit"])

MAX_VALUES = 50
_NOT_FILTERS = frozenset({"limit", "cursor", "format"})
CSV_HEADER = ("id", "at", "actor", "action", "resource_type", "resource_key", "before", "after")
_CSV_EXAMPLE = (
    "id,at,actor,action,resource_type,resource_key,before,after\r\n"
    "42,2026-11-23T10:00:00Z,pmo-tool,update,raci_cell,support-chatbot/nlu/CIO,"
    '"{""raci"": ""A"", ...}","{""raci"": ""AR"", ...}"\r\n'
)

ResourceKey = Annotated[
    str, StringConstraints(min_length=1, max_length=200), AfterValidator(no_control_chars)
]


def _at_most(name: str, values: Sequence[Any] | None) -> list[Any]:
    values = list(values or [])
    if len(values) > MAX_VALUES:
        raise Unprocessable.at(["query", name], f"may be repeated at most {MAX_VALUES} times")
    return values


def _after_id(request: Request, cursor: str | None) -> tuple[int, str]:
    """The id the page continues after, and the fingerprint of the filters for new cursors."""
    filters: dict[str, list[str]] = {}
    for name, value in request.query_params.multi_items():
        if name not in _NOT_FILTERS:
            filters.setdefault(name, []).append(value)
    made_for = fingerprint(filters)
    if cursor is None:
        return 0, made_for
    after = decode_cursor(cursor, made_for)
    if not after.isdigit():
        raise Unprocessable.at(["query", "cursor"], "is not a cursor this service issued")
    return int(after), made_for


def _json_text(state: dict[str, Any] | None) -> str | None:
    return None if state is None else json.dumps(state, ensure_ascii=False)


def _csv_rows(items: list[AuditEntryRead]) -> Iterator[tuple[object, ...]]:
    for item in items:
        yield (
            item.id,
            item.at.isoformat().replace("+00:00", "Z"),
            item.actor,
            item.action,
            item.resource_type,
            item.resource_key,
            _json_text(item.before),
            _json_text(item.after),
        )


@router.get(
    "/audit",
    summary="Read the audit log (a change feed)",
    response_model=AuditPage,
    responses={
        **csv_documented(
            "A page of entries, oldest first; as CSV the cursors are in `X-Next-Cursor` "
            "(absent on the last page) and `X-Resume-Token`.",
            _CSV_EXAMPLE,
        ),
        **problems(*READ_PROBLEMS),
    },
)
def list_audit(
    request: Request,
    session: SessionDep,
    principal: ReadKey,
    output_format: FormatDep,
    resource_type: Annotated[
        list[ResourceType] | None, Query(description="Only these resource types (any of).")
    ] = None,
    resource_key: Annotated[
        list[ResourceKey] | None,
        Query(description="Only these resources, by exact key, e.g. `support-chatbot/nlu`."),
    ] = None,
    resource_key_prefix: Annotated[
        list[ResourceKey] | None,
        Query(
            description="Only resources whose key starts with this, e.g. `support-chatbot/` for "
            "an initiative's components and cells (any of; combined with `resource_key` as "
            "any of)."
        ),
    ] = None,
    actor: Annotated[
        list[Key] | None,
        Query(description="Only changes by these API keys (any of), or `system` (the CLI)."),
    ] = None,
    action: Annotated[
        list[AuditAction] | None, Query(description="Only these actions (any of).")
    ] = None,
    since: Annotated[
        Timestamp | None,
        Query(
            description="Only changes at or after this RFC 3339 time, e.g. `2026-11-23T10:00:00Z`."
        ),
    ] = None,
    limit: Annotated[
        int, Query(ge=1, le=MAX_LIMIT, description="Entries per page.")
    ] = DEFAULT_LIMIT,
    cursor: Annotated[
        str | None,
        Query(
            max_length=512,
            description="`next_cursor` of the previous page, or a `resume_token` to poll from.",
        ),
    ] = None,
) -> Any:
    """Every change made through the API or the command line, one entry per changed resource,
    with the API key's name as `actor` and the public fields `before` and `after`.

    **Pages**, like every list: follow `next_cursor` until it is null.

    **A change feed.** Entries come in the order they were committed (by `id`, ascending).
    `resume_token` is *never null*: it continues after the last entry returned, or, when the
    page is empty, where the given cursor was. A client that keeps the last `resume_token`
    and polls with it (as `cursor`) gets every later change exactly once, in order.
    `has_more` tells whether more entries already wait or you are caught up. Both are
    bound to the filters they were issued for.

    Entries about API keys (their names and scopes) are shown to admin keys only; another
    key asking for `resource_type=api_key` gets a 403.

    Answers CSV with `Accept: text/csv` or `?format=csv` (`before` and `after` as JSON
    text; `X-Next-Cursor` when more pages follow, `X-Resume-Token` always, `has_more` in
    `X-Has-More`).
    """
    after_id, made_for = _after_id(request, cursor)
    admin = grants(principal.scope, "admin")
    if not admin and resource_type and "api_key" in resource_type:
        raise Forbidden("Entries about API keys need a key with the 'admin' scope")
    filters = AuditFilters(
        resource_types=_at_most("resource_type", resource_type),
        resource_keys=_at_most("resource_key", resource_key),
        resource_key_prefixes=_at_most("resource_key_prefix", resource_key_prefix),
        actors=_at_most("actor", actor),
        actions=_at_most("action", action),
        since=since,
        hidden_types=() if admin else ("api_key",),
    )
    rows, has_more = service.list_entries(session, filters, after_id, limit)
    items = [AuditEntryRead.model_validate(row) for row in rows]
    resume_token = encode_cursor(str(items[-1].id if items else after_id), made_for)
    next_cursor = resume_token if has_more else None
    if output_format == "csv":
        response = csv_response(CSV_HEADER, list(_csv_rows(items)), "audit.csv")
        if next_cursor is not None:
            response.headers["X-Next-Cursor"] = next_cursor
        response.headers["X-Resume-Token"] = resume_token
        response.headers["X-Has-More"] = "true" if has_more else "false"
        return response
    return AuditPage(
        items=items, next_cursor=next_cursor, resume_token=resume_token, has_more=has_more
    )
