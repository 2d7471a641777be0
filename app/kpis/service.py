"""KPIs: measures the leaders agreed on, the roles that own them, the initiatives they serve.

A KPI's `latest` measurement and `status` are never stored: they are computed as of a date
(see app.kpis.measurements and app.kpis.status), for a whole page at once.
"""

from collections.abc import Collection, Sequence
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from sqlalchemy import Select, select
from sqlalchemy.orm import Session, raiseload

from app.core.errors import NotFound, Unprocessable
from app.core.pagination import PageParams, page_of, split_page
from app.core.preconditions import IfMatch
from app.core.resources import check_identity, merge_patch, summarise, validate_as
from app.db.writes import assign, insert_new, touch
from app.initiatives.models import Initiative
from app.kpis.measurements import Latest, latest_measurements, status_of, targets_of
from app.kpis.models import Kpi, KpiInitiative, KpiOwner
from app.kpis.schemas import KpiCreate, KpiFields, KpiReplace
from app.kpis.status import KpiStatus
from app.references import Loc, existing_roles, initiative_ids

BODY: Loc = ("body",)
# With a status filter the list reads KPIs in key order, this many at a time, until the
# page is full: status is computed, so it cannot be a WHERE clause.
STATUS_SCAN_BATCH = 500


@dataclass(frozen=True)
class KpiView:
    """A KPI with what is computed about it as of a date."""

    kpi: Kpi
    owners: list[str]
    initiatives: list[str]
    latest: Latest | None
    status: KpiStatus

    @property
    def joint(self) -> bool:
        return len(self.owners) >= 2


@dataclass(frozen=True)
class KpiFilters:
    """List filters; within each, several values mean "any of"."""

    owners: Collection[str] = field(default_factory=tuple)
    initiatives: Collection[str] = field(default_factory=tuple)
    statuses: Collection[str] = field(default_factory=tuple)


def find_kpi(session: Session, key: str) -> Kpi | None:
    return session.scalar(select(Kpi).where(Kpi.key == key))


def get_kpi_row(session: Session, key: str) -> Kpi:
    kpi = find_kpi(session, key)
    if kpi is None:
        raise NotFound(f"No KPI with key '{key}'")
    return kpi


def get_kpi(session: Session, key: str, as_of: date) -> KpiView:
    """One KPI as of `as_of`: measurements taken after that day are not seen."""
    return describe(session, [get_kpi_row(session, key)], as_of)[0]


def describe(session: Session, kpis: Sequence[Kpi], as_of: date) -> list[KpiView]:
    """Views of `kpis` as of `as_of`; a constant number of queries however many there are."""
    ids = [kpi.id for kpi in kpis]
    latest = latest_measurements(session, as_of, ids)
    initiatives = _initiative_keys(session, ids)
    return [
        KpiView(
            kpi=kpi,
            owners=sorted(row.role for row in kpi.owner_rows),
            initiatives=initiatives.get(kpi.id, []),
            latest=latest.get(kpi.id),
            status=status_of(targets_of(kpi), latest.get(kpi.id), as_of),
        )
        for kpi in kpis
    ]


def list_kpis(
    session: Session, page: PageParams, as_of: date, filters: KpiFilters
) -> tuple[list[KpiView], str | None]:
    """KPIs ordered by key, as of `as_of`, narrowed by owner, initiative and status."""
    stmt = _filtered(filters)
    if not filters.statuses:
        rows = list(session.scalars(page_of(stmt, Kpi.key, page)))
        rows, next_cursor = split_page(rows, page, lambda kpi: kpi.key)
        return describe(session, rows, as_of), next_cursor
    matches: list[KpiView] = []
    after = page.after
    while len(matches) <= page.limit:
        batch_stmt = stmt.order_by(Kpi.key).limit(STATUS_SCAN_BATCH)
        if after is not None:
            batch_stmt = batch_stmt.where(Kpi.key > after)
        batch = list(session.scalars(batch_stmt))
        if not batch:
            break
        latest = latest_measurements(session, as_of, [kpi.id for kpi in batch])
        wanted = [
            kpi
            for kpi in batch
            if status_of(targets_of(kpi), latest.get(kpi.id), as_of) in filters.statuses
        ]
        matches += describe(session, wanted[: page.limit + 1 - len(matches)], as_of)
        after = batch[-1].key
        if len(batch) < STATUS_SCAN_BATCH:
            break
    return split_page(matches, page, lambda view: view.kpi.key)


def _filtered(filters: KpiFilters) -> Select[Kpi]:
    # Owners come from the selectin load; initiative keys from one query in `describe`.
    stmt = select(Kpi).options(raiseload(Kpi.initiative_rows))
    if filters.owners:
        stmt = stmt.where(
            Kpi.id.in_(select(KpiOwner.kpi_id).where(KpiOwner.role.in_(set(filters.owners))))
        )
    if filters.initiatives:
        stmt = stmt.where(
            Kpi.id.in_(
                select(KpiInitiative.kpi_id)
                .join(Initiative, Initiative.id == KpiInitiative.initiative_id)
                .where(Initiative.key.in_(set(filters.initiatives)))
            )
        )
    return stmt


def _initiative_keys(session: Session, kpi_ids: Collection[int]) -> dict[int, list[str]]:
    """KPI id -> the keys of the initiatives it serves, sorted; one query."""
    if not kpi_ids:
        return {}
    rows = session.execute(
        select(KpiInitiative.kpi_id, Initiative.key)
        .join(Initiative, Initiative.id == KpiInitiative.initiative_id)
        .where(KpiInitiative.kpi_id.in_(set(kpi_ids)))
        .order_by(Initiative.key)
    )
    keys: dict[int, list[str]] = {}
    for kpi_id, key in rows:
        keys.setdefault(kpi_id, []).append(key)
    return keys


def create_kpi(session: Session, data: KpiCreate, loc: Loc = BODY) -> Kpi:
    """Add a KPI. 422 for unknown or repeated owners or initiatives; 409 if the key is taken.

    `loc` is where the KPI sits in the request, for the `errors` of a 422 (a bulk import
    passes e.g. `("body", "kpis", 3)`).
    """
    return _create(session, data.key, data, loc)


def _create(session: Session, key: str, data: KpiFields, loc: Loc) -> Kpi:
    ids = _checked_initiative_ids(session, data, loc)
    kpi = Kpi(
        key=key,
        **_fields(data),
        owner_rows=[KpiOwner(role=role) for role in sorted(set(data.owners))],
        initiative_rows=[KpiInitiative(initiative_id=id_) for id_ in sorted(ids.values())],
    )
    return insert_new(session, kpi, f"A KPI with key '{key}' already exists")


def put_kpi(
    session: Session, key: str, data: KpiReplace, if_match: IfMatch, loc: Loc = BODY
) -> tuple[Kpi, bool]:
    """Create or replace; True when it created. The same content again changes nothing."""
    check_identity("key", key, data.key)
    kpi = find_kpi(session, key)
    if_match.check(kpi.version if kpi else None)
    if kpi is None:
        return _create(session, key, data, loc), True
    _replace(session, kpi, data, loc)
    return kpi, False


def patch_kpi(
    session: Session, key: str, patch: dict[str, Any], if_match: IfMatch, loc: Loc = BODY
) -> Kpi:
    """Apply a JSON merge patch; `owners` and `initiatives`, being lists, are replaced whole."""
    kpi = get_kpi_row(session, key)
    if_match.check(kpi.version)
    check_identity("key", key, patch.pop("key", None))
    current = {
        **_fields_of(kpi),
        "owners": sorted(row.role for row in kpi.owner_rows),
        "initiatives": _initiative_keys(session, [kpi.id]).get(kpi.id, []),
    }
    merged = validate_as(KpiFields, merge_patch(current, patch), loc_prefix=loc)
    _replace(session, kpi, merged, loc)
    return kpi


def delete_kpi(session: Session, key: str, if_match: IfMatch) -> None:
    """Delete a KPI with its owners, initiative links and measurements."""
    kpi = get_kpi_row(session, key)
    if_match.check(kpi.version)
    session.delete(kpi)
    session.flush()


def _replace(session: Session, kpi: Kpi, data: KpiFields, loc: Loc) -> None:
    """Set every writable field; the version rises only if something actually changed."""
    ids = _checked_initiative_ids(session, data, loc)
    assign(kpi, _fields(data))
    owners_changed = _sync_owners(kpi, set(data.owners))
    initiatives_changed = _sync_initiatives(kpi, set(ids.values()))
    if owners_changed or initiatives_changed:
        touch(kpi)
    session.flush()


def _sync_owners(kpi: Kpi, wanted: set[str]) -> bool:
    """Make the owner rows exactly `wanted`, touching only the difference; True if any changed."""
    have = {row.role for row in kpi.owner_rows}
    for row in [row for row in kpi.owner_rows if row.role not in wanted]:
        kpi.owner_rows.remove(row)
    kpi.owner_rows.extend(KpiOwner(role=role) for role in sorted(wanted - have))
    return have != wanted


def _sync_initiatives(kpi: Kpi, wanted: set[int]) -> bool:
    have = {row.initiative_id for row in kpi.initiative_rows}
    for row in [row for row in kpi.initiative_rows if row.initiative_id not in wanted]:
        kpi.initiative_rows.remove(row)
    kpi.initiative_rows.extend(KpiInitiative(initiative_id=id_) for id_ in sorted(wanted - have))
    return have != wanted


def _checked_initiative_ids(session: Session, data: KpiFields, loc: Loc) -> dict[str, int]:
    """Check what a schema cannot: date order, repeats, references. All problems in one 422.

    Answers the ids of the initiatives named.
    """
    errors: list[dict[str, Any]] = []
    if data.target_date <= data.baseline_date:
        errors.append(
            {
                "loc": [*loc, "target_date"],
                "msg": f"must be after baseline_date ({data.baseline_date.isoformat()})",
            }
        )
    roles = existing_roles(session, data.owners)
    errors += _reference_errors("role", data.owners, roles, [*loc, "owners"])
    ids = initiative_ids(session, data.initiatives)
    errors += _reference_errors("initiative", data.initiatives, ids.keys(), [*loc, "initiatives"])
    if errors:
        raise Unprocessable(summarise(errors), errors)
    return ids


def _reference_errors(
    kind: str, named: Sequence[str], existing: Collection[str], loc: list[str | int]
) -> list[dict[str, Any]]:
    """An error for each item of `named` that is unknown or repeats an earlier one."""
    errors: list[dict[str, Any]] = []
    seen: set[str] = set()
    for index, value in enumerate(named):
        if value in seen:
            errors.append({"loc": [*loc, index], "msg": f"names {kind} '{value}' twice"})
        elif value not in existing:
            errors.append({"loc": [*loc, index], "msg": f"unknown {kind} '{value}'"})
        seen.add(value)
    return errors


_SCALARS = ("name", "unit", "direction", "baseline", "baseline_date", "target", "target_date")


def _fields(data: KpiFields) -> dict[str, Any]:
    return {name: getattr(data, name) for name in _SCALARS}


def _fields_of(kpi: Kpi) -> dict[str, Any]:
    return {name: getattr(kpi, name) for name in _SCALARS}
