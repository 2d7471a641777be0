"""Bulk import: a whole portfolio document applied in one transaction, all or nothing.

The document is checked as a whole first (every problem named by its path), then compared
with what is stored, read set-based (app.imports.state), and only the differences are
written, with multi-row statements (app.imports.bulk). What changed is counted and audited;
an identical second import writes nothing at all.
"""

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from sqlalchemy import Table
from sqlalchemy.orm import Session

from app.audit.recorder import AuditRecord, ResourceType, record
from app.capabilities.models import CAPABILITY_FIELDS, Capability
from app.components.models import COMPONENT_FIELDS, Component
from app.core.errors import Unprocessable
from app.core.jsonable import jsonable
from app.core.resources import summarise
from app.db.base import Base, utcnow
from app.imports import bulk
from app.imports.schemas import Counts, ImportDocument, ImportResult
from app.imports.state import (
    PortfolioState,
    Stored,
    StoredInitiative,
    load_state,
    lock_for_import,
)
from app.imports.validation import document_errors
from app.initiatives.models import INITIATIVE_FIELDS, Initiative, InitiativeTag
from app.initiatives.schemas import ComponentDocument, InitiativeDocument
from app.kpis.models import KPI_FIELDS, Kpi, KpiInitiative, KpiOwner, Measurement
from app.raci.models import RaciCell
from app.roles.models import ROLE_FIELDS, Role

# Enough to fix a document in one round; the count of the rest is in `detail`.
MAX_REPORTED_ERRORS = 1_000

Fields = dict[str, Any]


def _table(model: type[Base]) -> Table:
    table: Table = model.__table__  # type: ignore[assignment]
    return table


def import_document(session: Session, document: ImportDocument) -> ImportResult:
    """Apply `document`; 422 naming every bad item, and nothing written, if any is invalid."""
    lock_for_import(session)
    state = load_state(
        session,
        initiative_keys={initiative.key for initiative in document.initiatives},
        referenced_initiative_keys={key for kpi in document.kpis for key in kpi.initiatives},
        kpi_keys={kpi.key for kpi in document.kpis} | set(document.measurements),
    )
    problems = document_errors(document, state)
    if problems:
        raise Unprocessable(summarise(problems), problems[:MAX_REPORTED_ERRORS])
    importer = _Importer(session, state, utcnow())
    importer.roles(document)
    importer.capabilities(document)
    importer.initiatives(document.initiatives)
    importer.kpis(document)
    importer.measurements(document)
    record(session, importer.audit)
    return importer.result


@dataclass
class _Importer:
    session: Session
    state: PortfolioState
    now: datetime
    result: ImportResult = field(default_factory=ImportResult)
    audit: list[AuditRecord] = field(default_factory=list)
    initiative_ids: dict[str, int] = field(default_factory=dict)
    kpi_ids: dict[str, int] = field(default_factory=dict)

    # -- helpers ---------------------------------------------------------------------------

    def _audit(
        self, resource_type: ResourceType, key: str, before: Fields | None, after: Fields | None
    ) -> None:
        action = "create" if before is None else "delete" if after is None else "update"
        self.audit.append(
            AuditRecord(
                action,  # type: ignore[arg-type]
                resource_type,
                key,
                None if before is None else _json_ready(before),
                None if after is None else _json_ready(after),
            )
        )

    def _stamp(self, row: Fields) -> Fields:
        return row | {"version": 1, "created_at": self.now, "updated_at": self.now}

    def _simple(
        self,
        model: type[Base],
        resource_type: ResourceType,
        key_name: str,
        fields: Sequence[str],
        wanted: Sequence[tuple[str, Fields]],
        stored: dict[str, Stored],
        counts: Counts,
    ) -> None:
        """Roles and capabilities: rows with no children."""
        inserts, updates = [], []
        for key, values in wanted:
            current = stored.get(key)
            if current is None:
                inserts.append(self._stamp({key_name: key, **values}))
                counts.created += 1
                self._audit(resource_type, key, None, {key_name: key, **values})
            elif current.fields != values:
                updates.append({"id": current.id, **values})
                counts.updated += 1
                self._audit(
                    resource_type, key, {key_name: key, **current.fields}, {key_name: key, **values}
                )
            else:
                counts.unchanged += 1
        bulk.insert_rows(self.session, _table(model), inserts)
        bulk.update_rows(self.session, _table(model), updates, fields, self.now)

    # -- resources -------------------------------------------------------------------------

    def roles(self, document: ImportDocument) -> None:
        wanted = [
            (r.code, {name: getattr(r, name) for name in ROLE_FIELDS}) for r in document.roles
        ]
        self._simple(Role, "role", "code", ROLE_FIELDS, wanted, self.state.roles, self.result.roles)

    def capabilities(self, document: ImportDocument) -> None:
        wanted = [
            (c.key, {name: getattr(c, name) for name in CAPABILITY_FIELDS})
            for c in document.capabilities
        ]
        self._simple(
            Capability,
            "capability",
            "key",
            CAPABILITY_FIELDS,
            wanted,
            self.state.capabilities,
            self.result.capabilities,
        )

    def initiatives(self, documents: Sequence[InitiativeDocument]) -> None:
        counts = self.result.initiatives
        self.initiative_ids = {key: s.id for key, s in self.state.initiatives.items()}
        new_rows, updates, tag_changes = [], [], {}
        for document in documents:
            values = {name: getattr(document, name) for name in INITIATIVE_FIELDS}
            stored = self.state.initiatives.get(document.key)
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
            self.session, _table(Initiative), new_rows, returning=("id", "key")
        ):
            self.initiative_ids[row.key] = row.id
        bulk.update_rows(self.session, _table(Initiative), updates, INITIATIVE_FIELDS, self.now)
        for document in documents:
            if document.key not in self.state.initiatives and document.tags:
                tag_changes[self.initiative_ids[document.key]] = document.tags
        self._replace_tags(tag_changes)
        self._components(documents)

    def _replace_tags(self, tags_by_initiative: dict[int, list[str]]) -> None:
        table = _table(InitiativeTag)
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
        return False

    def _components(self, documents: Sequence[InitiativeDocument]) -> None:
        components, cells = self.result.components, self.result.raci_cells
        new_components: list[Fields] = []
        component_updates: list[Fields] = []
        removed_components: list[int] = []
        cell_inserts: list[tuple[str, str, str, str]] = []  # initiative, component, role, raci
        cell_updates: list[Fields] = []
        cell_deletes: list[Fields] = []

        for document in documents:
            if document.components is None:
                continue
            stored = self.state.initiatives.get(document.key)
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
                        _cell_state(document.key, key, role, cell.raci, cell.rationale),
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
                        cell_inserts.append((document.key, key, role, raci))
                        cells.created += 1
                        self._audit(
                            "raci_cell",
                            f"{address}/{role}",
                            None,
                            _cell_state(document.key, key, role, raci, None),
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
                            _cell_state(document.key, key, role, cell.raci, cell.rationale),
                            None,
                        )
                for role, raci in component.raci.items():
                    existing = current.cells.get(role)
                    if existing is None:
                        cell_inserts.append((document.key, key, role, raci))
                        cells.created += 1
                        self._audit(
                            "raci_cell",
                            f"{address}/{role}",
                            None,
                            _cell_state(document.key, key, role, raci, None),
                        )
                    elif existing.raci != raci:
                        cell_updates.append(
                            {"component_id": current.id, "role": role, "raci": raci}
                        )
                        cells.updated += 1
                        self._audit(
                            "raci_cell",
                            f"{address}/{role}",
                            _cell_state(document.key, key, role, existing.raci, existing.rationale),
                            _cell_state(document.key, key, role, raci, existing.rationale),
                        )
                    else:
                        cells.unchanged += 1

        cell_table, component_table = _table(RaciCell), _table(Component)
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
        for initiative in self.state.initiatives.values():
            for key, stored_component in initiative.components.items():
                component_ids[(initiative.id, key)] = stored_component.id
        for row in bulk.insert_rows(
            self.session, component_table, new_components, returning=("id", "initiative_id", "key")
        ):
            component_ids[(row.initiative_id, row.key)] = row.id
        bulk.update_rows(
            self.session,
            cell_table,
            cell_updates,
            ("raci",),
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
                        "rationale": None,
                    }
                )
                for initiative, component, role, raci in cell_inserts
            ],
        )

    def kpis(self, document: ImportDocument) -> None:
        counts = self.result.kpis
        new_rows, updates = [], []
        owner_changes: dict[str, list[str]] = {}
        initiative_changes: dict[str, list[str]] = {}
        for kpi in document.kpis:
            values = {name: getattr(kpi, name) for name in KPI_FIELDS}
            owners, initiatives = sorted(set(kpi.owners)), sorted(set(kpi.initiatives))
            after = {"key": kpi.key, **values, "owners": owners, "initiatives": initiatives}
            stored = self.state.kpis.get(kpi.key)
            if stored is None:
                new_rows.append(self._stamp({"key": kpi.key, **values}))
                owner_changes[kpi.key], initiative_changes[kpi.key] = owners, initiatives
                counts.created += 1
                self._audit("kpi", kpi.key, None, after)
                continue
            before = {
                "key": kpi.key,
                **stored.fields,
                "owners": stored.owners,
                "initiatives": stored.initiatives,
            }
            if before == after:
                counts.unchanged += 1
                continue
            updates.append({"id": stored.id, **values})
            if stored.owners != owners:
                owner_changes[kpi.key] = owners
            if stored.initiatives != initiatives:
                initiative_changes[kpi.key] = initiatives
            counts.updated += 1
            self._audit("kpi", kpi.key, before, after)

        kpi_ids = {key: stored.id for key, stored in self.state.kpis.items()}
        for row in bulk.insert_rows(self.session, _table(Kpi), new_rows, returning=("id", "key")):
            kpi_ids[row.key] = row.id
        bulk.update_rows(self.session, _table(Kpi), updates, KPI_FIELDS, self.now)
        self.kpi_ids = kpi_ids

        owner_table, link_table = _table(KpiOwner), _table(KpiInitiative)
        bulk.delete_rows(self.session, owner_table, [{"kpi_id": kpi_ids[k]} for k in owner_changes])
        bulk.insert_rows(
            self.session,
            owner_table,
            [
                {"kpi_id": kpi_ids[k], "role": role}
                for k, roles in owner_changes.items()
                for role in roles
            ],
        )
        initiative_ids = self.state.other_initiatives | self.initiative_ids
        bulk.delete_rows(
            self.session, link_table, [{"kpi_id": kpi_ids[k]} for k in initiative_changes]
        )
        bulk.insert_rows(
            self.session,
            link_table,
            [
                {"kpi_id": kpi_ids[k], "initiative_id": initiative_ids[key]}
                for k, keys in initiative_changes.items()
                for key in keys
            ],
        )

    def measurements(self, document: ImportDocument) -> None:
        counts = self.result.measurements
        rows = []
        for kpi_key, measurements in document.measurements.items():
            stored = self.state.kpis[kpi_key].measurements if kpi_key in self.state.kpis else {}
            for measurement in measurements:
                if measurement.measured_at in stored:
                    counts.unchanged += 1
                    continue
                rows.append(
                    {
                        "kpi_id": self.kpi_ids[kpi_key],
                        "value": measurement.value,
                        "measured_at": measurement.measured_at,
                        "note": measurement.note,
                        "created_at": self.now,
                    }
                )
                counts.created += 1
                self._audit(
                    "measurement",
                    f"{kpi_key}/{jsonable(measurement.measured_at)}",
                    None,
                    {
                        "kpi": kpi_key,
                        "measured_at": measurement.measured_at,
                        "value": measurement.value,
                        "note": measurement.note,
                    },
                )
        bulk.insert_rows(self.session, _table(Measurement), rows)


def _json_ready(fields: Fields) -> Fields:
    # Most states (every cell, most components) hold no date: those need no copy, and an
    # import makes one per row it writes.
    for value in fields.values():
        if isinstance(value, date):
            return {name: jsonable(v) for name, v in fields.items()}
    return fields


def _cell_state(
    initiative: str, component: str, role: str, raci: str, rationale: str | None
) -> Fields:
    return {
        "initiative": initiative,
        "component": component,
        "role": role,
        "raci": raci,
        "rationale": rationale,
    }
