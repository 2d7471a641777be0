"""Everything wrong with an import document, each problem named by its path. No queries."""

from collections.abc import Iterable
from typing import Any

from app.imports.schemas import ImportDocument
from app.imports.state import PortfolioState
from app.initiatives.document import document_problems

Problem = dict[str, Any]

BODY = ("body",)


def _duplicates(part: str, keys: Iterable[str], label: str) -> list[Problem]:
    problems: list[Problem] = []
    first: dict[str, int] = {}
    for index, key in enumerate(keys):
        earlier = first.setdefault(key, index)
        if earlier != index:
            problems.append(
                {
                    "loc": [*BODY, part, index, label],
                    "msg": f"'{key}' is already given at {part}[{earlier}]",
                }
            )
    return problems


def document_errors(document: ImportDocument, state: PortfolioState) -> list[Problem]:
    """Duplicates, unknown references and conflicting measurements, in document order."""
    problems: list[Problem] = []
    problems += _duplicates("roles", (role.code for role in document.roles), "code")
    problems += _duplicates("capabilities", (c.key for c in document.capabilities), "key")
    problems += _duplicates("initiatives", (i.key for i in document.initiatives), "key")
    problems += _duplicates("kpis", (kpi.key for kpi in document.kpis), "key")
    problems += _duplicates("rules", (rule.code for rule in document.rules), "code")

    roles = set(state.roles) | {role.code for role in document.roles}
    capabilities = set(state.capabilities) | {c.key for c in document.capabilities}
    initiatives = (
        set(state.initiatives)
        | set(state.other_initiatives)
        | {i.key for i in document.initiatives}
    )
    kpis = set(state.kpis) | {kpi.key for kpi in document.kpis}

    for index, capability in enumerate(document.capabilities):
        if capability.agreed_owner is not None and capability.agreed_owner not in roles:
            problems.append(
                {
                    "loc": [*BODY, "capabilities", index, "agreed_owner"],
                    "msg": f"unknown role '{capability.agreed_owner}'",
                }
            )
    for index, initiative in enumerate(document.initiatives):
        problems += document_problems(
            initiative.sponsor,
            initiative.components,
            roles=roles,
            capabilities=capabilities,
            loc=(*BODY, "initiatives", index),
        )
    for index, kpi in enumerate(document.kpis):
        at = [*BODY, "kpis", index]
        for position, owner in enumerate(kpi.owners):
            if owner not in roles:
                problems.append(
                    {"loc": [*at, "owners", position], "msg": f"unknown role '{owner}'"}
                )
            elif owner in kpi.owners[:position]:
                problems.append(
                    {"loc": [*at, "owners", position], "msg": f"owner '{owner}' is given twice"}
                )
        for position, key in enumerate(kpi.initiatives):
            if key not in initiatives:
                problems.append(
                    {"loc": [*at, "initiatives", position], "msg": f"unknown initiative '{key}'"}
                )
            elif key in kpi.initiatives[:position]:
                problems.append(
                    {
                        "loc": [*at, "initiatives", position],
                        "msg": f"initiative '{key}' is given twice",
                    }
                )
    for kpi_key, measurements in document.measurements.items():
        at = [*BODY, "measurements", kpi_key]
        if kpi_key not in kpis:
            problems.append({"loc": at, "msg": f"unknown KPI '{kpi_key}'"})
            continue
        stored = state.kpis[kpi_key].measurements if kpi_key in state.kpis else {}
        seen: dict[Any, int] = {}
        for position, measurement in enumerate(measurements):
            earlier = seen.setdefault(measurement.measured_at, position)
            if earlier != position:
                problems.append(
                    {
                        "loc": [*at, position, "measured_at"],
                        "msg": f"is already given at measurements.{kpi_key}[{earlier}]",
                    }
                )
            elif (
                measurement.measured_at in stored
                and stored[measurement.measured_at] != measurement.value
            ):
                problems.append(
                    {
                        "loc": [*at, position, "value"],
                        "msg": f"a measurement at {measurement.measured_at.isoformat()} is already "
                        f"stored with value {stored[measurement.measured_at]:g}; measurements cannot be changed",
                    }
                )
    return problems
