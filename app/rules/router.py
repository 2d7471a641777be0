"""HTTP routes for rules: the findings rules, switched on or off and given a severity."""

from typing import Annotated

from fastapi import APIRouter, Body, Path, Response

from app.core.http import CHANGE_PROBLEMS, ONE_PROBLEMS, READ_PROBLEMS, problems, set_etag
from app.core.schemas import Page
from app.deps import IfMatchDep, PageDep, ReadKey, SessionDep, WriteKey
from app.rules import service
from app.rules.schemas import RulePatch, RuleRead
from app.rules.service import RuleState

router = APIRouter(prefix="/rules", tags=["rules"])

RuleCodePath = Annotated[
    str,
    Path(
        max_length=64,
        description="A rule code; lower case is accepted.",
        examples=["UNOWNED_COMPONENT"],
    ),
]


def _read(state: RuleState) -> RuleRead:
    return RuleRead(
        code=state.rule.code,
        title=state.rule.title,
        description=state.rule.description,
        default_severity=state.rule.default_severity,
        enabled=state.enabled,
        severity=state.severity,
        version=state.version,
        created_at=state.created_at,
        updated_at=state.updated_at,
    )


@router.get("", summary="List the findings rules", responses=problems(*READ_PROBLEMS))
def list_rules(session: SessionDep, _: ReadKey, page: PageDep) -> Page[RuleRead]:
    """Every rule the findings report applies, ordered by code, with whether it is on and
    the severity its findings carry."""
    states, next_cursor = service.list_rules(session, page)
    return Page[RuleRead](items=[_read(state) for state in states], next_cursor=next_cursor)


@router.get("/{code}", summary="Get a findings rule", responses=problems(*ONE_PROBLEMS))
def get_rule(code: RuleCodePath, session: SessionDep, _: ReadKey, response: Response) -> RuleRead:
    """One rule, with its version as the ETag. 404 for a code the service does not know."""
    state = service.get_rule(session, code)
    set_etag(response, state.version)
    return _read(state)


@router.patch(
    "/{code}", summary="Switch a rule or change its severity", responses=problems(*CHANGE_PROBLEMS)
)
def patch_rule(
    code: RuleCodePath,
    body: Annotated[RulePatch, Body(media_type="application/merge-patch+json")],
    session: SessionDep,
    _: WriteKey,
    if_match: IfMatchDep,
    response: Response,
) -> RuleRead:
    """A JSON merge patch of `enabled` and `severity` (`null` restores the default); any
    other field is a 422. The change shows at once in the reports. Honours If-Match."""
    state = service.patch_rule(session, code, body.model_dump(exclude_unset=True), if_match)
    set_etag(response, state.version)
    return _read(state)
