"""HTTP routes for governance reviews: `GET /reviews`, `GET /reviews/{key}`,
`POST /reviews/{key}/decision` (API.md, "Additions", "Governance reviews")."""

from typing import Annotated

from fastapi import APIRouter, Path, Query, Response
from pydantic import StringConstraints

from app.core.http import ONE_PROBLEMS, READ_PROBLEMS, WRITE_PROBLEMS, problems, set_etag
from app.core.identifiers import KEY_PATTERN, Key
from app.core.schemas import Page
from app.deps import PageDep, ReadKey, SessionDep, WriteKey
from app.reviews import service
from app.reviews.models import Review
from app.reviews.schemas import ReviewDecision, ReviewRead, ReviewState

router = APIRouter(prefix="/reviews", tags=["reviews"])

ReviewKey = Annotated[
    str,
    StringConstraints(pattern=KEY_PATTERN, max_length=64),
    Path(description="The review's key.", examples=["csat-2026-11-30"]),
]


def _read(review: Review, kpi_key: str) -> ReviewRead:
    return ReviewRead(
        key=review.key,
        kpi=kpi_key,
        opened_at=review.opened_at,
        due_on=review.due_on,
        participants=[row.role for row in review.participant_rows],
        state=review.state,
        decision=review.decision,
        rationale=review.rationale,
        what_changed=review.what_changed,
        decided_by=review.decided_by,
        decided_at=review.decided_at,
        version=review.version,
        created_at=review.created_at,
        updated_at=review.updated_at,
    )


def _one(session: SessionDep, review: Review) -> ReviewRead:
    return _read(review, service.kpi_keys(session, [review])[review.kpi_id])


@router.get("", summary="List governance reviews", responses=problems(*READ_PROBLEMS))
def list_reviews(
    session: SessionDep,
    _: ReadKey,
    page: PageDep,
    state: Annotated[
        list[ReviewState] | None, Query(description="Only reviews in these states (any of).")
    ] = None,
    kpi: Annotated[
        list[Key] | None, Query(description="Only reviews of these KPIs (any of).")
    ] = None,
) -> Page[ReviewRead]:
    """The governance reviews, ordered by key: opened when a joint KPI became `off_track`,
    closed by a decision. Repeat a filter to mean "any of": `?state=open&kpi=csat`."""
    filters = service.ReviewFilters(states=state or (), kpis=kpi or ())
    rows, next_cursor = service.list_reviews(session, page, filters)
    keys = service.kpi_keys(session, rows)
    return Page[ReviewRead](
        items=[_read(row, keys[row.kpi_id]) for row in rows], next_cursor=next_cursor
    )


@router.get("/{key}", summary="Get a governance review", responses=problems(*ONE_PROBLEMS))
def get_review(key: ReviewKey, session: SessionDep, _: ReadKey, response: Response) -> ReviewRead:
    """One review, with its version as the ETag. 404 for an unknown key."""
    review = service.get_review(session, key)
    set_etag(response, review.version)
    return _one(session, review)


@router.post(
    "/{key}/decision",
    summary="Decide a governance review",
    responses=problems(*WRITE_PROBLEMS, 404),
)
def decide_review(
    key: ReviewKey,
    body: ReviewDecision,
    session: SessionDep,
    principal: WriteKey,
    response: Response,
) -> ReviewRead:
    """Record the participants' decision and close the review: `keep`, `change_owner`,
    `change_model` or `change_target`, with a `rationale` (required, not blank: 422) and,
    for a change, `what_changed` (free text naming it, e.g. the audit entry ids of the
    change). The audit log keeps who decided what.

    Who may decide: an admin key, or a write key acting for one of the participant roles
    (403 otherwise). 404 for an unknown review; 409 when it is already decided. The KPI
    falling off track again later opens a new review.
    """
    review = service.decide(session, key, body, principal)
    set_etag(response, review.version)
    return _one(session, review)
