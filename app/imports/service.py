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

from sqlalchemy.orm import Session

from app.capabilities.models import CAPABILITY_FIELDS, Capability
from app.core.errors import Unprocessable
from app.core.jsonable import jsonable
from app.core.resources import summarise
from app.db import bulk
from app.db.base import Base, table_of, utcnow
from app.db.changes import AuditRecord, ResourceType, record
from app.imports.schemas import Counts, ImportDocument, ImportResult
from app.imports.state import PortfolioState, load_state, lock_for_import
from app.imports.validation import document_errors
from app.initiatives.engine import DocumentEngine
from app.initiatives.schemas import InitiativeDocument
from app.initiatives.stored import Stored
from app.kpis.models import KPI_FIELDS, Kpi, KpiInitiative, KpiOwner, Measurement
from app.reviews.triggers import watch_kpis
from app.roles.models import ROLE_FIELDS, Role
from app.rules.service import apply_settings

# Enough to fix a document in one round; the count of the rest is in `detail`.
MAX_REPORTED_ERRORS = 1_000

Fields = dict[str, Any]


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
    # Written past the ORM: a joint KPI the document puts off track opens its review at commit.
    watch_kpis(session, {kpi.key for kpi in document.kpis} | set(document.measurements))
    importer = _Importer(session, state, utcnow())
    importer.roles(document)
    importer.capabilities(document)
    importer.initiatives(document.initiatives)
    importer.kpis(document)
    importer.measurements(document)
    changed, unchanged = apply_settings(session, document.rules)
    importer.result.rules.updated, importer.result.rules.unchanged = changed, unchanged
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
        bulk.insert_rows(self.session, table_of(model), inserts)
        bulk.update_rows(self.session, table_of(model), updates, fields, self.now)

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
        """Through the one document engine, as `PUT /initiatives/{key}` writes one."""
        engine = DocumentEngine(self.session, self.state.initiatives, self.now)
        engine.apply(documents)
        self.initiative_ids = {key: s.id for key, s in self.state.initiatives.items()}
        self.initiative_ids.update(engine.initiative_ids)
        for counts, tally in (
            (self.result.initiatives, engine.initiative_counts),
            (self.result.components, engine.component_counts),
            (self.result.raci_cells, engine.cell_counts),
        ):
            counts.created, counts.updated = tally.created, tally.updated
            counts.unchanged, counts.deleted = tally.unchanged, tally.deleted

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
        for row in bulk.insert_rows(self.session, table_of(Kpi), new_rows, returning=("id", "key")):
            kpi_ids[row.key] = row.id
        bulk.update_rows(self.session, table_of(Kpi), updates, KPI_FIELDS, self.now)
        self.kpi_ids = kpi_ids

        owner_table, link_table = table_of(KpiOwner), table_of(KpiInitiative)
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
        bulk.insert_rows(self.session, table_of(Measurement), rows)


def _json_ready(fields: Fields) -> Fields:
    # Most states (every cell, most components) hold no date: those need no copy, and an
    # import makes one per row it writes.
    for value in fields.values():
        if isinstance(value, date):
            return {name: jsonable(v) for name, v in fields.items()}
    return fields
