"""Checks that the roles, capabilities and initiatives a body names exist (422 otherwise).

One query per kind of reference, however many the body names.
"""

from collections.abc import Collection, Mapping, Sequence

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.capabilities.models import Capability
from app.core.errors import NotFound, Unprocessable
from app.initiatives.models import Initiative
from app.kpis.models import Kpi
from app.roles.models import Role

Loc = Sequence[str | int]


def existing_roles(session: Session, codes: Collection[str]) -> set[str]:
    if not codes:
        return set()
    return set(session.scalars(select(Role.code).where(Role.code.in_(set(codes)))))


def existing_capabilities(session: Session, keys: Collection[str]) -> set[str]:
    if not keys:
        return set()
    return set(session.scalars(select(Capability.key).where(Capability.key.in_(set(keys)))))


def initiative_ids(session: Session, keys: Collection[str]) -> dict[str, int]:
    """Key to id for those of `keys` that exist."""
    if not keys:
        return {}
    rows = session.execute(
        select(Initiative.key, Initiative.id).where(Initiative.key.in_(set(keys)))
    )
    return {key: id_ for key, id_ in rows}


def require_all(kind: str, named: Mapping[str, Loc], existing: Collection[str]) -> None:
    """422 naming every location in `named` (value -> where the body names it) that is unknown."""
    missing = [(value, loc) for value, loc in named.items() if value not in existing]
    if missing:
        errors = [{"loc": list(loc), "msg": f"unknown {kind} '{value}'"} for value, loc in missing]
        raise Unprocessable(
            f"Unknown {kind} '{missing[0][0]}'"
            + (f" (and {len(missing) - 1} more)" if len(missing) > 1 else ""),
            errors,
        )


def require_roles(session: Session, named: Mapping[str, Loc]) -> None:
    require_all("role", named, existing_roles(session, named.keys()))


def require_capabilities(session: Session, named: Mapping[str, Loc]) -> None:
    require_all("capability", named, existing_capabilities(session, named.keys()))


def require_initiatives(session: Session, named: Mapping[str, Loc]) -> dict[str, int]:
    ids = initiative_ids(session, named.keys())
    require_all("initiative", named, ids.keys())
    return ids


def require_named_subjects(
    session: Session,
    *,
    initiatives: Collection[str] | None,
    roles: Collection[str] | None,
    kpis: Collection[str] | None,
) -> None:
    """404 when a report's filter names an initiative, role or KPI that does not exist (a
    typo must not pass a `--fail-on` gate as "no findings")."""
    for kind, named, existing in (
        ("initiative", initiatives, lambda keys: initiative_ids(session, keys).keys()),
        ("role", roles, lambda codes: existing_roles(session, codes)),
        ("KPI", kpis, lambda keys: _existing_kpis(session, keys)),
    ):
        if not named:
            continue
        missing = sorted(set(named) - set(existing(named)))
        if missing:
            listed = ", ".join(f"'{value}'" for value in missing)
            raise NotFound(
                f"The {kind} filter names no existing {kind}: {listed}",
                unknown={kind.lower(): missing},
            )


def _existing_kpis(session: Session, keys: Collection[str]) -> set[str]:
    return set(session.scalars(select(Kpi.key).where(Kpi.key.in_(set(keys)))))
