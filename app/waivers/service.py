"""Waivers: findings accepted knowingly, each with its rationale and an optional end.

A waiver names one finding as the finding names itself: its rule and its subject
(`initiative`, `component`, `capability`, `kpi`, null where the finding has none). The
findings report leaves out each finding an active waiver names (app.reports.findings); a
waiver is active before its `expires_on`.
"""

from collections.abc import Collection
from dataclasses import dataclass
from datetime import date
from typing import Any

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from app.capabilities.models import Capability
from app.components.models import Component
from app.core.errors import NotFound, Unprocessable
from app.core.pagination import PageParams, page_of, split_page
from app.core.preconditions import IfMatch
from app.core.resources import check_identity, merge_patch, summarise, validate_as
from app.db.writes import assign, insert_new
from app.initiatives.models import Initiative
from app.kpis.models import Kpi
from app.waivers.models import SUBJECT_FIELDS, WAIVER_FIELDS, Waiver
from app.waivers.schemas import WaiverCreate, WaiverFields, WaiverReplace

Subject = tuple[str, str | None, str | None, str | None, str | None]
"""(rule, initiative, component, capability, kpi): how a finding and its waiver meet."""


@dataclass(frozen=True, slots=True)
class AppliedWaiver:
    """What a report shows of the waiver that accepted a finding."""

    key: str
    rationale: str
    created_by: str
    expires_on: date | None


@dataclass(frozen=True)
class WaiverFilters:
    """List filters; several values in one mean "any of"."""

    rules: Collection[str] = ()
    initiatives: Collection[str] = ()
    active: bool | None = None


def is_active(waiver: Waiver, on: date) -> bool:
    """Whether `waiver` waives its finding on `on`: until the day before `expires_on`."""
    return waiver.expires_on is None or on < waiver.expires_on


def active_waivers(session: Session, on: date) -> dict[Subject, AppliedWaiver]:
    """Every waiver active on `on`, by the subject it names; one query. Were two waivers to
    name one finding, the one first by key is shown."""
    rows = session.scalars(
        select(Waiver)
        .where(or_(Waiver.expires_on.is_(None), Waiver.expires_on > on))
        .order_by(Waiver.key.desc())
    )
    return {
        subject_of(row): AppliedWaiver(row.key, row.rationale, row.created_by, row.expires_on)
        for row in rows
    }


def subject_of(waiver: Waiver) -> Subject:
    return (waiver.rule, waiver.initiative, waiver.component, waiver.capability, waiver.kpi)


def find_waiver(session: Session, key: str) -> Waiver | None:
    return session.scalar(select(Waiver).where(Waiver.key == key))


def get_waiver(session: Session, key: str) -> Waiver:
    waiver = find_waiver(session, key)
    if waiver is None:
        raise NotFound(f"No waiver with key '{key}'")
    return waiver


def list_waivers(
    session: Session, page: PageParams, filters: WaiverFilters, today: date
) -> tuple[list[Waiver], str | None]:
    """One page of waivers by key, narrowed by rule, initiative and whether active today."""
    stmt = select(Waiver)
    if filters.rules:
        stmt = stmt.where(Waiver.rule.in_(set(filters.rules)))
    if filters.initiatives:
        stmt = stmt.where(Waiver.initiative.in_(set(filters.initiatives)))
    if filters.active is True:
        stmt = stmt.where(or_(Waiver.expires_on.is_(None), Waiver.expires_on > today))
    elif filters.active is False:
        stmt = stmt.where(Waiver.expires_on <= today)
    rows = list(session.scalars(page_of(stmt, Waiver.key, page)))
    return split_page(rows, page, lambda waiver: waiver.key)


def create_waiver(session: Session, data: WaiverCreate, created_by: str) -> Waiver:
    """Add a waiver; 422 when its subject does not exist, 409 when the key is taken."""
    _check_subject(session, data)
    return insert_new(
        session,
        Waiver(key=data.key, created_by=created_by, **_fields(data)),
        f"A waiver with key '{data.key}' already exists",
    )


def put_waiver(
    session: Session, key: str, data: WaiverReplace, if_match: IfMatch, actor: str
) -> tuple[Waiver, bool]:
    """Create or replace; True when it created. `created_by` stays who created it."""
    check_identity("key", key, data.key)
    waiver = find_waiver(session, key)
    if_match.check(waiver.version if waiver else None)
    if waiver is None:
        return create_waiver(session, WaiverCreate(key=key, **_fields(data)), actor), True
    _check_subject(session, data)
    assign(waiver, _fields(data))
    session.flush()
    return waiver, False


def patch_waiver(session: Session, key: str, patch: dict[str, Any], if_match: IfMatch) -> Waiver:
    """A JSON merge patch; `{"expires_on": "<today>"}` expires the waiver."""
    waiver = get_waiver(session, key)
    if_match.check(waiver.version)
    check_identity("key", key, patch.pop("key", None))
    current = {name: getattr(waiver, name) for name in WAIVER_FIELDS if name != "created_by"}
    merged = validate_as(WaiverFields, merge_patch(current, patch))
    _check_subject(session, merged)
    assign(waiver, _fields(merged))
    session.flush()
    return waiver


def delete_waiver(session: Session, key: str, if_match: IfMatch) -> None:
    waiver = get_waiver(session, key)
    if_match.check(waiver.version)
    session.delete(waiver)
    session.flush()


def _check_subject(session: Session, data: WaiverFields) -> None:
    """Every subject the waiver names exists (one 422 naming each that does not), and it
    names at least one: a waiver accepts one finding, never a whole rule."""
    if all(getattr(data, name) is None for name in SUBJECT_FIELDS):
        raise Unprocessable.at(
            ["body"],
            "names no subject: give the finding's initiative, component, capability or kpi "
            "(to silence a whole rule, switch it off with PATCH /rules/{code})",
        )
    errors: list[dict[str, Any]] = []

    def exists(stmt: Any) -> bool:
        return session.scalar(stmt) is not None

    if data.initiative is not None:
        initiative_id = session.scalar(
            select(Initiative.id).where(Initiative.key == data.initiative)
        )
        if initiative_id is None:
            errors.append(_unknown("initiative", data.initiative))
        elif data.component is not None and not exists(
            select(Component.id).where(
                Component.initiative_id == initiative_id, Component.key == data.component
            )
        ):
            errors.append(
                {
                    "loc": ["body", "component"],
                    "msg": f"initiative '{data.initiative}' has no component '{data.component}'",
                }
            )
    elif data.component is not None:
        errors.append({"loc": ["body", "component"], "msg": "names a component but no initiative"})
    if data.capability is not None and not exists(
        select(Capability.id).where(Capability.key == data.capability)
    ):
        errors.append(_unknown("capability", data.capability))
    if data.kpi is not None and not exists(select(Kpi.id).where(Kpi.key == data.kpi)):
        errors.append(_unknown("kpi", data.kpi))
    if errors:
        raise Unprocessable(summarise(errors), errors)


def _unknown(kind: str, key: str) -> dict[str, Any]:
    return {"loc": ["body", kind], "msg": f"unknown {kind} '{key}'"}


def _fields(data: WaiverFields) -> dict[str, Any]:
    return {
        "rule": data.rule,
        "initiative": data.initiative,
        "component": data.component,
        "capability": data.capability,
        "kpi": data.kpi,
        "rationale": data.rationale,
        "expires_on": data.expires_on,
    }
