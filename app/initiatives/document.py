"""An initiative's nested document: its components and their RACI cells, checked, loaded and
replaced as one.

Plain functions over a Session, shared by `PUT /initiatives/{key}` and the bulk import.
Every check and load takes a fixed number of queries, however many components and cells.
"""

from collections import defaultdict
from collections.abc import Collection, Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.components.models import Component
from app.core.errors import Unprocessable
from app.core.resources import summarise
from app.initiatives.schemas import ComponentDocument
from app.raci.models import RaciCell
from app.references import Loc, existing_capabilities, existing_roles

Problem = dict[str, Any]


@dataclass
class ComponentState:
    """A stored component with its cells by role code."""

    component: Component
    cells: dict[str, RaciCell] = field(default_factory=dict)

    @property
    def raci(self) -> dict[str, str]:
        return {role: self.cells[role].raci for role in sorted(self.cells)}

    @property
    def agreements(self) -> dict[str, RaciCell]:
        """The cells by role code, in order (their agreement columns)."""
        return {role: self.cells[role] for role in sorted(self.cells)}

    @property
    def rationales(self) -> dict[str, str]:
        """The cells' rationales that are set, by role code."""
        return {
            role: rationale
            for role in sorted(self.cells)
            if (rationale := self.cells[role].rationale) is not None
        }


def named_roles(sponsor: str | None, components: Iterable[ComponentDocument]) -> set[str]:
    """Every role code a document names: its sponsor and the roles of its cells."""
    codes = {code for component in components for code in component.raci}
    return codes | {sponsor} if sponsor is not None else codes


def named_capabilities(components: Iterable[ComponentDocument]) -> set[str]:
    return {c.capability for c in components if c.capability is not None}


def document_problems(
    sponsor: str | None,
    components: Sequence[ComponentDocument] | None,
    *,
    roles: Collection[str],
    capabilities: Collection[str],
    loc: Loc = ("body",),
) -> list[Problem]:
    """What is wrong with a document, given the role codes and capability keys that exist.

    Unknown sponsor, unknown capabilities and roles of cells, and component keys given twice,
    each named by its location under `loc`. No queries: a bulk import looks the references
    of all its documents up at once, adds those it brings itself, and calls this per document.
    """
    problems: list[Problem] = []
    if sponsor is not None and sponsor not in roles:
        problems.append({"loc": [*loc, "sponsor"], "msg": f"unknown role '{sponsor}'"})
    first_index: dict[str, int] = {}
    for index, component in enumerate(components or ()):
        at = [*loc, "components", index]
        earlier = first_index.setdefault(component.key, index)
        if earlier != index:
            problems.append(
                {
                    "loc": [*at, "key"],
                    "msg": f"component '{component.key}' is already given at index {earlier}",
                }
            )
        if component.capability is not None and component.capability not in capabilities:
            problems.append(
                {"loc": [*at, "capability"], "msg": f"unknown capability '{component.capability}'"}
            )
        for code in component.raci:
            if code not in roles:
                problems.append({"loc": [*at, "raci", code], "msg": f"unknown role '{code}'"})
        for code in component.rationales:
            if code not in component.raci:
                problems.append(
                    {
                        "loc": [*at, "rationales", code],
                        "msg": f"is a rationale for a cell of role '{code}', which `raci` does not give",
                    }
                )
    return problems


def check_document(
    session: Session,
    sponsor: str | None,
    components: Sequence[ComponentDocument] | None,
    *,
    loc: Loc = ("body",),
) -> None:
    """422 naming every bad reference or duplicate in the document; one query per kind."""
    listed = components or ()
    problems = document_problems(
        sponsor,
        components,
        roles=existing_roles(session, named_roles(sponsor, listed)),
        capabilities=existing_capabilities(session, named_capabilities(listed)),
        loc=loc,
    )
    if problems:
        raise Unprocessable(summarise(problems), problems)


def load_components(
    session: Session, initiative_ids: Collection[int]
) -> dict[int, list[ComponentState]]:
    """The components of each initiative, ordered by key, with their cells: two queries."""
    if not initiative_ids:
        return {}
    components = session.scalars(
        select(Component)
        .where(Component.initiative_id.in_(set(initiative_ids)))
        .order_by(Component.initiative_id, Component.key)
    ).all()
    states = {component.id: ComponentState(component) for component in components}
    if states:
        cells = session.scalars(
            select(RaciCell)
            .join(Component, Component.id == RaciCell.component_id)
            .where(Component.initiative_id.in_(set(initiative_ids)))
        )
        for cell in cells:
            states[cell.component_id].cells[cell.role] = cell
    by_initiative: dict[int, list[ComponentState]] = defaultdict(list)
    for state in states.values():
        by_initiative[state.component.initiative_id].append(state)
    return dict(by_initiative)
