"""The public state of every audited resource, and how to read it set-based.

A resource's state is what the API shows of it (a role's code, name and description; an
initiative's fields and tags; a cell's initiative, component, role, letters, rationale and
agreement), never an internal id or a secret. The audit trail compares states before and
after a transaction (app.audit.recorder) and `?at=` rebuilds matrices from them.
"""

from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import (
    ColumnElement,
    Connection,
    SQLColumnExpression,
    Table,
    inspect,
    select,
    tuple_,
)
from sqlalchemy.orm import InstrumentedAttribute

from app.auth.models import ApiKey, ApiKeyRole
from app.capabilities.models import CAPABILITY_FIELDS, Capability
from app.components.models import COMPONENT_FIELDS, Component
from app.core.jsonable import jsonable
from app.db.base import Base
from app.db.changes import Fields, ResourceType
from app.governance.models import GOVERNANCE_MODEL_FIELDS, GovernanceModel
from app.initiatives.models import INITIATIVE_FIELDS, Initiative, InitiativeTag
from app.kpis.models import KPI_FIELDS, Kpi, KpiInitiative, KpiOwner, Measurement
from app.raci.models import RaciCell
from app.reviews.models import REVIEW_FIELDS, Review, ReviewParticipant
from app.roles.models import ROLE_FIELDS, Role
from app.rules.models import RuleSetting
from app.settings.models import SETTINGS_FIELDS, ServiceSettings
from app.waivers.models import WAIVER_FIELDS, Waiver
from app.webhooks.models import WEBHOOK_FIELDS, WebhookEndpoint

_CHUNK = 500

Identity = tuple[Any, ...]


@dataclass(frozen=True)
class ListField:
    """A list-valued public field kept in child rows, e.g. an initiative's `tags`."""

    child: type[Base]
    parent_id: InstrumentedAttribute[int]
    value: SQLColumnExpression[Any]
    join: tuple[Any, ColumnElement[bool]] | None = None


@dataclass(frozen=True)
class Cascade:
    """Rows the database deletes (ON DELETE CASCADE) together with their parent."""

    child_type: str
    parent_id: InstrumentedAttribute[int]


@dataclass(frozen=True)
class ResourceSpec:
    """How to read a resource's public state: its fields, its key, its child lists."""

    resource_type: ResourceType
    model: type[Base]
    fields: Mapping[str, SQLColumnExpression[Any]]
    key_fields: tuple[str, ...]
    joins: tuple[tuple[Any, ColumnElement[bool]], ...] = ()
    lists: Mapping[str, ListField] = field(default_factory=dict)
    cascades: tuple[Cascade, ...] = ()

    @property
    def table(self) -> Table:
        table: Table = self.model.__table__  # type: ignore[assignment]
        return table

    @property
    def identity_columns(self) -> tuple[ColumnElement[Any], ...]:
        return tuple(inspect(self.model).primary_key)

    def key_of(self, fields: Fields) -> str:
        return "/".join(str(fields[name]) for name in self.key_fields)


_ROLE_FIELDS = ("code", *ROLE_FIELDS)
_CAPABILITY_FIELDS = ("key", *CAPABILITY_FIELDS)
_INITIATIVE_FIELDS = ("key", *INITIATIVE_FIELDS)
_KPI_FIELDS = ("key", *KPI_FIELDS)


def _columns(model: type[Base], names: Iterable[str]) -> dict[str, SQLColumnExpression[Any]]:
    return {name: getattr(model, name) for name in names}


SPECS: dict[str, ResourceSpec] = {
    spec.resource_type: spec
    for spec in (
        ResourceSpec("role", Role, _columns(Role, _ROLE_FIELDS), ("code",)),
        ResourceSpec("capability", Capability, _columns(Capability, _CAPABILITY_FIELDS), ("key",)),
        ResourceSpec(
            "initiative",
            Initiative,
            _columns(Initiative, _INITIATIVE_FIELDS),
            ("key",),
            lists={
                "tags": ListField(InitiativeTag, InitiativeTag.initiative_id, InitiativeTag.tag)
            },
            cascades=(Cascade("component", Component.initiative_id),),
        ),
        ResourceSpec(
            "component",
            Component,
            {
                "initiative": Initiative.key,
                "key": Component.key,
                **_columns(Component, COMPONENT_FIELDS),
            },
            ("initiative", "key"),
            joins=((Initiative, Initiative.id == Component.initiative_id),),
            cascades=(Cascade("raci_cell", RaciCell.component_id),),
        ),
        ResourceSpec(
            "raci_cell",
            RaciCell,
            {
                "initiative": Initiative.key,
                "component": Component.key,
                "role": RaciCell.role,
                "raci": RaciCell.raci,
                "rationale": RaciCell.rationale,
                "agreement": RaciCell.agreement,
                "agreement_by": RaciCell.agreement_by,
                "agreement_at": RaciCell.agreement_at,
                "agreement_comment": RaciCell.agreement_comment,
            },
            ("initiative", "component", "role"),
            joins=(
                (Component, Component.id == RaciCell.component_id),
                (Initiative, Initiative.id == Component.initiative_id),
            ),
        ),
        ResourceSpec(
            "kpi",
            Kpi,
            _columns(Kpi, _KPI_FIELDS),
            ("key",),
            lists={
                "owners": ListField(KpiOwner, KpiOwner.kpi_id, KpiOwner.role),
                "initiatives": ListField(
                    KpiInitiative,
                    KpiInitiative.kpi_id,
                    Initiative.key,
                    (Initiative, Initiative.id == KpiInitiative.initiative_id),
                ),
            },
            cascades=(
                Cascade("measurement", Measurement.kpi_id),
                Cascade("review", Review.kpi_id),
            ),
        ),
        ResourceSpec(
            "measurement",
            Measurement,
            {
                "kpi": Kpi.key,
                "measured_at": Measurement.measured_at,
                "value": Measurement.value,
                "note": Measurement.note,
            },
            ("kpi", "measured_at"),
            joins=((Kpi, Kpi.id == Measurement.kpi_id),),
        ),
        ResourceSpec(
            "rule", RuleSetting, _columns(RuleSetting, ("code", "enabled", "severity")), ("code",)
        ),
        ResourceSpec(
            "settings",
            ServiceSettings,
            _columns(ServiceSettings, ("scope", *SETTINGS_FIELDS)),
            ("scope",),
        ),
        ResourceSpec(
            "review",
            Review,
            {"key": Review.key, "kpi": Kpi.key, **_columns(Review, REVIEW_FIELDS)},
            ("key",),
            joins=((Kpi, Kpi.id == Review.kpi_id),),
            lists={
                "participants": ListField(
                    ReviewParticipant, ReviewParticipant.review_id, ReviewParticipant.role
                )
            },
        ),
        ResourceSpec("waiver", Waiver, _columns(Waiver, ("key", *WAIVER_FIELDS)), ("key",)),
        ResourceSpec(
            "governance_model",
            GovernanceModel,
            _columns(GovernanceModel, ("key", *GOVERNANCE_MODEL_FIELDS)),
            ("key",),
        ),
        # Never the signing secret.
        ResourceSpec(
            "webhook",
            WebhookEndpoint,
            _columns(WebhookEndpoint, ("id", *WEBHOOK_FIELDS)),
            ("id",),
        ),
        # Never the secret's hash: a key is its name, scope and the roles it acts for.
        ResourceSpec(
            "api_key",
            ApiKey,
            _columns(ApiKey, ("name", "scope")),
            ("name",),
            lists={"acts_for": ListField(ApiKeyRole, ApiKeyRole.api_key_id, ApiKeyRole.role)},
        ),
    )
}

SPEC_BY_MODEL: dict[type[Any], ResourceSpec] = {spec.model: spec for spec in SPECS.values()}
SPEC_BY_TABLE: dict[str, ResourceSpec] = {spec.table.name: spec for spec in SPECS.values()}
# Child model -> (the parent's spec, the child's column holding the parent's id).
PARENT_OF_CHILD: dict[type[Any], tuple[ResourceSpec, InstrumentedAttribute[int]]] = {
    list_field.child: (spec, list_field.parent_id)
    for spec in SPECS.values()
    for list_field in spec.lists.values()
}
PARENT_BY_CHILD_TABLE: dict[str, tuple[ResourceSpec, InstrumentedAttribute[int]]] = {
    child.__table__.name: parent for child, parent in PARENT_OF_CHILD.items()
}


def chunks(values: Sequence[Any]) -> Iterator[Sequence[Any]]:
    for start in range(0, len(values), _CHUNK):
        yield values[start : start + _CHUNK]


def _identity_filter(spec: ResourceSpec, identities: Sequence[Identity]) -> ColumnElement[bool]:
    columns = spec.identity_columns
    if len(columns) == 1:
        return columns[0].in_([identity[0] for identity in identities])
    return tuple_(*columns).in_(list(identities))


def _load(
    connection: Connection,
    spec: ResourceSpec,
    values: Sequence[Any],
    where: Callable[[Sequence[Any]], ColumnElement[bool]],
) -> dict[Identity, Fields]:
    """The public state of the rows of `spec` matching `where`, by identity; batched."""
    id_columns = spec.identity_columns
    states: dict[Identity, Fields] = {}
    for chunk in chunks(values):
        stmt = select(*id_columns, *spec.fields.values()).select_from(spec.table)
        for target, on in spec.joins:
            stmt = stmt.join(target, on)
        for row in connection.execute(stmt.where(where(chunk))):
            identity = tuple(row[: len(id_columns)])
            states[identity] = {
                name: jsonable(value)
                for name, value in zip(spec.fields, row[len(id_columns) :], strict=True)
            }
    if spec.lists and states:
        parent_ids = [identity[0] for identity in states]
        for name, list_field in spec.lists.items():
            grouped: dict[Any, list[Any]] = {parent_id: [] for parent_id in parent_ids}
            for chunk in chunks(parent_ids):
                stmt = select(list_field.parent_id, list_field.value)
                if list_field.join is not None:
                    stmt = stmt.join(*list_field.join)
                for parent_id, value in connection.execute(
                    stmt.where(list_field.parent_id.in_(chunk))
                ):
                    grouped[parent_id].append(jsonable(value))
            for identity, fields in states.items():
                fields[name] = sorted(grouped[identity[0]])
    return states


def load_states(
    connection: Connection, resource_type: str, identities: Sequence[Identity]
) -> dict[Identity, Fields]:
    """The public state of each of these rows that exists, by identity (primary key tuple)."""
    spec = SPECS[resource_type]
    return _load(connection, spec, list(identities), lambda chunk: _identity_filter(spec, chunk))
