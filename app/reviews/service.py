"""Governance reviews (API.md, "Additions", "Governance reviews").

A joint KPI (two or more owners) whose status *becomes* `off_track` opens one review; while
it is open no second one opens for that KPI (the unique `open_kpi_id`, app.reviews.models).
What makes a KPI become off track is noticed in two places:

- a change to the KPI or its measurements, by any write path: app.reviews.triggers compares
  the KPI's state before the transaction touched it with its state at commit;
- its target date passing unmet, which no request announces: `open_due_reviews`, run by the
  periodic check inside `raci serve` and by `raci reviews check`.

Participants are the KPI's owners and the sponsors of the live initiatives it serves, as
they stand when the review opens. A decision closes the review; a later fall off track opens
a new one.
"""

from collections.abc import Collection, Iterable
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from sqlalchemy import func, or_, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from app.auth.acting import acting_roles
from app.core.errors import Conflict, Forbidden, NotFound
from app.core.pagination import PageParams, page_of, split_page
from app.db.base import utcnow
from app.deps import Principal
from app.initiatives.models import LIVE_STATUSES, Initiative
from app.kpis.measurements import kpi_standings
from app.kpis.models import Kpi, KpiInitiative, KpiOwner
from app.reviews.models import Review, ReviewParticipant
from app.reviews.schemas import ReviewDecision
from app.settings.service import current as current_settings

# A review's key is "<kpi key>-<day opened>" (and "-2", "-3"... on a day that opened more);
# the KPI's key is cut so that the whole stays within the 64 characters of a key.
_KPI_KEY_PART = 48
_MAX_KEY_TRIES = 20


@dataclass(frozen=True)
class ReviewFilters:
    """List filters; several values in one mean "any of"."""

    states: Collection[str] = ()
    kpis: Collection[str] = ()


def _pairs(rows: Iterable[Any]) -> dict[Any, Any]:
    """The first column of two-column rows mapped to the second."""
    return {first: second for first, second in rows}


def find_review(session: Session, key: str) -> Review | None:
    return session.scalar(select(Review).where(Review.key == key))


def get_review(session: Session, key: str) -> Review:
    review = find_review(session, key)
    if review is None:
        raise NotFound(f"No governance review with key '{key}'")
    return review


def kpi_keys(session: Session, reviews: Iterable[Review]) -> dict[int, str]:
    """KPI id -> key for the KPIs of `reviews`; one query."""
    ids = {review.kpi_id for review in reviews}
    if not ids:
        return {}
    return _pairs(session.execute(select(Kpi.id, Kpi.key).where(Kpi.id.in_(ids))))


def list_reviews(
    session: Session, page: PageParams, filters: ReviewFilters
) -> tuple[list[Review], str | None]:
    """One page of reviews ordered by key, narrowed by state and KPI key."""
    stmt = select(Review)
    if filters.states:
        stmt = stmt.where(Review.state.in_(set(filters.states)))
    if filters.kpis:
        stmt = stmt.where(Review.kpi_id.in_(select(Kpi.id).where(Kpi.key.in_(set(filters.kpis)))))
    rows = list(session.scalars(page_of(stmt, Review.key, page)))
    return split_page(rows, page, lambda review: review.key)


# --- who may decide ------------------------------------------------------------------------


def may_decide(session: Session, principal: Principal, participants: Collection[str]) -> bool:
    """THE check of who decides a review (API.md): an admin key, or a write key acting for
    one of the review's participant roles (its `acts_for`)."""
    if principal.scope == "admin":
        return True
    acting = acting_roles(session, principal.name) if principal.scope == "write" else []
    return not set(acting).isdisjoint(participants)


def decide(session: Session, key: str, data: ReviewDecision, principal: Principal) -> Review:
    """Record the decision on an open review and close it. 404 for an unknown review, 403
    when the key may not decide it (`may_decide`), 409 when it is already decided."""
    review = get_review(session, key)
    participants = [row.role for row in review.participant_rows]
    if not may_decide(session, principal, participants):
        raise Forbidden(
            f"Only an admin key or a key acting for one of its participants "
            f"({', '.join(participants) or 'none'}) may decide review '{key}'; "
            f"'{principal.name}' acts for none of them"
        )
    if review.state != "open":
        raise Conflict(
            f"Review '{key}' was already decided ({review.decision}) by {review.decided_by} "
            f"at {review.decided_at.isoformat() if review.decided_at else 'an unknown time'}"
        )
    review.state = "decided"
    review.open_kpi_id = None
    review.decision = data.decision
    review.rationale = data.rationale
    review.what_changed = data.what_changed
    review.decided_by = principal.name
    review.decided_at = utcnow()
    session.flush()
    return review


# --- opening ---------------------------------------------------------------------------------


def missed_joint_kpis(session: Session, kpi_ids: Collection[int], today: date) -> set[int]:
    """Those of `kpi_ids` that are joint (two or more owners) and `off_track` as of `today`;
    two queries however many."""
    if not kpi_ids:
        return set()
    joint = set(
        session.scalars(
            select(KpiOwner.kpi_id)
            .where(KpiOwner.kpi_id.in_(set(kpi_ids)))
            .group_by(KpiOwner.kpi_id)
            .having(func.count() >= 2)
        )
    )
    standings = kpi_standings(session, today, joint)
    return {kpi_id for kpi_id, standing in standings.items() if standing.status == "off_track"}


def participants_of(session: Session, kpi_ids: Collection[int]) -> dict[int, list[str]]:
    """KPI id -> its owners and the sponsors of the live initiatives it serves, sorted; two
    queries however many."""
    found: dict[int, set[str]] = {kpi_id: set() for kpi_id in kpi_ids}
    if not found:
        return {}
    owners = session.execute(
        select(KpiOwner.kpi_id, KpiOwner.role).where(KpiOwner.kpi_id.in_(set(kpi_ids)))
    )
    sponsors = session.execute(
        select(KpiInitiative.kpi_id, Initiative.sponsor)
        .join(Initiative, Initiative.id == KpiInitiative.initiative_id)
        .where(
            KpiInitiative.kpi_id.in_(set(kpi_ids)),
            Initiative.status.in_(LIVE_STATUSES),
            Initiative.sponsor.is_not(None),
        )
    )
    for kpi_id, role in [*owners, *sponsors]:
        found[kpi_id].add(role)
    return {kpi_id: sorted(roles) for kpi_id, roles in found.items()}


def open_reviews(session: Session, kpi_ids: Collection[int], today: date) -> list[Review]:
    """Open a review for each of `kpi_ids` that has none open; answers those opened.

    The caller has established that each KPI just became a missed joint KPI. `due_on` is
    `today` plus `review_due_days` (GET /settings). A review opened meanwhile by a concurrent
    transaction wins: the unique `open_kpi_id` refuses the second, which is then skipped.
    """
    if not kpi_ids:
        return []
    already = set(
        session.scalars(select(Review.open_kpi_id).where(Review.open_kpi_id.in_(set(kpi_ids))))
    )
    todo = sorted(set(kpi_ids) - already)
    if not todo:
        return []
    keys = _pairs(session.execute(select(Kpi.id, Kpi.key).where(Kpi.id.in_(todo))))
    participants = participants_of(session, todo)
    due_on = today + timedelta(days=current_settings(session).review_due_days)
    # A check run for a later day (catching up, or a test) dates the review that day.
    opened_at = max(utcnow(), datetime.combine(today, time.min, tzinfo=UTC))
    stems = {kpi_id: _stem(keys[kpi_id], opened_at) for kpi_id in todo}
    taken = set(
        session.scalars(
            select(Review.key).where(
                or_(Review.kpi_id.in_(todo), Review.key.in_(set(stems.values())))
            )
        )
    )
    reviews = [
        _review(kpi_id, _free_key(stems[kpi_id], taken), participants[kpi_id], opened_at, due_on)
        for kpi_id in todo
    ]
    try:
        # All at once (an import may put hundreds of KPIs off track); should a concurrent
        # transaction have opened one or taken a key, one at a time instead.
        with session.begin_nested():
            session.add_all(reviews)
            session.flush()
        return reviews
    except IntegrityError:
        pass
    opened: list[Review] = []
    for kpi_id in todo:
        review = _insert_one(
            session, kpi_id, stems[kpi_id], participants[kpi_id], opened_at, due_on
        )
        if review is not None:
            opened.append(review)
    return opened


def _stem(kpi_key: str, opened_at: datetime) -> str:
    return f"{kpi_key[:_KPI_KEY_PART].rstrip('.-_')}-{opened_at.date().isoformat()}"


def _free_key(stem: str, taken: set[str]) -> str:
    """`stem`, or `stem-2`, `stem-3`...: the first not in `taken` (which it then joins)."""
    key = stem
    suffix = 1
    while key in taken:
        suffix += 1
        key = f"{stem}-{suffix}"
    taken.add(key)
    return key


def _review(
    kpi_id: int, key: str, participants: list[str], opened_at: datetime, due_on: date
) -> Review:
    return Review(
        key=key,
        kpi_id=kpi_id,
        open_kpi_id=kpi_id,
        opened_at=opened_at,
        due_on=due_on,
        state="open",
        participant_rows=[ReviewParticipant(role=role) for role in participants],
    )


def _insert_one(
    session: Session,
    kpi_id: int,
    stem: str,
    participants: list[str],
    opened_at: datetime,
    due_on: date,
) -> Review | None:
    """Insert one open review under the first free key; None when one is open already."""
    taken = set(
        session.scalars(
            select(Review.key).where(or_(Review.key == stem, Review.key.startswith(f"{stem}-")))
        )
    )
    for _ in range(_MAX_KEY_TRIES):
        review = _review(kpi_id, _free_key(stem, taken), participants, opened_at, due_on)
        try:
            with session.begin_nested():
                session.add(review)
                session.flush()
            return review
        except IntegrityError:
            if session.scalar(select(Review.id).where(Review.open_kpi_id == kpi_id)) is not None:
                return None  # opened meanwhile by another transaction
            # Else the key was taken meanwhile: try the next one.
    return None


def open_due_reviews(session: Session, today: date) -> list[Review]:
    """Open a review for every joint KPI whose target date passed unmet, that is `off_track`
    as of `today` and has no review opened since its target date (nor one open): what
    `raci serve` checks periodically, since no request announces a date passing.

    Set-based (a few queries however many KPIs); running it again, or on many workers at
    once, opens nothing more. Answers the reviews opened.
    """
    passed = list(session.scalars(select(Kpi.id).where(Kpi.target_date < today)))
    missed = missed_joint_kpis(session, passed, today)
    if not missed:
        return []
    target_dates = _pairs(
        session.execute(select(Kpi.id, Kpi.target_date).where(Kpi.id.in_(missed)))
    )
    latest_opened = _pairs(
        session.execute(
            select(Review.kpi_id, func.max(Review.opened_at))
            .where(Review.kpi_id.in_(missed))
            .group_by(Review.kpi_id)
        )
    )
    due = [
        kpi_id
        for kpi_id in missed
        if kpi_id not in latest_opened
        or latest_opened[kpi_id].astimezone(UTC).date() <= target_dates[kpi_id]
    ]
    return open_reviews(session, due, today)
