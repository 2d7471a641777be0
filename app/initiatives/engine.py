"""The one write engine for initiative documents: `PUT /initiatives/{key}` applies one
document through it and `POST /imports` (and everything built on it) a batch of them.

An initiative's document is its fields, its tags, and optionally its components with their
RACI cells. The engine compares each document with what is stored (app.initiatives.stored),
writes only the differences with multi-row Core statements (app.db.bulk), stamps versions
and times, counts what it did, and hands the audit trail one entry per changed resource
(app.db.changes). An initiative's version covers its whole document: it rises by one when
its fields, tags, components or cells change, and not at all for an identical document.
"""

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime

from sqlalchemy.orm import Session

from app.components.models import COMPONENT_FIELDS, Component
from app.core.jsonable import jsonable
from app.db import bulk
from app.db.base import table_of
from app.db.changes import AuditRecord, ResourceType, change, record
from app.initiatives.models import INITIATIVE_FIELDS, Initiative, InitiativeTag
from app.initiatives.schemas import ComponentDocument, InitiativeDocument
from app.initiatives.stored import Fields, StoredCell, StoredInitiative
from app.raci.models import PROPOSED, RaciCell


@dataclass
class Tally:
    """What the engine did to one kind of resource."""

    created: int = 0
    updated: int = 0
    unchanged: int = 0
    deleted: int = 0


@dataclass
class DocumentEngine:
    """Applies initiative documents against `stored` (the initiatives they name, as loaded by
    `load_initiatives` in this transaction) at time `now`.

    After `apply`, `initiative_ids` maps every applied key to its row id and the tallies say
    what changed; the audit entries have been handed to the transaction.
    """

    session: Session
    stored: Mapping[str, StoredInitiative]
    now: datetime
    initiative_counts: Tally = field(default_factory=Tally)
    component_counts: Tally = field(default_factory=Tally)
    cell_counts: Tally = field(default_factory=Tally)
    initiative_ids: dict[str, int] = field(default_factory=dict)
    audit: list[AuditRecord] = field(default_factory=list)

    def apply(self, documents: Sequence[InitiativeDocument]) -> None:
        """Write what differs between `documents` and what is stored; the caller has
        checked their references (roles, capabilities) and keys."""
        self.initiatives(documents)
        record(self.session, self.audit)
        self.audit = []

    def _audit(
        self, resource_type: ResourceType, key: str, before: Fields | None, after: Fields | None
    ) -> None:
        self.audit.append(
            change(
                resource_type,
                key,
                None if before is None else _json_ready(before),
                None if after is None else _json_ready(after),
            )
        )

    def _stamp(self, row: Fields) -> Fields:
        return row | {"version": 1, "created_at": self.now, "updated_at": self.now}

    def initiatives(self, documents: Sequence[InitiativeDocument]) -> None:
        counts = self.initiative_counts
        self.initiative_ids = {key: s.id for key, s in self.stored.items()}
        new_rows, updates, tag_changes = [], [], {}
        for document in documents:
            values = {name: getattr(document, name) for name in INITIATIVE_FIELDS}
            stored = self.stored.get(document.key)
            after = {"key": document.key, **values, "tags": document.tags}
            if stored is None:
                new_rows.append(self._stamp({"key": document.key, **values}))
                counts.created += 1
                self._audit("initiative", document.key, None, after)
                continue
            own_change = stored.fields != values or stored.tags != document.tags
            children_changed = document.components is not None and self._components_differ(
                stored, document.components
            )
            if own_change:
                self._audit(
                    "initiative",
                    document.key,
                    {"key": document.key, **stored.fields, "tags": stored.tags},
                    after,
                )
            if stored.tags != document.tags:
                tag_changes[stored.id] = document.tags
            if own_change or children_changed:
                # The initiative's version covers its whole document, children included.
                updates.append({"id": stored.id, **values})
                counts.updated += 1
            else:
                counts.unchanged += 1

        for row in bulk.insert_rows(
            self.session, table_of(Initiative), new_rows, returning=("id", "key")
        ):
            self.initiative_ids[row.key] = row.id
        bulk.update_rows(self.session, table_of(Initiative), updates, INITIATIVE_FIELDS, self.now)
        for document in documents:
            if document.key not in self.stored and document.tags:
                tag_changes[self.initiative_ids[document.key]] = document.tags
        self._replace_tags(tag_changes)
        self._components(documents)

    def _replace_tags(self, tags_by_initiative: dict[int, list[str]]) -> None:
        table = table_of(InitiativeTag)
        bulk.delete_rows(self.session, table, [{"initiative_id": i} for i in tags_by_initiative])
        rows = [
            {"initiative_id": i, "tag": tag}
            for i, tags in tags_by_initiative.items()
            for tag in tags
        ]
        bulk.insert_rows(self.session, table, rows)

    @staticmethod
    def _components_differ(
        stored: StoredInitiative, components: Sequence[ComponentDocument]
    ) -> bool:
        if {c.key for c in components} != set(stored.components):
            return True
        for component in components:
            current = stored.components[component.key]
            values = {name: getattr(component, name) for name in COMPONENT_FIELDS}
            cells = {role: cell.raci for role, cell in current.cells.items()}
            if current.fields != values or cells != component.raci:
                return True
            if any(
                current.cells[role].rationale != rationale
                for role, rationale in component.rationales.items()
                if role in current.cells
            ):
                return True
        return False

    def _components(self, documents: Sequence[InitiativeDocument]) -> None:
        components, cells = self.component_counts, self.cell_counts
        new_components: list[Fields] = []
        component_updates: list[Fields] = []
        removed_components: list[int] = []
        # initiative, component, role, raci, rationale
        cell_inserts: list[tuple[str, str, str, str, str | None]] = []
        letter_updates: list[Fields] = []
        rationale_updates: list[Fields] = []
        cell_deletes: list[Fields] = []

        for document in documents:
            if document.components is None:
                continue
            stored = self.stored.get(document.key)
            stored_components = stored.components if stored else {}
            wanted = {component.key: component for component in document.components}
            for key, gone in stored_components.items():
                if key in wanted:
                    continue
                removed_components.append(gone.id)
                components.deleted += 1
                self._audit(
                    "component",
                    f"{document.key}/{key}",
                    {"initiative": document.key, "key": key, **gone.fields},
                    None,
                )
                for role, cell in gone.cells.items():
                    cells.deleted += 1
                    self._audit(
                        "raci_cell",
                        f"{document.key}/{key}/{role}",
                        _cell_state(document.key, key, role, cell),
                        None,
                    )
            for key, component in wanted.items():
                values = {name: getattr(component, name) for name in COMPONENT_FIELDS}
                address = f"{document.key}/{key}"
                current = stored_components.get(key)
                if current is None:
                    new_components.append(
                        self._stamp(
                            {
                                "initiative_id": self.initiative_ids[document.key],
                                "key": key,
                                **values,
                            }
                        )
                    )
                    components.created += 1
                    self._audit(
                        "component",
                        address,
                        None,
                        {"initiative": document.key, "key": key, **values},
                    )
                    for role, raci in component.raci.items():
                        rationale = component.rationales.get(role)
                        cell_inserts.append((document.key, key, role, raci, rationale))
                        cells.created += 1
                        self._audit(
                            "raci_cell",
                            f"{address}/{role}",
                            None,
                            _cell_state(document.key, key, role, StoredCell(raci, rationale)),
                        )
                    continue
                if current.fields != values:
                    component_updates.append({"id": current.id, **values})
                    components.updated += 1
                    self._audit(
                        "component",
                        address,
                        {"initiative": document.key, "key": key, **current.fields},
                        {"initiative": document.key, "key": key, **values},
                    )
                else:
                    components.unchanged += 1
                for role, cell in current.cells.items():
                    if role not in component.raci:
                        cell_deletes.append({"component_id": current.id, "role": role})
                        cells.deleted += 1
                        self._audit(
                            "raci_cell",
                            f"{address}/{role}",
                            _cell_state(document.key, key, role, cell),
                            None,
                        )
                for role, raci in component.raci.items():
                    existing = current.cells.get(role)
                    # A rationale the document leaves out is kept as it is.
                    rationale = component.rationales.get(
                        role, existing.rationale if existing is not None else None
                    )
                    if existing is None:
                        cell_inserts.append((document.key, key, role, raci, rationale))
                        cells.created += 1
                        self._audit(
                            "raci_cell",
                            f"{address}/{role}",
                            None,
                            _cell_state(document.key, key, role, StoredCell(raci, rationale)),
                        )
                    elif existing.raci != raci or existing.rationale != rationale:
                        # New letters re-open the agreement; a new rationale alone keeps it.
                        after = StoredCell(
                            raci,
                            rationale,
                            existing.agreement if existing.raci == raci else dict(PROPOSED),
                        )
                        row = {"component_id": current.id, "role": role, "rationale": rationale}
                        if existing.raci == raci:
                            rationale_updates.append(row)
                        else:
                            letter_updates.append(
                                row | {"raci": raci, "letters_set_at": self.now} | PROPOSED
                            )
                        cells.updated += 1
                        self._audit(
                            "raci_cell",
                            f"{address}/{role}",
                            _cell_state(document.key, key, role, existing),
                            _cell_state(document.key, key, role, after),
                        )
                    else:
                        cells.unchanged += 1

        cell_table, component_table = table_of(RaciCell), table_of(Component)
        # Children before parents on the way out, parents before children on the way in.
        bulk.delete_rows(self.session, cell_table, cell_deletes)
        bulk.delete_rows(
            self.session, cell_table, [{"component_id": i} for i in removed_components]
        )
        bulk.delete_by_ids(self.session, component_table, removed_components)
        bulk.update_rows(
            self.session, component_table, component_updates, COMPONENT_FIELDS, self.now
        )
        component_ids: dict[tuple[int, str], int] = {}
        for initiative in self.stored.values():
            for key, stored_component in initiative.components.items():
                component_ids[(initiative.id, key)] = stored_component.id
        for row in bulk.insert_rows(
            self.session, component_table, new_components, returning=("id", "initiative_id", "key")
        ):
            component_ids[(row.initiative_id, row.key)] = row.id
        for updates, fields in (
            (letter_updates, ("raci", "rationale", *PROPOSED, "letters_set_at")),
            (rationale_updates, ("rationale",)),
        ):
            bulk.update_rows(
                self.session,
                cell_table,
                updates,
                fields,
                self.now,
                match=("component_id", "role"),
            )
        bulk.insert_rows(
            self.session,
            cell_table,
            [
                self._stamp(
                    {
                        "component_id": component_ids[(self.initiative_ids[initiative], component)],
                        "role": role,
                        "raci": raci,
                        "rationale": rationale,
                        **PROPOSED,
                        "letters_set_at": self.now,
                    }
                )
                for initiative, component, role, raci, rationale in cell_inserts
            ],
        )


def _json_ready(fields: Fields) -> Fields:
    # Most states (every cell, most components) hold no date: those need no copy, and an
    # import makes one per row it writes.
    for value in fields.values():
        if isinstance(value, date):
            return {name: jsonable(v) for name, v in fields.items()}
    return fields


def _cell_state(initiative: str, component: str, role: str, cell: StoredCell) -> Fields:
    """The cell's public state as app.audit.states reads it."""
    return {
        "initiative": initiative,
        "component": component,
        "role": role,
        "raci": cell.raci,
        "rationale": cell.rationale,
        **cell.agreement,
    }
